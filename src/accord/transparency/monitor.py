"""A log monitor for anyone: fetch a hub's checkpoint, check its signature against a pinned
key and its consistency with the checkpoint seen last time, and remember it.

A rollback (a smaller tree than before) or a split view (a tree that does not extend the one
seen before) is the hub showing different histories to different people: both checkpoints
are signed, so together they are proof, and they are written to an evidence file.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from accord.clock import utcnow
from accord.errors import N_, AccordError, Message, at_field, reason_of
from accord.transparency import merkle, note, rotation
from accord.transparency.bundles import VerificationFailed
from accord.transparency.schemas import LogBundle


class HubError(AccordError):
    """The hub could not be reached or answered something unusable."""

    code = "hub"


@dataclass(frozen=True)
class MonitorState:
    """What the monitor remembers about one hub: its pinned key and the last checkpoint."""

    hub: str
    verifier_key: str
    checkpoint: str | None = None
    # The witness policy pinned with the key: witness keys and how many must cosign.
    witnesses: tuple[str, ...] = ()
    quorum: int = 0


def load_state(path: Path) -> MonitorState | None:
    """The state saved at ``path``, or None if there is none yet."""
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text())
        return MonitorState(
            raw["hub"],
            raw["verifier_key"],
            raw.get("checkpoint"),
            tuple(str(k) for k in raw.get("witnesses", ())),
            int(raw.get("quorum", 0)),
        )
    except (ValueError, KeyError, TypeError):
        raise AccordError(f"the state file {path} is damaged; move it away to start over") from None


def save_state(path: Path, state: MonitorState) -> None:
    """Write the state atomically (a crash leaves the old file or the new, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({**state.__dict__, "witnesses": list(state.witnesses)}, indent=2) + "\n"
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as handle:
        handle.write(body)
        temporary = Path(handle.name)
    os.replace(temporary, path)


class HubClient:
    """The few requests a monitor makes, over httpx."""

    def __init__(self, hub: str, *, timeout: float = 10.0, client: httpx.Client | None = None):
        self.hub = hub.rstrip("/")
        self.http = client or httpx.Client(base_url=self.hub, timeout=timeout)

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def _get(self, path: str, **params: Any) -> httpx.Response:
        try:
            response = self.http.get(path, params=params or None)
        except httpx.HTTPError as exc:
            raise HubError(f"could not fetch {self.hub}{path}: {exc}") from None
        if response.status_code != 200:
            raise HubError(f"{self.hub}{path} answered {response.status_code}")
        return response

    def _json(self, path: str, **params: Any) -> Any:
        try:
            return self._get(path, **params).json()
        except ValueError:
            raise HubError(f"{self.hub}{path} did not answer JSON") from None

    def checkpoint_note(self) -> str:
        """The hub's newest signed checkpoint, as served for tlog-tiles clients."""
        return self._get("/log/checkpoint").text

    def verifier_key(self) -> str:
        """The verifier key the hub publishes (trust it only on first use)."""
        return str(self._json("/.well-known/accord-log-key")["verifier_key"])

    def announcements(self) -> list[str]:
        """The hub's key rotations, oldest first (each checked by whoever follows it)."""
        found = self._json("/.well-known/accord-log-key")
        notes = found.get("announcements", []) if isinstance(found, dict) else []
        if not isinstance(notes, list):
            raise HubError(f"{self.hub} published key announcements that are not a list")
        return [str(n) for n in notes]

    def witness_policy(self) -> tuple[list[str], int]:
        """The witness keys and quorum the hub publishes (trust them only on first use)."""
        found = self._json("/.well-known/accord-log-key")
        keys = found.get("witnesses", []) if isinstance(found, dict) else []
        quorum = found.get("quorum", 0) if isinstance(found, dict) else 0
        if not isinstance(keys, list) or not isinstance(quorum, int):
            raise HubError(f"{self.hub} published a witness policy that is not one")
        return [str(k) for k in keys], quorum

    def consistency(self, first: int, second: int) -> list[bytes]:
        """The hub's consistency proof between two sizes."""
        body = self._json("/api/v1/log/proof/consistency", first=first, second=second)
        return [_b64(h) for h in body.get("hashes", [])]

    def records(self, sha256: str) -> list[dict[str, Any]]:
        """The entries that record a document digest."""
        found = self._json(f"/api/v1/log/documents/{sha256}")
        return found if isinstance(found, list) else []

    def recent(self, *, before: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """What the entries below ``before`` record, newest first (a page of ``limit``)."""
        params: dict[str, Any] = {"limit": limit}
        if before is not None:
            params["before"] = before
        found = self._json("/api/v1/log/entries", **params)
        return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []

    def bundle(self, index: int) -> LogBundle:
        """The proof bundle of an entry."""
        return parse_bundle(self._get(f"/api/v1/log/bundle/{index}").text)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise VerificationFailed("the hub sent a proof hash that is not base64") from None


def parse_bundle(text: str) -> LogBundle:
    """A bundle from its JSON; VerificationFailed if it is not one."""
    try:
        return LogBundle.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "bundle"
        raise VerificationFailed(
            Message(N_("not a log bundle: %(reason)s"), reason=at_field(where, reason_of(first)))
        ) from None


def open_signed(
    checkpoint_note: str, verifier: note.Verifier, announcements: Sequence[str] = ()
) -> note.Checkpoint:
    """The checkpoint in a note, once its signature by the pinned key (or by a key it handed
    over to in ``announcements``, see :mod:`accord.transparency.rotation`) checks out."""
    try:
        return rotation.open_following(checkpoint_note, verifier, announcements)[0]
    except note.NoteError as exc:
        raise VerificationFailed(f"checkpoint: {exc}") from None


def current_key(verifier: note.Verifier, announcements: Sequence[str]) -> note.Verifier:
    """The key the pinned one hands over to through ``announcements`` (itself if none)."""
    try:
        steps = rotation.follow(verifier, announcements)
    except note.NoteError as exc:
        raise VerificationFailed(f"key rotation: {exc}") from None
    return steps[-1].key if steps else verifier


def check_extends(
    client: HubClient,
    *,
    previous_note: str,
    current_note: str,
    verifier: note.Verifier,
    evidence_dir: Path,
    announcements: Sequence[str] = (),
) -> note.Checkpoint:
    """Check that ``current_note`` extends ``previous_note``; keep evidence if it does not.

    Either may be signed by ``verifier`` or by a key it handed over to (``announcements``).
    """
    previous = open_signed(previous_note, verifier, announcements)
    current = open_signed(current_note, verifier, announcements)
    problem = None
    if current.size < previous.size:
        problem = (
            f"ROLLBACK: the hub now shows a tree of {current.size} entries, "
            f"after showing {previous.size}"
        )
    elif current.size == previous.size and current.root_hash != previous.root_hash:
        problem = f"SPLIT VIEW: two different signed trees of {current.size} entries"
    elif current.size > previous.size and previous.size > 0:
        proof = client.consistency(previous.size, current.size)
        try:
            merkle.verify_consistency(
                previous.size, current.size, proof, previous.root_hash, current.root_hash
            )
        except merkle.ProofError as exc:
            problem = (
                f"SPLIT VIEW: the tree of {current.size} entries does not extend the tree of "
                f"{previous.size} seen before ({exc})"
            )
    if problem:
        evidence = _save_evidence(evidence_dir, previous_note, current_note)
        raise VerificationFailed(f"{problem}; both signed checkpoints saved in {evidence}")
    return current


def _save_evidence(directory: Path, previous: str, current: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"accord-log-evidence-{utcnow():%Y%m%dT%H%M%S%fZ}.txt"
    path.write_text(f"seen before:\n{previous}\nseen now:\n{current}")
    return path
