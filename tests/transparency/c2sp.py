"""An independent reading of the C2SP texts, for the tests: a few lines with ``cryptography``
and ``hashlib`` alone, sharing no code with ``accord.transparency``.

- signed-note: a note is text, a blank line, then lines ``— name base64(keyID || sig)``.
- tlog-cosignature (Ed25519): key ID = SHA-256(name || "\\n" || 0x04 || key)[:4]; the blob
  is key ID || u64 big-endian timestamp || Ed25519 signature over
  "cosignature/v1\\ntime <t>\\n" || note body.
- RFC 6962 2.1: MTH and SUBPROOF, for a log the tests play.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

DASH = "\u2014 "


def parse_vkey(vkey: str) -> tuple[str, bytes, int, bytes]:
    """name, key ID, type byte and public key of a vkey ``name+hex+base64(type||key)``."""
    name, key_id, material = vkey.split("+", 2)
    raw = base64.b64decode(material)
    return name, bytes.fromhex(key_id), raw[0], raw[1:]


def cosigners(note: str, vkeys: list[str]) -> dict[str, int]:
    """Which Ed25519 cosigners among ``vkeys`` validly cosigned ``note``: name -> time."""
    body, _, signatures = note.rpartition("\n\n")
    body += "\n"
    found: dict[str, int] = {}
    for vkey in vkeys:
        name, key_id, kind, public = parse_vkey(vkey)
        assert kind == 0x04
        assert hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4] == key_id
        for line in signatures.splitlines():
            if not line.startswith(DASH + name + " "):
                continue
            blob = base64.b64decode(line.split(" ")[2])
            if len(blob) != 76 or blob[:4] != key_id:
                continue
            when = int.from_bytes(blob[4:12], "big")
            message = f"cosignature/v1\ntime {when}\n{body}".encode()
            try:
                Ed25519PublicKey.from_public_bytes(public).verify(blob[12:], message)
            except InvalidSignature:
                continue
            found[name] = when
    return found


def log_vkey(name: str, key: Ed25519PrivateKey) -> str:
    """A log's signed-note verifier key (type 0x01)."""
    public = key.public_key().public_bytes_raw()
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    material = base64.b64encode(b"\x01" + public).decode()
    return f"{name}+{key_id.hex()}+{material}"


def log_signers(note: str, vkeys: list[str]) -> list[str]:
    """Which log keys (type 0x01) among ``vkeys`` validly signed ``note``, as vkeys."""
    body, _, signatures = note.rpartition("\n\n")
    body += "\n"
    found = []
    for vkey in vkeys:
        name, key_id, kind, public = parse_vkey(vkey)
        assert kind == 0x01
        assert hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4] == key_id
        for line in signatures.splitlines():
            if not line.startswith(DASH + name + " "):
                continue
            blob = base64.b64decode(line.split(" ")[-1])
            if blob[:4] != key_id:
                continue
            try:
                Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], body.encode())
            except InvalidSignature:
                continue
            found.append(vkey)
    return found


def sign_note(body: str, name: str, key: Ed25519PrivateKey) -> str:
    """A signed note of ``body`` by a log key (type 0x01)."""
    public = key.public_key().public_bytes_raw()
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    signature = base64.b64encode(key_id + key.sign(body.encode())).decode()
    return f"{body}\n{DASH}{name} {signature}\n"


def leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 2.1 Merkle Tree Hash of leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node(mth(leaves[:k]), mth(leaves[k:]))


def consistency(m: int, leaves: list[bytes], whole: bool = True) -> list[bytes]:
    """RFC 6962 2.1.2 SUBPROOF(m, D[n], true)."""
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*consistency(m, leaves[:k], whole), mth(leaves[k:])]
    return [*consistency(m - k, leaves[k:], False), mth(leaves[:k])]


class FakeLog:
    """A log the tests play: entries, an Ed25519 key, signed checkpoints and proofs."""

    def __init__(self, origin: str = "log.example/test") -> None:
        self.origin = origin
        self.key = Ed25519PrivateKey.generate()
        self.leaves: list[bytes] = []

    @property
    def vkey(self) -> str:
        return log_vkey(self.origin, self.key)

    def append(self, count: int, tag: str = "") -> None:
        start = len(self.leaves)
        self.leaves += [leaf(f"{tag}entry {start + i}".encode()) for i in range(count)]

    def checkpoint(self, size: int | None = None, root: bytes | None = None) -> str:
        size = len(self.leaves) if size is None else size
        root = mth(self.leaves[:size]) if root is None else root
        body = f"{self.origin}\n{size}\n{base64.b64encode(root).decode()}\n"
        return sign_note(body, self.origin, self.key)

    def request(self, old: int, size: int | None = None, root: bytes | None = None) -> bytes:
        size = len(self.leaves) if size is None else size
        return self._request(old, size, self.checkpoint(size, root))

    def announcement(self, new_key: Ed25519PrivateKey, *, signers: list[Ed25519PrivateKey]) -> str:
        """The current tree with the ``accord-next-key`` extension naming ``new_key``, signed by
        each of ``signers`` (the old key and the new one, for an honest rotation)."""
        root = base64.b64encode(mth(self.leaves)).decode()
        next_key = log_vkey(self.origin, new_key)
        body = f"{self.origin}\n{len(self.leaves)}\n{root}\naccord-next-key {next_key}\n"
        lines = [sign_note(body, self.origin, key)[len(body) + 1 :] for key in signers]
        return body + "\n" + "".join(lines)

    def request_with(self, old: int, checkpoint: str) -> bytes:
        """An add-checkpoint request for a checkpoint note of the current tree."""
        return self._request(old, len(self.leaves), checkpoint)

    def _request(self, old: int, size: int, checkpoint: str) -> bytes:
        proof = consistency(old, self.leaves[:size]) if 0 < old < size else []
        lines = [f"old {old}\n", *(base64.b64encode(h).decode() + "\n" for h in proof), "\n"]
        return ("".join(lines) + checkpoint).encode()
