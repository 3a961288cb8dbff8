"""Every request the aggregator makes to a provider, within hard limits.

- https only, unless ``ACCORD_CSAF_ALLOW_HTTP`` (tests, closed networks);
- each hop's host resolves to public addresses only, checked again at connection time
  (``accord.outbound``); redirects followed by hand, at most five, never down to http;
- the body streamed and cut at ``ACCORD_CSAF_MAX_DOCUMENT_BYTES`` (the declared length is
  refused before a byte is read), no content-encoding, the whole fetch within the outbound
  timeout.

A fetch that fails raises :class:`FetchFailed` with a short code and a sentence; nothing is
kept of a body that did not arrive whole. Every request is counted on the :class:`Fetcher`.
"""

from __future__ import annotations

import ssl
import time
from types import TracebackType

import httpx

from accord import __version__, outbound
from accord.config import Settings

MAX_REDIRECTS = 5
USER_AGENT = f"accord-hub/{__version__} (CSAF aggregator)"


class FetchFailed(Exception):
    """A fetch that did not end with a whole body: ``code`` for counting, ``message`` to read."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Fetcher:
    """One client for a pass over a provider, counting its requests."""

    def __init__(self, settings: Settings, *, verify: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.requests = 0
        if verify is None and settings.csaf_ca_file is not None:
            verify = ssl.create_default_context(cafile=str(settings.csaf_ca_file))
        self._client = outbound.client(
            settings,
            verify=verify if verify is not None else True,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._client.close()

    def get(self, url: str, *, limit: int | None = None, missing_ok: bool = False) -> bytes | None:
        """The body at ``url``; with ``missing_ok``, None for a 404."""
        cap = limit if limit is not None else self.settings.csaf_max_document_bytes
        deadline = time.monotonic() + self.settings.outbound_timeout_seconds
        current = self._first(url)
        for _ in range(MAX_REDIRECTS + 1):
            self.requests += 1
            try:
                with self._client.stream("GET", current) as response:
                    if response.is_redirect:
                        current = self._next(current, response)
                        continue
                    if response.status_code == 404 and missing_ok:
                        return None
                    if not 200 <= response.status_code < 300:
                        raise FetchFailed(
                            "http_status", f"{current} answered HTTP {response.status_code}"
                        )
                    return _read(response, cap, deadline, str(current))
            except outbound.Refused as exc:
                raise FetchFailed(exc.code, f"{current.host}: {exc.message}") from None
            except httpx.TimeoutException:
                raise FetchFailed(
                    "timeout",
                    f"{current} gave no whole answer within "
                    f"{self.settings.outbound_timeout_seconds:g} s",
                ) from None
            except httpx.HTTPError as exc:
                raise FetchFailed("unreachable", f"{current}: {type(exc).__name__}") from None
        raise FetchFailed("too_many_redirects", f"{url}: more than {MAX_REDIRECTS} redirects")

    def _first(self, url: str) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            raise FetchFailed("bad_url", f"{url[:200]}: not a valid URL") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise FetchFailed("bad_url", f"{url[:200]}: not an https:// URL")
        if parsed.userinfo:
            raise FetchFailed("bad_url", f"{url[:200]}: a URL with credentials is not fetched")
        if parsed.scheme == "http" and not self.settings.csaf_allow_http:
            raise FetchFailed("not_https", f"{url[:200]}: not an https:// URL")
        self._check(parsed)
        return parsed

    def _next(self, current: httpx.URL, response: httpx.Response) -> httpx.URL:
        location = response.headers.get("location")
        if not location:
            raise FetchFailed("bad_redirect", f"{current}: a redirect without a Location")
        try:
            target = current.join(location)
        except httpx.InvalidURL:
            raise FetchFailed("bad_redirect", f"{current}: redirect to an invalid URL") from None
        if target.scheme not in ("http", "https"):
            raise FetchFailed("bad_redirect", f"{current}: redirect to a {target.scheme}: URL")
        if current.scheme == "https" and target.scheme != "https":
            raise FetchFailed("redirect_downgrade", f"{current}: redirect from https to http")
        self._check(target)
        return target

    def _check(self, url: httpx.URL) -> None:
        try:
            outbound.check_public(
                url.host, url.port or (443 if url.scheme == "https" else 80), settings=self.settings
            )
        except outbound.Refused as exc:
            raise FetchFailed(exc.code, f"{url.host}: {exc.message}") from None


def _read(response: httpx.Response, limit: int, deadline: float, url: str) -> bytes:
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding != "identity":
        # None was asked for; decoding would let a small answer inflate past the size limit.
        raise FetchFailed("content_encoding", f"{url}: served with content-encoding {encoding}")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchFailed("too_large", f"{url}: {declared} bytes; the limit is {limit}")
    body = bytearray()
    for chunk in response.iter_raw():
        body += chunk
        if len(body) > limit:
            raise FetchFailed("too_large", f"{url}: over the limit of {limit} bytes")
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("deadline passed while reading")
    return bytes(body)
