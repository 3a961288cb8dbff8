"""Secrets: argon2id password hashing and random bearer secrets stored as SHA-256.

Passwords are low-entropy and need a slow hash (argon2id, RFC 9106 parameters from
argon2-cffi's defaults). Tokens, session ids and one-time links are 256-bit random values:
a fast SHA-256 is enough to make a stolen database useless, and lets us look them up by hash.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile


@functools.cache
def _dummy_hash() -> str:
    # A real hash, checked when the user does not exist, so both paths cost the same time.
    # Made on first use, not at import: a hash costs ~0.1 s that every CLI command would pay.
    return _hasher.hash("accord-timing-equaliser")


MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; constant work when there is no hash to check."""
    try:
        matches = _hasher.verify(password_hash or _dummy_hash(), password)
        return matches and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def new_secret(prefix: str) -> str:
    """A new random bearer secret, ``prefix`` + 43 URL-safe characters (256 bits)."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The hex SHA-256 under which a bearer secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(a.encode(), b.encode())
