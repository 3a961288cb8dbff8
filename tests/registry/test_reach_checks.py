"""Reachability checks: a signatory's disclosure policy and CSAF provider metadata, fetched
from real local servers, every result kept; the scheduled job; the profile page."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import Message
from accord.i18n import translations
from accord.identity.models import Organization, OrgKind
from accord.identity.policy import SYSTEM, Actor
from accord.identity.services import get_org
from accord.jobs.models import Job, JobState
from accord.jobs.registry import JobContext, PermanentFailure, handler_for, load_handlers
from accord.registry import checks, handlers, reach, reach_checks
from accord.registry.models import ReachCheck, SecurityTxtCheck
from accord.registry.securitytxt.fetch import make_client as securitytxt_client
from tests import thirdparty
from tests.factories import Factories
from tests.outbound_holds import probing
from tests.registry.helpers import reread, set_security_txt_url
from tests.registry.samples import security_txt
from tests.registry.servers import Route, StaticServer

OFFICIAL_SCHEMAS = thirdparty.CSAF_DIR / "json_schema"
HTML = "text/html; charset=utf-8"
JSON = "application/json"
POLICY = reach_checks.POLICY_TYPES


def metadata(url: str) -> dict[str, object]:
    """A minimal valid provider-metadata.json (CSAF 2.0 section 7.1.7) at ``url``."""
    return {
        "canonical_url": url,
        "last_updated": "2026-11-01T10:00:00.000Z",
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": False,
        "publisher": {
            "category": "vendor",
            "name": "Acme PSIRT",
            "namespace": "https://acme.example",
        },
        "role": "csaf_provider",
    }


@pytest.fixture
def client_for(trusting: ssl.SSLContext, local_settings: Settings) -> Iterator[httpx.Client]:
    with reach.make_client(local_settings, verify=trusting) as client:
        yield client


def _checked(
    factory: sessionmaker[Session],
    settings: Settings,
    slug: str,
    client: httpx.Client,
    trusting: ssl.SSLContext,
) -> dict[str, ReachCheck]:
    """security.txt first (its Policy and CSAF fields are read), then the two checks."""
    with securitytxt_client(settings, verify=trusting) as first, unit_of_work(factory) as db:
        checks.run(db, org=get_org(db, slug), actor=SYSTEM, settings=settings, client=first)
    with unit_of_work(factory) as db:
        rows = reach_checks.run(
            db, org=get_org(db, slug), actor=SYSTEM, settings=settings, client=client
        )
        return {row.kind.value: row for row in rows}


def _serve_security_txt(server: StaticServer, extra: str) -> str:
    return server.route("/.well-known/security.txt", Route(security_txt(extra=extra).encode()))


def test_policy_and_csaf_from_security_txt_are_reachable(
    make: Factories,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    https_server: StaticServer,
    client_for: httpx.Client,
    trusting: ssl.SSLContext,
    db: Session,
) -> None:
    slug = make.org("Acme")
    policy = https_server.route("/policy.html", Route(b"<h1>Policy</h1>", content_type=HTML))
    csaf_path = "/csaf/provider-metadata.json"
    csaf = https_server.url(csaf_path)
    https_server.route(csaf_path, Route(json.dumps(metadata(csaf)).encode(), content_type=JSON))
    url = _serve_security_txt(https_server, f"Policy: {policy}\nCSAF: {csaf}\n")
    set_security_txt_url(session_factory, slug, url)

    found = _checked(session_factory, local_settings, slug, client_for, trusting)

    assert (found["policy"].ok, found["policy"].url, found["policy"].status_code) == (
        True,
        policy,
        200,
    )
    assert found["policy"].content_type == "text/html"
    assert (found["csaf"].ok, found["csaf"].url, found["csaf"].problem) == (True, csaf, None)
    reread(db)
    assert db.scalar(select(func.count(ReachCheck.id))) == 2
    # Both checks were events for the figures: one coalesced refresh waits, not two.
    refreshes = db.scalars(select(Job).where(Job.kind == "accountability.refresh")).all()
    assert [r.state for r in refreshes] == [JobState.QUEUED]
    assert refreshes[0].dedupe_key is not None


def test_fallbacks_declared_policy_and_well_known_csaf(
    make: Factories,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    https_server: StaticServer,
    client_for: httpx.Client,
) -> None:
    slug = make.org("Acme")
    policy = https_server.route("/declared.txt", Route(b"Report to us.", content_type="text/plain"))
    well_known = "/.well-known/csaf/provider-metadata.json"
    body = json.dumps(metadata(https_server.url(well_known))).encode()
    https_server.route(well_known, Route(body, content_type="application/json; charset=utf-8"))
    host = https_server.url("/").rstrip("/")
    with unit_of_work(session_factory) as db:
        org = get_org(db, slug)
        org.website = host
        org.disclosure_policy_url = policy
    with unit_of_work(session_factory) as db:  # never checked: no security.txt fields
        rows = reach_checks.run(
            db, org=get_org(db, slug), actor=SYSTEM, settings=local_settings, client=client_for
        )
        found = {row.kind.value: (row.ok, row.url) for row in rows}
    assert found == {"policy": (True, policy), "csaf": (True, host + well_known)}


@pytest.mark.parametrize(
    ("route", "problem"),
    [
        (Route(b"%PDF-1.7", content_type="application/pdf"), "content_type"),
        (Route(b"gone", status=404, content_type=HTML), "http_status"),
        (Route(b"x" * 5000, content_type=HTML), "too_large"),
        (Route(b"x" * 5000, content_type=HTML, send_length=False), "too_large"),
        (Route(b"late", content_type=HTML, delay=2.0), "timeout"),
        (Route(b"", status=302, content_type=None), "bad_redirect"),
    ],
    ids=["pdf", "404", "too-large", "too-large-unannounced", "slow", "redirect-no-location"],
)
def test_policy_failures_name_their_problem(
    https_server: StaticServer,
    trusting: ssl.SSLContext,
    local_settings: Settings,
    route: Route,
    problem: str,
) -> None:
    settings = local_settings.model_copy(
        update={"registry_check_max_bytes": 1024, "outbound_timeout_seconds": 0.5}
    )
    url = https_server.route("/policy", route)
    with reach.make_client(settings, verify=trusting) as client:
        got = reach.fetch(url, settings=settings, accept=reach_checks.POLICY_TYPES, client=client)
    assert not got.ok
    assert got.problem == problem, got.message


def test_redirects_are_followed_but_never_down_to_http(
    https_server: StaticServer,
    http_server: StaticServer,
    client_for: httpx.Client,
    local_settings: Settings,
) -> None:
    final = https_server.route("/final.html", Route(b"ok", content_type=HTML))
    hop = https_server.route("/hop", Route(b"", status=301, headers={"Location": final}))
    got = reach.fetch(
        hop, settings=local_settings, accept=reach_checks.POLICY_TYPES, client=client_for
    )
    assert (got.ok, got.final_url) == (True, final)
    plain = http_server.route("/plain.html", Route(b"ok", content_type=HTML))
    down = https_server.route("/down", Route(b"", status=302, headers={"Location": plain}))
    got = reach.fetch(
        down, settings=local_settings, accept=reach_checks.POLICY_TYPES, client=client_for
    )
    assert got.problem == "redirect_downgrade"


def test_non_public_addresses_and_plain_http_are_refused(
    https_server: StaticServer, settings: Settings
) -> None:
    strict = settings.model_copy(
        update={"outbound_allow_private_addresses": False, "securitytxt_allow_http": False}
    )
    url = https_server.route("/policy.html", Route(b"ok", content_type=HTML))
    assert reach.fetch(url, settings=strict, accept=reach_checks.POLICY_TYPES).problem == (
        "internal_address"
    )
    plain = "http://example.com/policy.html"
    assert reach.fetch(plain, settings=strict, accept=reach_checks.POLICY_TYPES).problem == (
        "not_https"
    )
    with_password = "https://user:secret@example.com/policy.html"
    got = reach.fetch(with_password, settings=strict, accept=reach_checks.POLICY_TYPES)
    assert got.problem == "invalid_url"


def test_invalid_metadata_and_missing_policy_fail_and_are_kept(
    make: Factories,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    https_server: StaticServer,
    client_for: httpx.Client,
    trusting: ssl.SSLContext,
) -> None:
    slug = make.org("Acme")
    csaf = https_server.url("/provider-metadata.json")
    broken = metadata(csaf)
    del broken["publisher"]
    https_server.route(
        "/provider-metadata.json", Route(json.dumps(broken).encode(), content_type=JSON)
    )
    set_security_txt_url(
        session_factory, slug, _serve_security_txt(https_server, f"CSAF: {csaf}\n")
    )
    with unit_of_work(session_factory) as db:
        get_org(db, slug).disclosure_policy_url = None
    found = _checked(session_factory, local_settings, slug, client_for, trusting)
    assert (found["policy"].ok, found["policy"].url, found["policy"].problem) == (
        False,
        None,
        "no_url",
    )
    assert found["csaf"].problem == "invalid_metadata"
    assert "publisher" in (found["csaf"].message or "")
    assert reach_checks.metadata_problem(b"{not json") == "not JSON"


def test_an_overlong_url_is_a_failed_check(
    make: Factories,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slug = make.org("Acme")
    long = "https://example.com/" + "p" * 2500  # a security.txt line may be this long
    monkeypatch.setattr(reach_checks, "policy_url", lambda db, org: long)
    monkeypatch.setattr(reach_checks, "csaf_url", lambda db, org: long + ".json")
    with unit_of_work(session_factory) as db:
        rows = reach_checks.run(db, org=get_org(db, slug), actor=SYSTEM, settings=local_settings)
        found = [(row.ok, row.problem, len(row.url or "")) for row in rows]
    assert found == [(False, "invalid_url", 2000)] * 2


def test_only_the_organizations_admins_and_operators_check(
    make: Factories, session_factory: sessionmaker[Session], local_settings: Settings
) -> None:
    from accord.errors import Forbidden, Unauthenticated

    slug = make.org("Acme")
    with unit_of_work(session_factory) as db, pytest.raises((Forbidden, Unauthenticated)):
        reach_checks.run(db, org=get_org(db, slug), actor=Actor(), settings=local_settings)


@pytest.mark.parametrize("name", ["provider_json_schema.json", "csaf_json_schema.json"])
def test_the_shipped_schemas_are_the_official_ones(name: str) -> None:
    from importlib import resources

    shipped = resources.files("accord.registry") / "data" / name
    assert shipped.read_bytes() == (OFFICIAL_SCHEMAS / name).read_bytes()


def test_the_official_example_is_valid() -> None:
    example = (
        OFFICIAL_SCHEMAS.parent / "examples/provider-metadata/example-01-provider-metadata.json"
    )
    assert reach_checks.metadata_problem(example.read_bytes()) is None


def test_the_scheduled_job_checks_every_signatory_and_repeats(
    make: Factories,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    http_server: StaticServer,
    db: Session,
) -> None:
    load_handlers()
    assert handler_for(handlers.KIND) is handlers.run_checks
    assert handler_for(handlers.ONE) is handlers.check_one
    first, second = make.org("Acme"), make.org("Bolt")
    make.org("Partner", kind=OrgKind.PARTNER)  # not a signatory: not checked
    set_security_txt_url(session_factory, first, _serve_security_txt(http_server, ""))
    set_security_txt_url(session_factory, second, http_server.url("/missing.txt"))
    context = JobContext(
        settings=local_settings,
        sessions=session_factory,
        readers=session_factory,
        job_id=1,
        attempt=1,
    )
    handlers.run_checks(context, {"every_minutes": 1440})
    handlers.run_checks(context, {})  # the per-organization jobs still wait: not queued twice
    reread(db)
    queued = db.scalars(select(Job).where(Job.kind.like("registry.%")).order_by(Job.id)).all()
    assert [j.kind for j in queued] == [handlers.ONE, handlers.ONE, handlers.KIND]
    assert queued[2].payload == {"every_minutes": 1440}
    with unit_of_work(session_factory) as work:  # a repeating run is never queued twice
        assert handlers.schedule(work, every_minutes=60).id == queued[2].id
    for job in queued[:2]:
        handlers.check_one(context, job.payload)
    reread(db)
    assert db.scalar(select(func.count(SecurityTxtCheck.id))) == 2
    assert db.scalar(select(func.count(ReachCheck.id))) == 4
    with pytest.raises(PermanentFailure):
        handlers.check_one(context, {})


def test_profile_page_shows_the_latest_results(
    make: Factories,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    https_server: StaticServer,
    client_for: httpx.Client,
    trusting: ssl.SSLContext,
    client: TestClient,
) -> None:
    slug = make.org("Acme")
    policy = https_server.route("/policy.html", Route(b"<h1>Policy</h1>", content_type=HTML))
    url = _serve_security_txt(https_server, f"Policy: {policy}\n")
    set_security_txt_url(session_factory, slug, url)
    page = client.get(f"/signatories/{slug}").text
    assert page.count("Not checked yet.") == 3  # security.txt, policy, CSAF
    _checked(session_factory, local_settings, slug, client_for, trusting)
    page = client.get(f"/signatories/{slug}").text
    assert "Not checked yet." not in page
    assert ">reachable<" in page
    assert policy in page
    assert ">not reachable<" in page  # no provider-metadata.json on the website's host


def test_the_profile_page_says_a_failed_checks_message_in_the_readers_language(
    make: Factories,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    client: TestClient,
) -> None:
    slug = make.org("Acme")
    long = "https://example.com/" + "p" * 2500
    monkeypatch.setattr(reach_checks, "policy_url", lambda db, org: long)
    monkeypatch.setattr(reach_checks, "csaf_url", lambda db, org: None)
    with unit_of_work(session_factory) as db:
        rows = reach_checks.run(db, org=get_org(db, slug), actor=SYSTEM, settings=local_settings)
        # The English record stays what the API and the audit read.
        assert [row.message for row in rows] == [
            "the URL is longer than 2000 characters",
            "no URL is declared",
        ]
    for language, said in (
        ("es", ["la URL tiene más de 2000 caracteres", "no se declara ninguna URL"]),
        ("ja", ["URL が 2000 文字を超えています", "URL が宣言されていません"]),
    ):
        page = client.get(f"/signatories/{slug}", headers={"Accept-Language": language}).text
        for sentence in said:
            assert sentence in page
        assert "longer than" not in page
        assert "no URL is declared" not in page
    # The metadata's own checks: jsonschema's words in English, its check's sentence else.
    problem = reach_checks.metadata_problem(b'{"canonical_url": 5}')
    assert isinstance(problem, Message)
    assert "is a required property" in str(problem)
    assert problem.translated(translations("ja").gettext) != str(problem)


def test_no_transaction_is_held_while_a_signatory_answers(
    make: Factories,
    engine: Engine,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    http_server: StaticServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each check ends its transaction before fetching (issue 26): the fetches of
    security.txt, the policy and the CSAF metadata hold none, so another write goes through."""
    slug = make.org("Acme")
    set_security_txt_url(session_factory, slug, _serve_security_txt(http_server, ""))
    with session_factory() as db:
        org_id = db.scalars(select(Organization.id).where(Organization.slug == slug)).one()
    context = JobContext(settings=local_settings, sessions=session_factory,
                         readers=session_factory, job_id=1, attempt=1)  # fmt: skip
    probe = probing(monkeypatch, engine, session_factory)
    handlers.check_one(context, {"org_id": org_id})
    assert len(probe.seen) == 2  # security.txt, the CSAF metadata (no policy is declared)
    assert not any(probe.seen)
