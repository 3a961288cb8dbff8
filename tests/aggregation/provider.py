"""A CSAF trusted provider served by a local test server: metadata, key, a directory with
``changes.csv`` and ``index.txt``, documents with their hashes and signatures."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pysequoia

from tests.registry.servers import Route, StaticServer

BASE = "/.well-known/csaf"


def new_key() -> pysequoia.Tsk:
    """A fresh OpenPGP key, as a provider would have."""
    return pysequoia.Tsk.generate(
        "Test provider <psirt@provider.example>",
        profile=pysequoia.Profile.RFC4880,
        cipher_suite=pysequoia.CipherSuite.Cv25519,
    )


def sign(key: pysequoia.Tsk, data: bytes) -> bytes:
    """A detached armored signature."""
    return bytes(
        pysequoia.sign(key.signer(), data, mode=pysequoia.SignatureMode.DETACHED, armor=True)
    )


class Provider:
    """Routes of one provider on ``server``; ``publish`` adds or replaces a document."""

    def __init__(self, server: StaticServer, key: pysequoia.Tsk | None = None) -> None:
        self.server = server
        self.key = key or new_key()
        self.changes: dict[str, datetime] = {}
        cert = self.key.extract_certificate()
        self.fingerprint = cert.fingerprint.upper()
        server.route(f"{BASE}/openpgp/{self.fingerprint}.asc", Route(str(cert).encode()))
        self.metadata_url = server.route(
            f"{BASE}/provider-metadata.json",
            Route(json.dumps(self.metadata()).encode(), content_type="application/json"),
        )
        self._lists()

    def metadata(self) -> dict[str, Any]:
        """Provider metadata valid against the official schema."""
        return {
            "canonical_url": self.server.url(f"{BASE}/provider-metadata.json"),
            "distributions": [{"directory_url": self.server.url(f"{BASE}/white")}],
            "last_updated": "2024-01-01T00:00:00.000Z",
            "list_on_CSAF_aggregators": True,
            "metadata_version": "2.0",
            "mirror_on_CSAF_aggregators": True,
            "public_openpgp_keys": [
                {
                    "fingerprint": self.fingerprint,
                    "url": self.server.url(f"{BASE}/openpgp/{self.fingerprint}.asc"),
                }
            ],
            "publisher": {
                "category": "vendor",
                "name": "Example Provider PSIRT",
                "namespace": "https://provider.example",
            },
            "role": "csaf_trusted_provider",
        }

    def publish(
        self,
        path: str,
        body: bytes,
        *,
        when: datetime | None = None,
        sha256: str | None = None,
        signature: bytes | None = None,
        route: Route | None = None,
    ) -> str:
        """Serve ``body`` at ``white/<path>`` with its hashes and signature (or the ones
        given, for tampering), and list it in changes.csv and index.txt."""
        url = f"{BASE}/white/{path}"
        self.server.route(url, route or Route(body, content_type="application/json"))
        digest = sha256 or hashlib.sha256(body).hexdigest()
        name = path.rsplit("/", 1)[-1]
        self.server.route(f"{url}.sha256", Route(f"{digest}  {name}\n".encode()))
        sha512 = hashlib.sha512(body).hexdigest()
        self.server.route(f"{url}.sha512", Route(f"{sha512}  {name}\n".encode()))
        self.server.route(f"{url}.asc", Route(signature or sign(self.key, body)))
        self.changes[path] = when or datetime.now(UTC)
        self._lists()
        return self.server.url(url)

    def _lists(self) -> None:
        rows = sorted(self.changes.items(), key=lambda item: item[1], reverse=True)
        csv = "".join(f'"{p}","{t.strftime("%Y-%m-%dT%H:%M:%SZ")}"\n' for p, t in rows)
        self.server.route(f"{BASE}/white/changes.csv", Route(csv.encode()))
        index = "".join(f"{p}\n" for p, _ in rows)
        self.server.route(f"{BASE}/white/index.txt", Route(index.encode()))
