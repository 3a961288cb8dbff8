"""The directory of disclosure policies: what a policy page states, read from its text with
the sentence as evidence (real disclose.io terms and written pages, tests/data/policies), kept
by the scheduled reachability check, and listed on /policies and /api/v1/policies."""

from __future__ import annotations

import html
import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.registry import directory, policy_text, reach, reach_checks
from tests.factories import Factories
from tests.registry.servers import Route, StaticServer

DATA = Path(__file__).parent.parent / "data" / "policies"


def dioterms_page(
    organization: str = "Example Corp", channel: str = "security@example.com"
) -> bytes:
    """The disclose.io "VDP with CVD" terms as a policy page: placeholders filled, Markdown
    headings, lists, quotes and paragraphs as HTML (the way a site publishes them)."""
    text = (DATA / "dioterms-vdp-with-cvd-en-US.md").read_text("utf-8")
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    text = (
        text.replace("{{organization}}", organization)
        .replace("{{channel}}", channel)
        .replace("{{disclosure_window}}", "90")
    )
    out = ["<!DOCTYPE html><html><head><title>Policy</title></head><body><main>"]
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.strip().splitlines()
        if lines[0].startswith("#"):
            level = len(lines[0]) - len(lines[0].lstrip("#"))
            out.append(f"<h{level}>{html.escape(lines[0].lstrip('# '))}</h{level}>")
        elif lines[0].startswith("- "):
            items = "".join(f"<li>{html.escape(li[2:].strip())}</li>" for li in lines)
            out.append(f"<ul>{items}</ul>")
        elif lines[0].startswith(">"):
            out.append(f"<blockquote>{html.escape(block.lstrip('> '))}</blockquote>")
        else:
            out.append(f"<p>{html.escape(' '.join(lines))}</p>")
    out.append("</main></body></html>")
    return "\n".join(out).encode()


def test_disclose_io_terms_state_safe_harbour_and_a_channel_but_no_times() -> None:
    found = policy_text.read(dioterms_page(), "text/html")
    assert found["safe_harbour"]["found"] is True
    assert found["safe_harbour"]["evidence"] == (
        "Extend Safe Harbor for your vulnerability research that is related to this policy."
    )
    assert found["how_to_report"]["found"] is True
    assert "security@example.com" in found["how_to_report"]["evidence"]
    # "Respond to your report promptly" names no time: not found, never guessed.
    assert found["response_time"] == {"found": False, "denied": False, "evidence": None,
                                      "values": []}  # fmt: skip
    assert found["languages"]["found"] is False
    assert found["bug_bounty"]["found"] is False


def test_a_vendor_page_read_past_its_script_and_navigation() -> None:
    body = (DATA / "written-acme-policy.html").read_bytes()
    found = policy_text.read(body, "text/html")
    assert found["response_time"]["evidence"] == (
        "We will acknowledge your report within 3 business days and send a first assessment "
        "within 10 working days."
    )
    assert found["languages"]["values"] == ["English", "German"]
    assert "psirt@acme-widgets.example" in found["how_to_report"]["evidence"]
    # The script says "bug bounty" and "within 1 day": what a reader never sees is not read.
    assert found["bug_bounty"]["found"] is False
    assert found["bug_bounty"]["denied"] is True
    assert found["bug_bounty"]["evidence"].startswith("We do not offer a bug bounty")
    assert found["safe_harbour"]["found"] is False
    assert found["safe_harbour"]["evidence"] is None


def test_a_denial_is_evidence_but_not_a_finding() -> None:
    found = policy_text.read((DATA / "written-terse-policy.txt").read_bytes(), "text/plain")
    assert found["safe_harbour"]["denied"] is True
    assert found["safe_harbour"]["found"] is False
    assert found["bug_bounty"]["found"] is True
    assert "hackerone.com/terse-example" in found["bug_bounty"]["evidence"]


@pytest.fixture
def client_for(trusting: ssl.SSLContext, local_settings: Settings) -> Iterator[httpx.Client]:
    with reach.make_client(local_settings, verify=trusting) as client:
        yield client


def _declare_and_check(
    factory: sessionmaker[Session],
    settings: Settings,
    slug: str,
    policy_url: str,
    client: httpx.Client,
) -> None:
    with unit_of_work(factory) as db:
        get_org(db, slug).disclosure_policy_url = policy_url
    with unit_of_work(factory) as db:
        reach_checks.run(db, org=get_org(db, slug), actor=SYSTEM, settings=settings, client=client)


