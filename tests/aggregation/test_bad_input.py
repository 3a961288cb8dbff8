"""Bad input from a provider, all in one pass with the outbound rules in force (non-public
addresses refused; only the test server's loopback address is let through): a document of
1 GB, a redirect to a private address, a feed that loops and one that lists a document over
and over, a document with a wrong hash, and a document that fails while it is being stored.
Each is refused with its reason, the pass goes on with the next, and nothing is stored half."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accord import outbound
from accord.advisories.models import Advisory, AdvisoryVersion
from accord.aggregation import intake, passes, services
from accord.aggregation.models import CsafDocument, CsafFailure
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from tests.aggregation.conftest import EXAMPLES
from tests.aggregation.provider import BASE, Provider
from tests.registry.servers import Route, StaticServer

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
GOOD = ("rhsa-2021_5217.json", "cisco-sa-20180328-smi2.json")
HALF = "bsi-2022-0001.json"  # passes every check, then fails while being stored


@pytest.fixture
def strict(local_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Non-public addresses refused, the test server's 127.0.0.1 taken as public."""
    real = outbound.public_address

    def public(host: str, port: int) -> str:
        return "127.0.0.1" if host == "127.0.0.1" else real(host, port)

    monkeypatch.setattr(outbound, "public_address", public)
    return local_settings.model_copy(
        update={"outbound_allow_private_addresses": False, "csaf_max_document_bytes": 200_000}
    )


def _with_looping_feed(server: StaticServer, provider: Provider) -> str:
    """The metadata gains a ROLIE feed that redirects to itself, forever."""
    loop = f"{BASE}/white/loop-feed.json"
    server.route(loop, Route(b"", status=302, headers={"Location": loop}))
    metadata: dict[str, Any] = provider.metadata()
    feed = {"summary": "loops", "tlp_label": "WHITE", "url": server.url(loop)}
    metadata["distributions"].append({"rolie": {"feeds": [feed]}})
    body = json.dumps(metadata).encode()
    server.route(f"{BASE}/provider-metadata.json", Route(body, content_type="application/json"))
    return server.url(loop)


def test_each_bad_input_is_refused_with_its_reason_and_the_pass_goes_on(
    session_factory: sessionmaker[Session],
    db: Session,
    strict: Settings,
    https_server: StaticServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider = Provider(https_server)
    when = iter(T0 + timedelta(minutes=n) for n in range(20))
    # Each bad one listed before a good one, so that "goes on with the next" is seen.
    provider.publish("2024/huge.json", b"{}", when=next(when), route=Route(
        b"{}", headers={"Content-Length": str(1 << 30)}, send_length=False))  # fmt: skip
    provider.publish(f"2024/{GOOD[0]}", (EXAMPLES / GOOD[0]).read_bytes(), when=next(when))
    provider.publish("2024/private.json", b"{}", when=next(when), route=Route(
        b"", status=302, headers={"Location": "https://10.1.2.3/doc.json"}))  # fmt: skip
    wrong = (EXAMPLES / "csaf_vex" / "2022-evd-uc-01-f-001.json").read_bytes()
    provider.publish("2024/wrong-hash.json", wrong, when=next(when),
                     sha256=hashlib.sha256(b"another document").hexdigest())  # fmt: skip
    provider.publish(f"2024/{HALF}", (EXAMPLES / HALF).read_bytes(), when=next(when))
    provider.publish(f"2024/{GOOD[1]}", (EXAMPLES / GOOD[1]).read_bytes(), when=next(when))
    # changes.csv listing one document again and again: read once.
    rows = [f'"{path}","{at:%Y-%m-%dT%H:%M:%SZ}"\n' for path, at in provider.changes.items()]
    again = f'"2024/{GOOD[0]}","{T0:%Y-%m-%dT%H:%M:%SZ}"\n' * 500
    https_server.route(f"{BASE}/white/changes.csv", Route(("".join(rows) + again).encode()))
    loop_url = _with_looping_feed(https_server, provider)

    real_keep = intake._keep
    half: list[str] = []

    def keep_fails_for_half(db: Session, advisory: Advisory, content: Any, *args: Any) -> None:
        if content["document"]["tracking"]["id"] == "BSI-2022-0001":
            # The advisory and its version are flushed by now: the savepoint must undo them.
            assert db.scalar(select(Advisory.id).where(Advisory.osv_id == advisory.osv_id))
            half.append(advisory.osv_id)
            raise intake.Refused("the disk filled up while keeping the document")
        real_keep(db, advisory, content, *args)

    monkeypatch.setattr(intake, "_keep", keep_fails_for_half)
    with unit_of_work(session_factory) as session:
        provider_id = services.register(
            session, actor=SYSTEM, settings=strict, given=provider.metadata_url
        ).id
    summary = passes.run(session_factory, provider_id=provider_id, settings=strict)

    assert (summary.listed, summary.stored) == (6, 2)
    assert summary.failed == 5  # four documents, one feed
    failures = {
        f.url.rsplit("/", 1)[1]: (f.code, f.reason)
        for f in db.scalars(select(CsafFailure).where(CsafFailure.provider_id == provider_id))
    }
    assert {name: code for name, (code, _) in failures.items()} == {
        "huge.json": "too_large",
        "private.json": "internal_address",
        "wrong-hash.json": "hash_mismatch",
        HALF: "not_stored",
        "loop-feed.json": "too_many_redirects",
    }
    assert f"{1 << 30} bytes; the limit is 200000" in failures["huge.json"][1]
    assert "10.1.2.3" in failures["private.json"][1]
    assert "not the one the provider published" in failures["wrong-hash.json"][1]
    assert failures[HALF][1] == "the disk filled up while keeping the document"
    assert failures["loop-feed.json"][1].startswith("the feed: ")
    assert loop_url.endswith("loop-feed.json")
    # The private address was never connected to: the refusal came before any request.
    assert https_server.requests.count("/.well-known/csaf/white/2024/private.json") == 1
    assert sum(p.endswith(f"/{GOOD[0]}") for p in https_server.requests) == 1

    # Nothing half: the good ones whole, nothing at all of the others.
    kept = db.scalars(select(CsafDocument).where(CsafDocument.provider_id == provider_id)).all()
    assert sorted(k.tracking_id for k in kept) == ["RHSA-2021:5217", "cisco-sa-20180328-smi2"]
    assert db.scalar(select(func.count()).select_from(Advisory)) == 2
    assert db.scalar(select(func.count()).select_from(AdvisoryVersion)) == 2
    assert len(half) == 1
    assert db.scalar(select(Advisory.id).where(Advisory.osv_id == half[0])) is None
