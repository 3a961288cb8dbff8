"""A real OpenID Connect provider for the single sign-on tests: panva/oidc-provider on Node.js.

The package is installed with ``npm ci`` from the committed lock file into a folder outside
the checkout (one per lock file's digest, under a file lock so that pytest-xdist workers
install it once). Without node or npm the tests skip, except under ``ACCORD_REQUIRE_BROWSER``
(CI), where they fail. The test makes the provider's signing key, so that it can also sign
tokens the provider would never issue (a wrong issuer or audience) and check that the hub
refuses them for that reason and no other.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import RSAKey

SOURCE = Path(__file__).parent.parent / "oidc_provider"
CLIENT_ID = "accord-hub"
CLIENT_SECRET = "a-client-secret-only-the-hub-and-the-provider-know"
REDIRECT_URI = "http://testserver/login/sso/callback"


def _unavailable(reason: str) -> None:
    if os.environ.get("ACCORD_REQUIRE_BROWSER"):
        pytest.fail(f"ACCORD_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


def install() -> Path:
    """The provider's folder with its node_modules, installed once per lock file."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable(
            "node and npm are needed to run the OpenID Connect provider (apt-get install npm)"
        )
    lock = (SOURCE / "package-lock.json").read_bytes()
    target = (
        Path(tempfile.gettempdir())
        / f"accord-test-oidc-provider-{hashlib.sha256(lock).hexdigest()[:16]}"
    )
    target.mkdir(exist_ok=True)
    with open(target / ".lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        for name in ("package.json", "package-lock.json", "provider.mjs"):
            shutil.copyfile(SOURCE / name, target / name)
        if not (target / "node_modules" / "oidc-provider").exists():
            done = subprocess.run(
                [str(npm), "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                cwd=target,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if done.returncode != 0:
                _unavailable(f"npm ci of the OpenID Connect provider failed: {done.stderr[-500:]}")
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Provider:
    """A running provider: its issuer, its signing key and its directory of people."""

    issuer: str
    key: RSAKey
    process: subprocess.Popen[str]

    def people(self, accounts: dict[str, dict[str, Any]]) -> None:
        """Replace the provider's directory: ``{sub: {"email", "email_verified"}}``."""
        response = httpx.put(f"{self.issuer}/_directory", content=json.dumps(accounts))
        assert response.status_code == 204

    def sign(self, claims: dict[str, Any], *, alg: str = "RS256") -> str:
        """A token signed with the provider's own key, as it would never issue it."""
        header = {"alg": alg, "kid": self.key.kid, "typ": "JWT"}
        return jws.serialize_compact(header, json.dumps(claims).encode(), self.key)


def start(folder: Path, *, redirect_uri: str = REDIRECT_URI) -> Provider:
    """Start a provider on a free loopback port; wait until it answers discovery. Its one
    client is the hub, sent back to ``redirect_uri``."""
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    key = RSAKey.generate_key(2048, parameters={"kid": f"k{port}", "use": "sig", "alg": "RS256"})
    config = {
        "port": port,
        "issuer": issuer,
        "jwks": {"keys": [key.as_dict(private=True)]},
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [redirect_uri],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
            }
        ],
        "accounts": {},
    }
    config_file = folder / f"config-{port}.json"
    config_file.write_text(json.dumps(config))
    process = subprocess.Popen(
        ["node", "provider.mjs", str(config_file)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                return Provider(issuer=issuer, key=key, process=process)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the OpenID Connect provider did not start")


def stop(provider: Provider) -> None:
    """Stop the provider process this test module started."""
    provider.process.terminate()
    provider.process.wait(timeout=10)