def test_the_directory_lists_and_filters_what_the_checks_found(
    make: Factories,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    https_server: StaticServer,
    client_for: httpx.Client,
    client: TestClient,
) -> None:
    harbour, acme, silent = make.org("Harbour Inc"), make.org("Acme Widgets"), make.org("Silent")
    html_type = "text/html; charset=utf-8"
    first = https_server.route(
        "/vdp.html", Route(dioterms_page("Harbour Inc"), content_type=html_type)
    )
    second = https_server.route(
        "/security.html",
        Route((DATA / "written-acme-policy.html").read_bytes(), content_type=html_type),
    )
    _declare_and_check(session_factory, local_settings, harbour, first, client_for)
    _declare_and_check(session_factory, local_settings, acme, second, client_for)

    answer = client.get("/api/v1/policies").json()
    assert (answer["total"], answer["page"], answer["per_page"]) == (3, 1, 50)
    listed = answer["items"]
    assert [e["slug"] for e in listed] == [acme, harbour, silent]
    by_slug = {e["slug"]: e for e in listed}
    assert by_slug[harbour]["statements"]["safe_harbour"]["found"] is True
    assert by_slug[silent]["policy"] is None
    assert by_slug[silent]["statements"]["safe_harbour"]["found"] is False

    with_harbour = client.get("/api/v1/policies", params={"safe_harbour": "true"}).json()
    assert [e["slug"] for e in with_harbour["items"]] == [harbour]
    stated_times = client.get("/api/v1/policies", params={"response_time": "true"}).json()
    assert [e["slug"] for e in stated_times["items"]] == [acme]
    no_csaf = client.get("/api/v1/policies", params={"csaf": "false"}).json()
    assert no_csaf["total"] == 3  # nothing served one

    page = client.get("/policies", params={"safe_harbour": "yes"})
    assert page.status_code == 200
    assert "Extend Safe Harbor for your vulnerability research" in page.text
    assert "Acme Widgets" not in page.text
    assert client.get("/policies", params={"safe_harbour": "maybe"}).status_code == 422
    assert client.get("/api/v1/policies", params={"csaf": "maybe"}).status_code == 422


def test_the_directory_comes_a_page_at_a_time_with_its_filters_kept(
    make: Factories,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    https_server: StaticServer,
    client_for: httpx.Client,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    html_type = "text/html; charset=utf-8"
    url = https_server.route("/vdp.html", Route(dioterms_page(), content_type=html_type))
    # 5 organizations, 3 of them with a policy stating safe harbour: "D1" ... "D5" by name.
    slugs = [make.org(f"D{n}") for n in range(1, 6)]
    for slug in slugs[::2]:
        _declare_and_check(session_factory, local_settings, slug, url, client_for)

    pages = [
        client.get("/api/v1/policies", params={"per_page": 2, "page": n}).json()
        for n in (1, 2, 3, 4)
    ]
    assert [[e["slug"] for e in p["items"]] for p in pages] == [
        slugs[0:2], slugs[2:4], slugs[4:5], []]  # fmt: skip
    assert {p["total"] for p in pages} == {5}

    harbour = [
        client.get("/api/v1/policies", params={"safe_harbour": "true", "per_page": 2, "page": n})
        .json() for n in (1, 2)
    ]  # fmt: skip
    assert [[e["slug"] for e in p["items"]] for p in harbour] == [
        [slugs[0], slugs[2]], [slugs[4]]]  # fmt: skip
    assert harbour[0]["total"] == 3
    assert client.get("/api/v1/policies", params={"per_page": 0}).status_code == 422
    assert client.get("/api/v1/policies", params={"per_page": 201}).status_code == 422
    assert client.get("/api/v1/policies", params={"page": 0}).status_code == 422

    # The page: 2 a page here, the filter carried by the links to the next and previous.
    monkeypatch.setattr(directory, "PER_PAGE", 2)
    first = client.get("/policies", params={"safe_harbour": "yes"})
    assert first.status_code == 200
    assert "3 organizations · page 1 of 2" in first.text
    assert f'id="org-{slugs[0]}"' in first.text
    assert f'id="org-{slugs[4]}"' not in first.text
    following = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert following is not None
    second = client.get(html.unescape(following.group(1)))
    assert f'id="org-{slugs[4]}"' in second.text
    assert f'id="org-{slugs[1]}"' not in second.text  # still filtered
    assert 'rel="next"' not in second.text
    previous = re.search(r'href="([^"]+)" rel="prev"', second.text)
    assert previous is not None
    assert html.unescape(previous.group(1)) == "/policies?safe_harbour=yes&page=1"
