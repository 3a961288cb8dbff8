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
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.transparency.note import SIGNATURE_PREFIX, NoteError, check_name, split_note

COSIGNATURE_V1 = 0x04  # the signature type byte of an Ed25519 cosignature
HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1
_BLOB_SIZE = 4 + 8 + 64


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 cosigner key."""
    material = name.encode() + b"\n" + bytes([COSIGNATURE_V1]) + public_key
    return hashlib.sha256(material).digest()[:4]


def signed_message(body: str, timestamp: int) -> bytes:
    """What a ``cosignature/v1`` signs: the header, the time line and the checkpoint body."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("a cosignature's timestamp is from 0 to 2^63 - 1")
    return f"{HEADER}time {timestamp}\n{body}".encode()


@dataclass(frozen=True)
class CosignatureVerifier:
    """A cosigner's Ed25519 public key under its name."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        check_name(self.name)
        if len(self.public_key) != 32:
            raise NoteError("an Ed25519 public key is 32 bytes")

    @property
    def key_id(self) -> bytes:
        """The 4-byte ID its signature lines carry."""
        return key_id(self.name, self.public_key)

    def encode(self) -> str:
        """The vkey string, ``name+hex key ID+base64(0x04 || key)``."""
        material = base64.b64encode(bytes([COSIGNATURE_V1]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    @classmethod
    def parse(cls, text: str) -> CosignatureVerifier:
        """Read a cosigner vkey; refuse one of another type or whose ID does not match."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise NoteError("a witness key reads name+keyid+base64key")
        try:
            material = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise NoteError("the witness key's key is not valid base64") from None
        if len(material) != 33 or material[0] != COSIGNATURE_V1:
            raise NoteError("the witness key is not an Ed25519 cosignature/v1 key (type 0x04)")
        verifier = cls(parts[0], material[1:])
        if verifier.key_id.hex() != parts[1]:
            raise NoteError("the witness key's ID does not match its key")
        return verifier

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
