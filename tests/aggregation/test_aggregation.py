"""The hub as a CSAF aggregator: a provider on a local HTTPS server (throw-away CA),
registered on the operators' page, read by the ``aggregation.pass`` job's pass; good
documents stored with verified signatures, each bad one refused with its reason, counted,
and shown; only changed documents downloaded again; aggregator.json valid against the
official aggregator schema."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from referencing import Resource
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from accord import outbound
from accord.aggregation import passes, services
from accord.aggregation.fetching import Fetcher, FetchFailed
from accord.aggregation.models import CsafDocument, CsafFailure, CsafProvider
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from tests import thirdparty
from tests.advisories.formats.support import csaf_registry
from tests.aggregation.conftest import EXAMPLES, MANDATORY
from tests.aggregation.provider import Provider, new_key, sign
from tests.factories import Factories, csrf_of
from tests.outbound_holds import probing
from tests.registry.servers import Route, StaticServer

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
GOOD = ("rhsa-2021_5217.json", "cisco-sa-20180328-smi2.json", "bsi-2022-0001.json")


def _aggregator_validator() -> Draft202012Validator:
    folder = thirdparty.CSAF_DIR / "json_schema"
    provider = json.loads((folder / "provider_json_schema.json").read_text())
    registry = csaf_registry().with_resource(provider["$id"], Resource.from_contents(provider))
    return Draft202012Validator(
        json.loads((folder / "aggregator_json_schema.json").read_text()),
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _operator(client: TestClient, make: Factories) -> None:
    make.session(client, make.user(operator=True))


def _register(client: TestClient, given: str) -> int:
    page = client.get("/admin/csaf-providers")
    assert page.status_code == 200
    answer = client.post(
        "/admin/csaf-providers",
        data={"csrf_token": csrf_of(page.text), "given": given, "mode": "aggregated"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])


def _failures(db: Session) -> dict[str, tuple[str, str | None, str]]:
    db.rollback()
    rows = db.scalars(select(CsafFailure)).all()
    found = {r.url.rsplit("/", 1)[1]: (r.code, r.test, r.reason) for r in rows}
    db.rollback()
    return found


def test_a_provider_is_aggregated_checked_and_mirrored(
    client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    db: Session,
    local_settings: Settings,
    https_server: StaticServer,
) -> None:
    provider = Provider(https_server)
    for index, name in enumerate(GOOD):
        provider.publish(f"2024/{name}", (EXAMPLES / name).read_bytes(),
                         when=T0 + timedelta(minutes=index))  # fmt: skip
    wrong = (EXAMPLES / "csaf_vex" / "2022-evd-uc-01-f-001.json").read_bytes()
    # Tampered after its hash was published.
    provider.publish("2024/tampered.json", wrong.replace(b"Example Company", b"Evil Company"),
                     sha256=hashlib.sha256(wrong).hexdigest(), when=T0)  # fmt: skip
    # Signed by somebody else's key.
    other = (EXAMPLES / "csaf_vex" / "2022-evd-uc-02-na-001.json").read_bytes()
    provider.publish("2024/forged.json", other, signature=sign(new_key(), other), when=T0)
    # Fails mandatory test 6.1.1 (a product id used but never defined).
    invalid = (MANDATORY / "oasis_csaf_tc-csaf_2_0-2021-6-1-01-01.json").read_bytes()
    provider.publish("2024/invalid.json", invalid, when=T0)
    # One gigabyte, by its declared length: refused before a byte of it is read.
    provider.publish("2024/huge.json", b"{}", when=T0, route=Route(
        b"{}", headers={"Content-Length": str(1 << 30)}, send_length=False))  # fmt: skip
    # A body past the cap with no declared length: cut while streaming.
    provider.publish("2024/endless.json", b"{}", when=T0, route=Route(
        b"[" * 300_000, send_length=False))  # fmt: skip
    # A redirect loop.
    loop = "/.well-known/csaf/white/2024/loop.json"
    provider.publish("2024/loop.json", b"{}", when=T0,
                     route=Route(b"", status=302, headers={"Location": loop}))  # fmt: skip

    _operator(client, make)
    provider_id = _register(client, https_server.url(""))  # a domain-like base: the well-known
    settings = local_settings.model_copy(update={"csaf_max_document_bytes": 200_000})
    first = passes.run(session_factory, provider_id=provider_id, settings=settings)
    assert (first.listed, first.stored, first.failed) == (9, 3, 6)
    failures = _failures(db)
    assert {name: code for name, (code, _, _) in failures.items()} == {
        "tampered.json": "hash_mismatch",
        "forged.json": "signature",
        "invalid.json": "mandatory_test",
        "huge.json": "too_large",
        "endless.json": "too_large",
        "loop.json": "too_many_redirects",
    }, failures
    assert failures["invalid.json"][1] == "6.1.1"
    assert "CSAF mandatory test 6.1.1" in failures["invalid.json"][2]
    assert str(1 << 30) in failures["huge.json"][2]
    kept = db.scalars(select(CsafDocument).where(CsafDocument.provider_id == provider_id)).all()
    assert sorted(d.tracking_id for d in kept) == [
        "BSI-2022-0001", "RHSA-2021:5217", "cisco-sa-20180328-smi2"]  # fmt: skip
    assert {d.signature_status for d in kept} == {"verified"}
    assert {d.signature_key for d in kept} == {provider.fingerprint}
    # Kept byte for byte: the mirror serves what the provider signed.
    rhsa = next(d for d in kept if d.tracking_id == "RHSA-2021:5217")
    assert rhsa.document.encode() == (EXAMPLES / "rhsa-2021_5217.json").read_bytes()
    db.rollback()

    page = client.get("/advisories/RHSA-2021:5217").text
    assert f"verified with the provider's OpenPGP key <code>{provider.fingerprint}</code>" in page
    detail = client.get(f"/admin/csaf-providers/{provider_id}").text
    assert "6 refusals" in detail
    assert "6.1.1" in detail
    assert "3 documents" in detail

    # The mirror: the provider's bytes and signature, checked as the provider's own.
    aggregator = client.get("/.well-known/csaf-aggregator/aggregator.json").json()
    errors = list(_aggregator_validator().iter_errors(aggregator))
    assert errors == []
    assert aggregator["aggregator"]["category"] == "aggregator"
    (entry,) = aggregator["csaf_providers"]
    assert entry["metadata"]["url"] == provider.metadata_url
    mirror_meta = client.get(entry["mirrors"][0].replace("http://testserver", "")).json()
    base = mirror_meta["distributions"][0]["directory_url"].replace("http://testserver", "")
    paths = client.get(f"{base}/index.txt").text.split()
    assert len(paths) == 3
    mirrored = client.get(f"{base}/{rhsa.path}").content
    assert mirrored == (EXAMPLES / "rhsa-2021_5217.json").read_bytes()
    signature = client.get(f"{base}/{rhsa.path}.asc").content
    from accord.aggregation.signatures import verify

    assert verify(mirrored, signature, [k["armored"] for k in _keys(db, provider_id)])

    # A second pass downloads nothing unchanged; a changed document alone is fetched again.
    https_server.requests.clear()
    second = passes.run(session_factory, provider_id=provider_id, settings=settings)
    assert (second.stored, second.unchanged, second.refused_unchanged) == (0, 3, 6)
    assert (second.downloaded, second.failed) == (0, 0)
    assert not any(p.endswith(GOOD) for p in https_server.requests)
    # The refused ones too, unchanged since: not downloaded again (test_refusals.py).
    assert not any(p.endswith("/tampered.json") for p in https_server.requests)
    changed = json.loads((EXAMPLES / GOOD[0]).read_bytes())
    changed["document"]["tracking"]["current_release_date"] = "2024-05-02T00:00:00Z"
    changed["document"]["tracking"]["version"] = "2"
    changed["document"]["tracking"]["revision_history"].append(
        {"date": "2024-05-02T00:00:00Z", "number": "2", "summary": "Second version"}
    )
    provider.publish(f"2024/{GOOD[0]}", json.dumps(changed).encode(), when=T0 + timedelta(days=1))
    https_server.requests.clear()
    third = passes.run(session_factory, provider_id=provider_id, settings=settings)
    assert (third.downloaded, third.stored) == (1, 1)  # the changed one alone
    assert sum(p.endswith(f"/{GOOD[0]}") for p in https_server.requests) == 1
    db.rollback()
    assert db.scalar(select(func.count()).select_from(CsafFailure)) == 6


def _keys(db: Session, provider_id: int) -> list[dict[str, Any]]:
    provider = db.get(CsafProvider, provider_id)
    assert provider is not None
    keys = list(provider.keys)
    db.rollback()
    return keys


def test_a_wrong_url_is_answered_on_the_form_with_what_each_place_said(
    client: TestClient, make: Factories, https_server: StaticServer
) -> None:
    _operator(client, make)
    page = client.get("/admin/csaf-providers")
    answer = client.post(
        "/admin/csaf-providers",
        data={"csrf_token": csrf_of(page.text), "given": https_server.url("/nothing.json")},
    )
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.text
    assert "answered HTTP 404" in answer.text
    assert https_server.url("/nothing.json") in answer.text  # the input is kept


def test_a_redirect_to_a_private_address_is_refused(
    settings: Settings, https_server: StaticServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Strict settings (no private address allowed); the test server's name is taken as
    # public, so that the first hop is fetched and the redirect alone meets the rule.
    real = outbound.public_address

    def public(host: str, port: int) -> str:
        return "127.0.0.1" if host == "provider.test" else real(host, port)

    monkeypatch.setattr(outbound, "public_address", public)
    server_port = https_server.url("/").split(":")[2].split("/")[0]
    https_server.route("/doc.json", Route(b"", status=302,
                       headers={"Location": "https://10.1.2.3/doc.json"}))  # fmt: skip
    strict = settings.model_copy(update={"outbound_allow_private_addresses": False})
    # verify=False: the certificate names 127.0.0.1, not provider.test.
    with Fetcher(strict, verify=False) as fetcher, pytest.raises(FetchFailed) as refused:
        fetcher.get(f"https://provider.test:{server_port}/doc.json")
    assert refused.value.code == "internal_address"
    assert "10.1.2.3" in refused.value.message
    assert https_server.requests == ["/doc.json"]


def test_a_pass_past_its_cap_queues_the_next_one_for_the_rest(
    session_factory: sessionmaker[Session],
    db: Session,
    local_settings: Settings,
    https_server: StaticServer,
) -> None:
    from accord.aggregation import handlers
    from accord.jobs.models import Job, JobState
    from accord.jobs.registry import JobContext

    provider = Provider(https_server)
    for index, name in enumerate(GOOD):
        provider.publish(f"2024/{name}", (EXAMPLES / name).read_bytes(),
                         when=T0 + timedelta(minutes=index))  # fmt: skip
    with unit_of_work(session_factory) as session:
        provider_id = services.register(
            session, actor=SYSTEM, settings=local_settings, given=provider.metadata_url
        ).id
    capped = local_settings.model_copy(update={"csaf_pass_max_downloads": 2})
    context = JobContext(capped, session_factory, session_factory, job_id=0, attempt=1)
    handlers.run_pass(context, {"provider_id": provider_id})
    db.rollback()
    assert db.scalar(select(func.count()).select_from(CsafDocument)) == 2
    queued = db.scalars(
        select(Job).where(Job.kind == "aggregation.pass", Job.state == JobState.QUEUED)
    ).all()
    assert [j.payload for j in queued] == [{"provider_id": provider_id}]
    db.rollback()
    rest = passes.run(session_factory, provider_id=provider_id, settings=capped)
    assert (rest.downloaded, rest.stored, rest.unchanged, rest.remaining) == (1, 1, 2, 0)


def test_no_transaction_is_held_while_the_provider_answers(
    client: TestClient,
    make: Factories,
    engine: Engine,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    https_server: StaticServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Registering reads the metadata before the request's transaction begins, and a pass
    fetches between its short transactions (issue 26): no request to the provider holds one,
    so another write goes through meanwhile."""
    provider = Provider(https_server)
    for index, name in enumerate(GOOD):
        provider.publish(f"2024/{name}", (EXAMPLES / name).read_bytes(),
                         when=T0 + timedelta(minutes=index))  # fmt: skip
    _operator(client, make)
    probe = probing(monkeypatch, engine, session_factory)
    provider_id = _register(client, provider.metadata_url)
    registered = len(probe.seen)
    summary = passes.run(session_factory, provider_id=provider_id, settings=local_settings)
    assert summary.stored == len(GOOD)
    assert registered >= 1
    assert len(probe.seen) > registered
    assert not any(probe.seen)
