"""C2SP tlog-cosignature (Ed25519, ``cosignature/v1``) as pure functions.

A cosignature is a signed-note signature line ``— <cosigner name> base64(key ID ||
timestamped_signature)`` added to a checkpoint. For Ed25519 (c2sp.org/tlog-cosignature):

- the key ID is ``SHA-256(name || "\\n" || 0x04 || public key)[:4]`` (type byte 0x04, not the
  0x01 of a log's own signature, so one is never mistaken for the other);
- ``timestamped_signature`` is a big-endian u64 POSIX timestamp then the 64-byte signature;
- the signed message is ``cosignature/v1\\n`` + ``time <timestamp>\\n`` + the checkpoint's
  whole note body (its final newline included, no signature line).

A verifier key (vkey) is written ``name+<hex key ID>+base64(0x04 || public key)``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.transparency.note import (
    SIGNATURE_PREFIX,
    NoteError,
    PublicKey,
    check_name,
    split_note,
)

COSIGNATURE_V1 = 0x04  # the signature type byte of an Ed25519 cosignature
HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1
_BLOB_SIZE = 4 + 8 + 64


def signed_message(body: str, timestamp: int) -> bytes:
    """What a ``cosignature/v1`` signs: the header, the time line and the checkpoint body."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("a cosignature's timestamp is from 0 to 2^63 - 1")
    return f"{HEADER}time {timestamp}\n{body}".encode()


class CosignatureVerifier(PublicKey):
    """A cosigner's Ed25519 public key under its name (type byte 0x04)."""

    KEY_TYPE: ClassVar[int] = COSIGNATURE_V1
    LABEL: ClassVar[str] = "witness key"
    KIND: ClassVar[str] = "an Ed25519 cosignature/v1 key (type 0x04)"

    def timestamp_of(self, body: str, blob: bytes) -> int | None:
        """The timestamp of ``blob`` (key ID, timestamp, signature) if it cosigns ``body``."""
        if len(blob) != _BLOB_SIZE or blob[:4] != self.key_id:
            return None
        timestamp = int.from_bytes(blob[4:12], "big")
        if timestamp > MAX_TIMESTAMP:
            return None
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                blob[12:], signed_message(body, timestamp)
            )
        except InvalidSignature:
            return None
        return timestamp


@dataclass(frozen=True)
class Cosigner:
    """An Ed25519 private key under a cosigner name. Its repr never shows the key."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        check_name(self.name)

    @property
    def verifier(self) -> CosignatureVerifier:
        """The matching public key."""
        return CosignatureVerifier(self.name, self.private_key.public_key().public_bytes_raw())

    def cosign(self, body: str, timestamp: int) -> str:
        """The signature line cosigning the checkpoint ``body`` at ``timestamp``."""
        signature = self.private_key.sign(signed_message(body, timestamp))
        blob = self.verifier.key_id + timestamp.to_bytes(8, "big") + signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode()}\n"


def cosigned_by(note_text: str, verifiers: Sequence[CosignatureVerifier]) -> dict[str, int]:
    """Which of ``verifiers`` cosigned the note: name -> timestamp.

    Lines by other keys, and lines by a known name whose key ID or signature does not match,
    are ignored: a client counts only cosignatures that verify.
    """
    body, lines = split_note(note_text)
    known = {v.name: v for v in verifiers}
    found: dict[str, int] = {}
    for name, blob in lines:
        verifier = known.get(name)
        if verifier is None or name in found:
            continue
        timestamp = verifier.timestamp_of(body, blob)
        if timestamp is not None:
            found[name] = timestamp
    return found


def parse_lines(text: str) -> list[tuple[str, bytes]]:
    """Signature lines (a witness's answer): name and decoded blob of each."""
    return split_note("x\n\n" + text)[1]
