"""A hub (or any OSV-compatible server) over its API: ``POST /v1/querybatch?full=true``.

Queries go 1,000 a call (the API's limit); the hub answers full records, so nothing is
fetched per advisory. A query with more than a page of results is continued with its page
token. The plain-language summaries of the records found come from one more call.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import httpx

from accord.check.interface import Dependency, Progress
from accord.check.sources import SourceError

BATCH = 1000
TOKEN_ENV = "ACCORD_TOKEN"  # noqa: S105 (the variable's name, not a secret)


class HubSource:
    """The advisories a hub lets this caller read (anonymous: the public ones)."""

    def __init__(
        self,
        hub: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.hub = hub.rstrip("/")
        self.description = f"the hub at {self.hub}"
        token = token if token is not None else os.environ.get(TOKEN_ENV)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = client or httpx.Client(base_url=self.hub, timeout=timeout, headers=headers)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        url = f"{self.hub}{path}"
        try:
            response = self.http.post(path, json=body)
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise SourceError(f"cannot reach {url}: {reason}") from None
        if response.status_code != 200:
            raise SourceError(f"{url} answered {response.status_code}: {_message(response)}")
        try:
            return response.json()
        except ValueError:
            raise SourceError(f"{url} did not answer JSON") from None

    def affecting(
        self, dependencies: Sequence[Dependency], *, progress: Progress | None = None
    ) -> list[list[dict[str, Any]]]:
        """The full records affecting each dependency, asked 1,000 at a time."""
        answers: list[list[dict[str, Any]]] = [[] for _ in dependencies]
        for start in range(0, len(dependencies), BATCH):
            chunk = dependencies[start : start + BATCH]
            queries = [_query(d) for d in chunk]
            pending = list(range(len(chunk)))
            while pending:
                body = self._post(
                    "/v1/querybatch?full=true", {"queries": [queries[i] for i in pending]}
                )
                results = body.get("results") if isinstance(body, dict) else None
                if not isinstance(results, list) or len(results) != len(pending):
                    raise SourceError(f"{self.hub}/v1/querybatch answered a malformed batch")
                still: list[int] = []
                for position, result in zip(pending, results, strict=True):
                    answers[start + position] += _records(result, self.hub)
                    token = result.get("next_page_token")
                    if token:
                        queries[position] = {**queries[position], "page_token": token}
                        still.append(position)
                pending = still
            if progress is not None:
                progress.advance(len(chunk))
        return answers

    def plain_summaries(self, ids: Sequence[str]) -> dict[str, str]:
        """Plain-language summaries, from the hub's check API (none from other OSV servers)."""
        found: dict[str, str] = {}
        for start in range(0, len(ids), BATCH):
            try:
                body = self._post(
                    "/api/v1/check/summaries", {"ids": list(ids[start : start + BATCH])}
                )
            except SourceError:
                return found  # an OSV server that is not a hub: the records' summaries will do
            summaries = body.get("summaries") if isinstance(body, dict) else None
            if isinstance(summaries, dict):
                found.update((str(k), str(v)) for k, v in summaries.items())
        return found


def _query(dependency: Dependency) -> dict[str, Any]:
    return {
        "package": {"ecosystem": dependency.ecosystem, "name": dependency.name},
        "version": dependency.version,
    }


def _records(result: Any, hub: str) -> list[dict[str, Any]]:
    vulns = result.get("vulns", []) if isinstance(result, dict) else None
    if not isinstance(vulns, list) or not all(isinstance(v, dict) and "id" in v for v in vulns):
        raise SourceError(f"{hub}/v1/querybatch answered a malformed result")
    return vulns


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and "message" in body:
        return str(body["message"])
    return response.text[:200]
