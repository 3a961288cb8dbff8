"""Secrets the hub must use again later, kept sealed: a single sign-on provider's client
secret and refresh tokens, and the TOTP secrets it shares with people's authenticator apps.

Fernet (AES-128-CBC with HMAC-SHA256) under a key file in the data directory, made once
and 0600 like the hub's other keys: a copy of the database alone gives away neither an
organization's client secret nor the codes of anyone's second factor.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from accord import keyfiles
from accord.config import Settings
from accord.errors import ConfigError


def key_path(settings: Settings) -> Path:
    """Where the sealing key lives."""
    return settings.data_dir / "sealing.key"


def _fernet(settings: Settings) -> Fernet:
    key = keyfiles.load_or_create(key_path(settings), Fernet.generate_key, what="sealing key")
    return Fernet(key.strip())


def seal(settings: Settings, secret: str) -> str:
    """``secret`` sealed for storage."""
    return _fernet(settings).encrypt(secret.encode()).decode("ascii")


def unseal(settings: Settings, sealed: str) -> str:
    """The secret back; a key that does not open it is a configuration fault."""
    try:
        return _fernet(settings).decrypt(sealed.encode("ascii")).decode()
    except InvalidToken:
        raise ConfigError(f"{key_path(settings)} does not open a stored secret") from None
