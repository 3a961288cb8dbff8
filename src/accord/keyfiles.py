"""The hub's private key files in the data directory: made once, readable by the hub alone.

A key file is created race-free: written to a private temporary file (0600), then
hard-linked into place, so that two hub processes starting together end up with the same
key. A key file open to others is refused rather than used.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from accord.errors import ConfigError


def load_or_create(path: Path, make: Callable[[], bytes], *, what: str) -> bytes:
    """The bytes of the key file at ``path``, made by ``make()`` if it does not exist yet."""
    if not path.exists():
        create(path, make())
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"the {what} {path} is open to others; chmod 600 it")
    return path.read_bytes()


def create(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` (0600) unless another process wrote it first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        # Fails if another process made the key first: then theirs is the key.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
