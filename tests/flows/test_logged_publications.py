"""Publications land in the transparency log in their own transaction, and verify offline."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import jcs
from fastapi.testclient import TestClient

from accord.config import Settings
from accord.identity.models import MemberRole, TokenScope
from tests.factories import Factories

APPLICATION = {
    "name": "Logged Vendor",
    "kind": "signatory",
    "type": "vendor",
    "country": "SE",
    "website": "https://logged.example",
    "security_contact": "psirt@logged.example",
    "contact_name": "Applicant",
    "contact_email": "applicant@logged.example",
    "accord_version": 1,
}
AFFECTED = [
    {
        "package": {"ecosystem": "PyPI", "name": "logged-pkg"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}],
    }
]


def _entries(client: TestClient) -> list[dict[str, object]]:
    response = client.get("/api/v1/log/entries", params={"limit": 100})
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_approving_a_signatory_logs_its_signature(client: TestClient, make: Factories) -> None:
    operator = make.bearer(make.user("hubop", operator=True))
    applied = client.post("/api/v1/applications", json=APPLICATION).json()
    assert _entries(client) == []
    approved = client.post(
        f"/api/v1/applications/{applied['id']}/approve", json={}, headers=operator
    )
    assert approved.status_code == 200, approved.text
    (entry,) = _entries(client)
    assert entry["type"] == "registry.signature"
    assert entry["subject"] == "logged-vendor"
    assert entry["public"] is True
    logged = client.get(f"/api/v1/log/entries/{entry['index']}").json()
    document = logged["envelope"]["document"]
    assert document["organization"] == {
        "slug": "logged-vendor",
        "name": "Logged Vendor",
        "kind": "signatory",
    }
    assert document["accord_version"] == 1
    assert document["approved_by"] == "hubop"
    # The entry holds public facts only: none of the applicant's contact details.
    raw = base64.b64decode(logged["entry"]).decode()
    assert "applicant@logged.example" not in raw
    assert "psirt@logged.example" not in raw


def test_a_rejected_application_logs_nothing(client: TestClient, make: Factories) -> None:
    operator = make.bearer(make.user("hubop", operator=True))
    applied = client.post("/api/v1/applications", json=APPLICATION).json()
    client.post(
        f"/api/v1/applications/{applied['id']}/reject",
        json={"reason": "not eligible"},
        headers=operator,
    )
    assert _entries(client) == []


def test_advisory_versions_are_logged_and_green_ones_by_digest_only(
    client: TestClient, make: Factories, settings: Settings, tmp_path: Path
) -> None:
    slug = make.org("Publisher")
    author = make.user("author")
    make.member(author, slug, MemberRole.MEMBER)
    headers = make.bearer(author, TokenScope.WRITE)
    public = client.post(
        f"/api/v1/advisories/orgs/{slug}",
        json={"summary": "Public", "affected": AFFECTED},
        headers=headers,
    ).json()
    green = client.post(
        f"/api/v1/advisories/orgs/{slug}",
        json={"summary": "Community only", "affected": AFFECTED, "tlp": "GREEN"},
        headers=headers,
    ).json()
    for advisory in (public, green):
        assert (
            client.post(f"/api/v1/advisories/{advisory['id']}/publish", headers=headers).status_code
            == 200
        )
    by_subject = {e["subject"]: e for e in _entries(client)}
    clear_entry = by_subject[f"{public['id']}@1"]
    # The GREEN version is logged under a keyed subject: its id is not in the public log.
    assert f"{green['id']}@1" not in by_subject
    [green_entry] = [e for e in by_subject.values() if e["index"] == clear_entry["index"] + 1]
    assert green_entry["subject"].startswith("advisory:")
    assert clear_entry["public"] is True
    assert green_entry["public"] is False
    # The logged digest is the RFC 8785 digest of the very record the OSV API serves.
    record = client.get(f"/v1/vulns/{public['id']}").json()
    assert clear_entry["sha256"] == hashlib.sha256(jcs.canonicalize(record)).hexdigest()
    # The GREEN record is not readable from the log by anyone.
    hidden = client.get(f"/api/v1/log/entries/{green_entry['index']}").json()
    assert "Community only" not in json.dumps(hidden)

    # The bundle for the public record verifies offline with the pinned key, as a user would.
    bundle = client.get(f"/api/v1/log/bundle/{clear_entry['index']}").json()
    key = client.get("/.well-known/accord-log-key").json()["verifier_key"]
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "record.json").write_text(json.dumps(record, indent=2))
    command = [
        sys.executable,
        "-m",
        "accord",
        "log",
        "verify-bundle",
        str(tmp_path / "bundle.json"),
        "--key",
        key,
    ]
    ok = subprocess.run(
        [*command, "--document", str(tmp_path / "record.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    record["summary"] = "Altered"
    (tmp_path / "record.json").write_text(json.dumps(record))
    bad = subprocess.run(
        [*command, "--document", str(tmp_path / "record.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert len(bad.stderr.strip().splitlines()) == 1


def test_advisory_page_links_each_version_to_its_log_entry(
    client: TestClient, make: Factories
) -> None:
    slug = make.org("Linked Publisher")
    author = make.user("author")
    make.member(author, slug, MemberRole.MEMBER)
    headers = make.bearer(author, TokenScope.WRITE)
    advisory = client.post(
        f"/api/v1/advisories/orgs/{slug}",
        json={"summary": "Linked", "affected": AFFECTED},
        headers=headers,
    ).json()
    client.post(f"/api/v1/advisories/{advisory['id']}/publish", headers=headers)
    page = client.get(f"/advisories/{advisory['id']}").text
    # The version links to the log entry's page (a person's), which names the same entry as
    # the API's look-up by the document's digest.
    index = int(page.split('href="/log/entries/')[1].split('"')[0])
    digest = page.split("SHA-256 <code")[1].split(">")[1].split("<")[0]  # <code id=...>
    (entry,) = client.get(f"/api/v1/log/documents/{digest}").json()
    assert entry["index"] == index
    assert entry["subject"] == f"{advisory['id']}@1"
    assert client.get(f"/log/entries/{index}").status_code == 200
    assert client.get(f"/api/v1/log/bundle/{index}").status_code == 200


def test_an_import_logs_every_record_under_one_checkpoint_per_batch(
    client: TestClient, settings: Settings
) -> None:
    from tests.advisories.conftest import VULNS, import_path

    # Nothing published yet: the checkpoint is the empty tree's.
    assert client.get("/api/v1/log/checkpoint").json()["tree_size"] == 0
    factory = client.app.state.sessionmaker  # type: ignore[attr-defined]
    report = import_path(factory, VULNS / "jinja2", settings)
    entries = _entries(client)
    assert len(entries) == sum(report.counts.values()) == 5
    assert {e["type"] for e in entries} == {"advisory.version"}
    checkpoint = client.get("/api/v1/log/checkpoint").json()
    assert checkpoint["tree_size"] == 5
