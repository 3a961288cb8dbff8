"""The hub's log signing key: Ed25519, made at first use, kept in the data directory.

The private key is a PKCS#8 PEM file readable by the hub's user alone (0600). It is created
race-free by :mod:`accord.keyfiles`, and it is never logged or printed.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord import keyfiles
from accord.config import Settings
from accord.errors import ConfigError
from accord.transparency.cosignature import Cosigner
from accord.transparency.note import Signer

KEY_FILE = "transparency-log-ed25519.pem"
# A key rotation (accord.transparency.rotation) prepares the next key here, and promotes it to
# KEY_FILE once the announcement has committed; the replaced key is kept as RETIRED_FILE.
NEXT_KEY_FILE = "transparency-log-ed25519.next.pem"
RETIRED_FILE = "transparency-log-ed25519.{key_id}.retired.pem"  # key_id: public key prefix
# C2SP tlog-cosignature: a cosigner's key must not be one that signs anything else.
WITNESS_KEY_FILE = "transparency-witness-ed25519.pem"


def key_path(settings: Settings) -> Path:
    """Where the signing key lives."""
    return settings.data_dir / KEY_FILE


def origin_for(settings: Settings) -> str:
    """The log's origin line: the hub's public address without its scheme, plus ``/log``."""
    address = settings.public_url.split("://", 1)[-1].rstrip("/")
    return f"{address}/log"


def witness_name(settings: Settings) -> str:
    """The hub's name as a witness: its public address without its scheme, plus ``/witness``."""
    address = settings.public_url.split("://", 1)[-1].rstrip("/")
    return f"{address}/witness"


def load_cosigner(settings: Settings) -> Cosigner:
    """The hub's witness key (its own file, 0600), creating it on first use."""
    path = settings.data_dir / WITNESS_KEY_FILE
    pem = keyfiles.load_or_create(path, _new_pem, what="witness signing key")
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} does not hold an Ed25519 private key")
    return Cosigner(witness_name(settings), key)


def load_signer(settings: Settings, name: str) -> Signer:
    """The hub's signer under ``name`` (the log's origin), creating the key on first use."""
    return Signer(name, _load_or_create(key_path(settings)))


def _load_or_create(path: Path) -> Ed25519PrivateKey:
    pem = keyfiles.load_or_create(path, _new_pem, what="log signing key")
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} does not hold an Ed25519 private key")
    return key


def _new_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def next_path(settings: Settings) -> Path:
    """Where a rotation's next key waits for its announcement to commit."""
    return settings.data_dir / NEXT_KEY_FILE


def prepare_next(settings: Settings, name: str) -> Signer:
    """The next signing key (made now, or the one a rotation prepared before and left)."""
    return Signer(name, _load_or_create(next_path(settings)))


def next_key(settings: Settings) -> Signer | None:
    """The prepared next key, if a rotation left one (under a placeholder name)."""
    if not next_path(settings).exists():
        return None
    return Signer("next", _load_or_create(next_path(settings)))


def promote_next(settings: Settings) -> None:
    """Make the prepared key the signing key; keep the replaced one as a retired file."""
    current = _load_or_create(key_path(settings))
    retired_id = current.public_key().public_bytes_raw().hex()[:16]
    retired = settings.data_dir / RETIRED_FILE.format(key_id=retired_id)
    if not retired.exists():
        os.link(key_path(settings), retired)
    os.replace(next_path(settings), key_path(settings))
    directory = os.open(settings.data_dir, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
