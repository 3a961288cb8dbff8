"""Two hubs over HTTPS: hub B publishes advisories as a CSAF trusted provider (uvicorn with a
certificate from a local CA made by ``trustme``), hub A aggregates it: hashes and B's OpenPGP
signatures checked, B's advisories shown on A; a document tampered on the way and one with a
signature by another key are refused at A, each with its reason, and counted."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import importer
from accord.aggregation import passes, services
from accord.aggregation.models import CsafDocument, CsafFailure
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade
from accord.identity.policy import SYSTEM
from accord.web.app import create_app
from tests.advisories.conftest import record
from tests.aggregation.provider import new_key, sign
from tests.flows.conftest import _free_port

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]


class Tamper:
    """An ASGI wrapper changing the body of chosen paths: storage or a hop gone bad."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.rules: dict[str, Callable[[bytes], bytes]] = {}

    async def __call__(self, scope: Message, receive: Any, send: Send) -> None:
        change = self.rules.get(scope.get("path", "")) if scope["type"] == "http" else None
        if change is None:
            await self.app(scope, receive, send)
            return
        start: Message = {}
        body = bytearray()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            new = change(bytes(body))
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(new)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": new})

        await self.app(scope, receive, capture)


@contextmanager
def serving_tls(app: Any, ca: trustme.CA, folder: Path, port: int) -> Iterator[str]:
    """``app`` served over HTTPS on loopback ``port`` with a certificate ``ca`` issued."""
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            ssl_certfile=str(cert_file), ssl_keyfile=str(key_file))  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("hub B did not start")
        time.sleep(0.02)
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def ca(tmp_path: Path) -> tuple[trustme.CA, Path]:
    """A local CA, and its certificate as a file hub A trusts."""
    authority = trustme.CA()
    path = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return authority, path


def _hub_b(tmp_path: Path, port_hint: str) -> tuple[Settings, sessionmaker[Session], Any]:
    settings = Settings(
        data_dir=tmp_path / "hub-b",
        base_url=port_hint,
        worker_in_process=False,
        taxii_drainer_at_start=False,
        hub_name="Hub B",
    )
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    folder = tmp_path / "b-records"
    folder.mkdir()
    for number in (1, 2, 3):
        content = record(f"PYSEC-2024-{number}", summary=f"Hub B advisory {number}",
                         aliases=[f"CVE-2024-000{number}"])  # fmt: skip
        (folder / f"{number}.json").write_text(json.dumps(content))
    importer.run(factory, str(folder), actor=SYSTEM, settings=settings)
    return settings, factory, engine


def test_hub_a_aggregates_hub_b_over_https_and_refuses_what_was_tampered(
    tmp_path: Path,
    ca: tuple[trustme.CA, Path],
    local_settings: Settings,
    session_factory: sessionmaker[Session],
    db: Session,
    client: TestClient,
) -> None:
    authority, ca_file = ca
    port = _free_port()
    base_b = f"https://127.0.0.1:{port}"
    settings_b, _factory_b, engine_b = _hub_b(tmp_path, base_b)
    tamper = Tamper(create_app(settings_b, engine=engine_b))
    settings_a = local_settings.model_copy(update={"csaf_ca_file": ca_file})
    context = ssl.create_default_context(cafile=str(ca_file))
    with (
        serving_tls(tamper, authority, tmp_path, port) as url,
        httpx.Client(verify=context) as trusting,
    ):
        assert url == base_b
        index = trusting.get(f"{url}/.well-known/csaf/white/index.txt").text.split()
        assert len(index) == 3
        paths = {p: f"/.well-known/csaf/white/{p}" for p in index}
        _first, second, third = sorted(paths)
        # Second document: its bytes changed after B hashed and signed them.
        tamper.rules[paths[second]] = lambda body: body.replace(
            b"Hub B advisory", b"Hub X advisory"
        )
        # Third: served whole, with a signature made by a key that is not B's.
        body = trusting.get(f"{url}{paths[third]}").content
        forged = sign(new_key(), body)
        tamper.rules[paths[third] + ".asc"] = lambda _body: forged
        b_key = trusting.get(f"{url}/.well-known/csaf/provider-metadata.json").json()[
            "public_openpgp_keys"][0]["fingerprint"].upper()  # fmt: skip

        with unit_of_work(session_factory) as session:
            provider = services.register(session, actor=SYSTEM, settings=settings_a, given=url)
            provider_id = provider.id
        summary = passes.run(session_factory, provider_id=provider_id, settings=settings_a)

    assert (summary.listed, summary.stored, summary.failed) == (3, 1, 2)
    kept = db.scalars(select(CsafDocument).where(CsafDocument.provider_id == provider_id)).all()
    assert [k.signature_status for k in kept] == ["verified"]
    assert kept[0].signature_key == b_key
    failures = {f.url.rsplit("/", 1)[1]: f for f in db.scalars(select(CsafFailure)).all()}
    tampered, forged_one = failures[second.rsplit("/", 1)[1]], failures[third.rsplit("/", 1)[1]]
    assert tampered.code == "hash_mismatch"
    assert "SHA256 is not the one the provider published" in tampered.reason
    assert forged_one.code == "signature"
    assert "does not verify with the provider's keys" in forged_one.reason
    osv_id = json.loads(kept[0].document)["document"]["tracking"]["id"]
    db.rollback()
    # Hub A shows hub B's advisory, with where it came from and whose key signed it.
    page = client.get(f"/advisories/{osv_id}")
    assert page.status_code == 200
    assert "Hub B advisory" in page.text
    assert f"verified with the provider's OpenPGP key <code>{b_key}</code>" in page.text
    engine_b.dispose()
