"""C2SP signed-note (Ed25519 signatures) and C2SP tlog-checkpoint, as pure functions.

signed-note (c2sp.org/signed-note): a UTF-8 text ending in a newline, a blank line, then one
or more lines ``— <key name> base64(key ID || signature)``. For Ed25519 the key ID is the
first four bytes of ``SHA-256(key name || 0x0A || 0x01 || public key)`` and the signature is
RFC 8032 Ed25519 over the text. A verifier key is written ``<name>+<key ID hex>+<base64(0x01
|| public key)>``, the form of golang.org/x/mod/sumdb/note that witnesses and monitors read.

tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text is the origin, the tree size in
decimal and the base64 root hash, one per line, then optional extension lines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.transparency.merkle import HASH_SIZE

ED25519 = 0x01  # the signature type byte of c2sp.org/signed-note
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_NOTE_BYTES = 1_000_000
MAX_SIGNATURES = 100
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_SIZE = re.compile(r"^(0|[1-9][0-9]{0,19})$")


class NoteError(ValueError):
    """A note or checkpoint is malformed, or no trusted signature on it verifies."""


def key_id(name: str, public_key: bytes, key_type: int = ED25519) -> bytes:
    """The 4-byte key ID of an Ed25519 key of ``key_type``, as signed-note recommends:
    ``SHA-256(name || "\\n" || type byte || public key)[:4]``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def check_name(name: str) -> None:
    """Refuse a key name that is empty or has a space or a plus sign."""
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"key name {name!r} is empty or has a space or a plus sign")


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key under a name, of one signature type: written and read as a vkey,
    ``name+hex key ID+base64(type byte || key)``. A log's key (:class:`Verifier`, 0x01) and a
    witness's (``cosignature.CosignatureVerifier``, 0x04) differ only by that byte."""

    KEY_TYPE: ClassVar[int] = ED25519
    LABEL: ClassVar[str] = "verifier key"  # what errors call it
    KIND: ClassVar[str] = "an Ed25519 key"

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        check_name(self.name)
        if len(self.public_key) != 32:
            raise NoteError("an Ed25519 public key is 32 bytes")

    @property
    def key_id(self) -> bytes:
        """The 4-byte ID that signature lines carry."""
        return key_id(self.name, self.public_key, self.KEY_TYPE)

    def encode(self) -> str:
        """The vkey string, ``name+hex key ID+base64(type byte || key)``."""
        material = base64.b64encode(bytes([self.KEY_TYPE]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read a vkey; refuse one of another type or whose key ID does not match its key."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise NoteError(f"a {cls.LABEL} reads name+keyid+base64key")
        try:
            material = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise NoteError(f"the {cls.LABEL}'s key is not valid base64") from None
        if len(material) != 33 or material[0] != cls.KEY_TYPE:
            raise NoteError(f"the {cls.LABEL} is not {cls.KIND}")
        found = cls(parts[0], material[1:])
        if found.key_id.hex() != parts[1]:
            raise NoteError(f"the {cls.LABEL}'s ID does not match its key")
        return found


class Verifier(PublicKey):
    """A log's Ed25519 public key under a name: checks signatures on notes."""

    def verifies(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``text``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """An Ed25519 private key under a name. Its repr never shows the key."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        check_name(self.name)

    @property
    def verifier(self) -> Verifier:
        """The matching public key."""
        return Verifier(self.name, self.private_key.public_key().public_bytes_raw())

    def signature_line(self, text: str) -> str:
        """The note's signature line by this key."""
        blob = self.verifier.key_id + self.private_key.sign(text.encode())
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode()}\n"


def sign(text: str, signer: Signer) -> str:
    """A signed note of ``text`` (which must end in a newline)."""
    _check_text(text)
    return text + "\n" + signer.signature_line(text)


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("a note's text must end with a newline")
    if _CONTROL.search(text):
        raise NoteError("a note must not contain control characters other than newline")


def open_note(note: str, verifiers: Sequence[Verifier]) -> str:
    """The text of ``note`` once a signature by one of ``verifiers`` checks out.

    Signatures by unknown keys are ignored; a signature by a known key that fails to verify
    rejects the whole note, as the specification advises.
    """
    text, lines = split_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified = 0
    for name, blob in lines:
        verifier = known.get((name, blob[:4]))
        if verifier is None:
            continue
        if not verifier.verifies(text.encode(), blob[4:]):
            raise NoteError(f"the signature by {name} does not verify")
        verified += 1
    if not verified:
        raise NoteError("no signature on the note is by a trusted key")
    return text


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """A note's text and its signature lines (name, base64-decoded blob), checked for form."""
    if len(note.encode()) > MAX_NOTE_BYTES:
        raise NoteError("the note is too large")
    _check_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("the note has no blank line before its signatures")
    text, lines = note[: split + 1], note[split + 2 :].split("\n")[:-1]
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteError("the note has no signature lines, or too many")
    return text, [_signature_line(line) for line in lines]


def _signature_line(line: str) -> tuple[str, bytes]:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError("a signature line must start with an em dash and a space")
    name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    check_name(name)
    try:
        blob = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise NoteError(f"the signature by {name} is not valid base64") from None
    if len(blob) < 5:
        raise NoteError(f"the signature by {name} is too short")
    return name, blob


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin, size and root hash (c2sp.org/tlog-checkpoint)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text of this checkpoint."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint's note text strictly."""
        if not text.endswith("\n"):
            raise NoteError("a checkpoint ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not all(lines):
            raise NoteError("a checkpoint has at least three non-empty lines")
        origin, size, root_b64, *extensions = lines
        if not _SIZE.match(size):
            raise NoteError("the checkpoint's tree size is not a decimal number")
        try:
            root_hash = base64.b64decode(root_b64, validate=True)
        except binascii.Error:
            raise NoteError("the checkpoint's root hash is not valid base64") from None
        if len(root_hash) != HASH_SIZE:
            raise NoteError("the checkpoint's root hash is not 32 bytes")
        return cls(origin, int(size), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """The signed note of a checkpoint."""
    return sign(checkpoint.body(), signer)


def open_checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    """The checkpoint in ``note`` once its signature by ``verifier`` checks out.

    The origin must be the key's name, as tlog-checkpoint advises and this hub does.
    """
    checkpoint = Checkpoint.parse(open_note(note, [verifier]))
    if checkpoint.origin != verifier.name:
        raise NoteError(
            f"the checkpoint's origin {checkpoint.origin!r} is not the key's {verifier.name!r}"
        )
    return checkpoint
