"""The hub's OpenPGP key for CSAF: detached signatures (CSAF 2.0 requirements 19 and 20).

Every CSAF document the provider serves has a detached, ASCII-armored OpenPGP signature
(RFC 4880) beside it, ``<file>.json.asc``, over the exact bytes served. The hub makes its
key at first use with Sequoia-PGP (``pysequoia``): an Ed25519 primary key for
certification, an Ed25519 signing subkey (and the X25519 encryption subkey Sequoia adds),
version 4 packets so that GnuPG 2.2 and the CSAF tools read them, no expiry. The secret key
is an armored file in the data directory readable by the hub alone (0600), created
race-free; its public part is served under ``/.well-known/csaf/openpgp/`` and named by
fingerprint in the provider metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pysequoia

from accord import keyfiles
from accord.config import Settings
from accord.errors import ConfigError

KEY_FILE = "csaf-openpgp-key.asc"


@dataclass(frozen=True)
class PublicKey:
    """The public part of the hub's key: its fingerprint (upper-case hex) and armored text."""

    fingerprint: str
    armored: str

    @property
    def filename(self) -> str:
        """The file it is served as: ``<FINGERPRINT>.asc``."""
        return f"{self.fingerprint}.asc"


def key_path(settings: Settings) -> Path:
    """Where the hub's secret OpenPGP key lives."""
    return settings.data_dir / KEY_FILE


def public_key(settings: Settings) -> PublicKey:
    """The hub's public key, making the key pair on first use."""
    cert = _secret_key(settings).extract_certificate()
    return PublicKey(cert.fingerprint.upper(), str(cert))


def sign(settings: Settings, text: str) -> str:
    """A detached, armored signature over the UTF-8 bytes of ``text``."""
    signer = _secret_key(settings).signer()
    signature = pysequoia.sign(
        signer, text.encode("utf-8"), mode=pysequoia.SignatureMode.DETACHED, armor=True
    )
    return signature.decode("ascii")


def _secret_key(settings: Settings) -> pysequoia.Tsk:
    path = key_path(settings)
    armored = keyfiles.load_or_create(path, lambda: _new_key(settings), what="CSAF OpenPGP key")
    return _parse(armored, str(path))


@lru_cache(maxsize=4)
def _parse(armored: bytes, path: str) -> pysequoia.Tsk:
    # Parsing is cached by content: each request reads the small file, never a stale key.
    try:
        key = pysequoia.Tsk.from_bytes(armored)
    except Exception as exc:  # pysequoia raises plain exceptions for malformed keys
        raise ConfigError(f"{path} does not hold an OpenPGP secret key: {exc}") from None
    return key


def _new_key(settings: Settings) -> bytes:
    user_id = f"{settings.hub_name} CSAF signing key ({settings.public_url})"
    key = pysequoia.Tsk.generate(
        user_id,
        profile=pysequoia.Profile.RFC4880,
        cipher_suite=pysequoia.CipherSuite.Cv25519,
    )
    return str(key).encode("ascii")
