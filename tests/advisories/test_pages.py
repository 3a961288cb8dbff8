"""Advisory pages: the list and its filters, the advisory page's order, the publisher's forms."""

from __future__ import annotations

import json
import re
from importlib import resources

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import importer
from accord.config import Settings
from accord.identity.models import MemberRole
from tests.advisories.conftest import signed_in
from tests.factories import Factories, csrf_of

V3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def test_list_filters_and_links(client: TestClient, jinja2: importer.Report) -> None:
    page = client.get("/advisories")
    assert page.status_code == 200
    assert page.text.count('href="/advisories/PYSEC-') == 5
    filtered = client.get("/advisories", params={"q": "CVE-2014-1402", "since": "", "until": ""})
    assert 'href="/advisories/PYSEC-2014-8"' in filtered.text  # its alias
    # and the advisory whose details call it "an incomplete fix for CVE-2014-1402"
    assert 'href="/advisories/PYSEC-2014-82"' in filtered.text
    assert filtered.text.count('href="/advisories/PYSEC-') == 2
    by_package = client.get("/advisories", params={"ecosystem": "PyPI", "package": "Jinja2"})
    assert by_package.text.count('href="/advisories/PYSEC-') == 5
    none = client.get("/advisories", params={"ecosystem": "npm"})
    assert "No advisory matches." in none.text
    dated = client.get("/advisories", params={"since": "2021-01-01"})
    assert dated.text.count('href="/advisories/PYSEC-') == 1  # PYSEC-2021-66
    bad = client.get("/advisories", params={"since": "yesterday"})
    assert bad.status_code == 422
    assert "since" in bad.text


def test_advisory_page_speaks_plainly_first(client: TestClient, jinja2: importer.Report) -> None:
    page = client.get("/advisories/PYSEC-2019-217").text
    plain, specialist = page.index("In plain words"), page.index("For specialists")
    assert plain < page.index("What to do") < specialist
    assert "Update <strong>jinja2</strong> to version 2.10.1 or later" in page
    assert page.index('href="/v1/vulns/PYSEC-2019-217"') > specialist
    assert "SHA-256" in page
    assert client.get("/advisories/PYSEC-0-0").status_code == 404


def test_a_publisher_writes_and_publishes_through_the_forms(
    client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    slug = make.org("Acme")
    author = make.user("author")
    make.member(author, slug, MemberRole.MEMBER)
    signed_in(client, session_factory, settings, author)
    form = client.get(f"/orgs/{slug}/advisories/new")
    assert form.status_code == 200
    affected = [
        {
            "package": {"ecosystem": "npm", "name": "acme-ui"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.2.1"}]}],
        }
    ]
    fields = {
        "csrf_token": csrf_of(form.text),
        "summary": "XSS in acme-ui",
        "plain_summary": "Update acme-ui to 4.2.1.",
        # The editor's advanced choice: the affected packages as OSV JSON.
        "use_json": "yes",
        "affected_json": json.dumps(affected),
        "reference_rows": "2",
        "reference-0-type": "ADVISORY",
        "reference-0-url": "https://acme.example/sa-2",
        "reference-1-type": "WEB",
        "reference-1-url": "https://acme.example/blog",
        "cwe_rows": "1",
        "cwe-0": "cwe-79",
        "cvss_v3": V3,
        "tlp": "CLEAR",
    }
    created = client.post(f"/orgs/{slug}/advisories", data=fields, follow_redirects=False)
    assert created.status_code == 303
    location = created.headers["location"]
    draft_page = client.get(location).text
    assert "Publish the draft" in draft_page
    publish = client.post(
        f"{location}/publish", data={"csrf_token": csrf_of(draft_page)}, follow_redirects=False
    )
    assert publish.status_code == 303
    osv_id = location.rsplit("/", 1)[1]
    record = client.get(f"/v1/vulns/{osv_id}").json()
    assert record["references"][1] == {"type": "WEB", "url": "https://acme.example/blog"}
    assert record["database_specific"]["cwe_ids"] == ["CWE-79"]
    bad = client.post(
        f"/orgs/{slug}/advisories",
        data={**fields, "csrf_token": csrf_of(draft_page), "cvss_v3": "CVSS:3.1/AV:Z"},
    )
    assert bad.status_code == 422
    assert 'id="cvss_v3-error"' in bad.text
    assert 'value="XSS in acme-ui"' in bad.text
    no_csrf = client.post(f"/orgs/{slug}/advisories", data={**fields, "csrf_token": "x"})
    assert no_csrf.status_code == 403
    org_page = client.get(f"/orgs/{slug}/advisories").text
    assert osv_id in org_page


def test_templates_carry_no_inline_script_or_style() -> None:
    folder = resources.files("accord.advisories") / "templates"
    for template in folder.iterdir():
        text = template.read_text()
        assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=", text, re.IGNORECASE), template
