"""GnuPG, the reference OpenPGP implementation, signing security.txt files for the tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class GnuPG:
    """A throw-away GnuPG home with one Ed25519 signing key."""

    def __init__(self, home: Path, binary: str) -> None:
        self.home = home
        self.binary = binary
        self.env = {**os.environ, "GNUPGHOME": str(home)}

    def run(self, *args: str, data: bytes = b"") -> bytes:
        """Run gpg in this home; its standard output."""
        done = subprocess.run(
            [self.binary, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", *args],
            input=data,
            capture_output=True,
            env=self.env,
            check=True,
            timeout=60,
        )
        return done.stdout

    def clearsign(self, text: str) -> str:
        """``text`` as an OpenPGP cleartext-signed message (RFC 4880 section 7)."""
        return self.run("--clearsign", "--digest-algo", "SHA512", data=text.encode()).decode()

    def verified_text(self, signed: str) -> str:
        """The text gpg verifies in a signed message (it fails if the signature does not)."""
        return self.run("--decrypt", data=signed.encode()).decode()


@contextmanager
def gnupg() -> Iterator[GnuPG]:
    """A GnuPG home with a new key, removed (agent included) afterwards."""
    binary = shutil.which("gpg")
    if binary is None:
        raise FileNotFoundError("gpg is not installed (Debian package gnupg)")
    # Short path: the agent's socket lives in the home, and socket paths are limited.
    home = Path(tempfile.mkdtemp(prefix="gpg", dir="/tmp"))
    home.chmod(0o700)
    gpg = GnuPG(home, binary)
    try:
        gpg.run("--quick-gen-key", "Accord test <security@example.com>", "ed25519", "sign", "1d")
        yield gpg
    finally:
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"], env=gpg.env, capture_output=True, check=False
        )
        shutil.rmtree(home, ignore_errors=True)
