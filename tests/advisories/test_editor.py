"""The advisory editor: rows of ranges, CVSS calculators scored by the ``cvss`` library, the
CWE picker, credits, a preview drawn by the published page's own template part, and every
mistake beside its field with the input kept. Records it saves pass the official OSV schema.
"""

from __future__ import annotations

import re
from typing import Any

from cvss import CVSS3, CVSS4
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import validation
from accord.advisories.models import Advisory
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import MemberRole
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.registry import products
from accord.registry.schemas import ProductDeclaration
from tests.advisories.conftest import signed_in
from tests.factories import Factories, csrf_of

V3_CHOICES = {"AV": "N", "AC": "L", "PR": "N", "UI": "R", "S": "C", "C": "L", "I": "L", "A": "N"}
V3_VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"
V4_CHOICES = {
    "AV": "N",
    "AC": "L",
    "AT": "N",
    "PR": "N",
    "UI": "P",
    "VC": "L",
    "VI": "L",
    "VA": "N",
    "SC": "L",
    "SI": "L",
    "SA": "N",
}
V4_VECTOR = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:L/VI:L/VA:N/SC:L/SI:L/SA:N"


def _author(
    client: TestClient, make: Factories, factory: sessionmaker[Session], settings: Settings
) -> tuple[str, str]:
    slug = make.org("Acme")
    author = make.user("author")
    make.member(author, slug, MemberRole.MEMBER)
    signed_in(client, factory, settings, author)
    page = client.get(f"/orgs/{slug}/advisories/new")
    assert page.status_code == 200
    return slug, csrf_of(page.text)


def _form(csrf: str, **extra: str) -> dict[str, str]:
    fields = {
        "csrf_token": csrf,
        "summary": "Cross-site scripting in acme-ui",
        "plain_summary": "Update acme-ui to 4.2.1.",
        "details": "A crafted **title** runs script.\n\n<script>alert(1)</script>",
        "ranges": "2",
        "range-0-ecosystem": "npm",
        "range-0-package": "acme-ui",
        "range-0-introduced": "4.0.0",
        "range-0-fixed": "4.2.1",
        "range-1-ecosystem": "npm",
        "range-1-package": "acme-ui",
        "range-1-introduced": "",
        "range-1-fixed": "3.9.9",
        "cwe_rows": "1",
        "cwe-0": "CWE-79 Improper Neutralization of Input During Web Page Generation",
        "credit_rows": "1",
        "credit-0-name": "Ada Finder",
        "credit-0-type": "FINDER",
        "reference_rows": "1",
        "reference-0-type": "ADVISORY",
        "reference-0-url": "https://acme.example/sa-2",
        "tlp": "CLEAR",
    }
    fields.update({f"v3-{k}": v for k, v in V3_CHOICES.items()})
    fields.update({f"v4-{k}": v for k, v in V4_CHOICES.items()})
    fields.update(extra)
    return fields


def _advisories(factory: sessionmaker[Session]) -> int:
    with unit_of_work(factory) as db:
        return db.scalar(select(func.count(Advisory.id))) or 0


def test_rows_are_added_without_script_and_nothing_is_saved(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    slug, csrf = _author(client, make, session_factory, settings)
    page = client.post(f"/orgs/{slug}/advisories", data=_form(csrf, add="range"))
    assert page.status_code == 200
    # A third row, its package carried over from the last one; what was typed is kept.
    assert 'name="range-2-package"' in page.text
    assert page.text.count('value="acme-ui"') == 3
    assert 'value="Cross-site scripting in acme-ui"' in page.text
    credit = client.post(f"/orgs/{slug}/advisories", data=_form(csrf, add="credit"))
    assert 'name="credit-1-name"' in credit.text
    assert _advisories(session_factory) == 0


def test_preview_is_the_published_page_with_scores_and_safe_markdown(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    slug, csrf = _author(client, make, session_factory, settings)
    page = client.post(f"/orgs/{slug}/advisories", data=_form(csrf, intent="preview"))
    assert page.status_code == 200
    preview = page.text.split('id="preview"')[1].split('id="advisory-editor"')[0]
    # Scores computed by the cvss library itself, shown in the calculator and the preview.
    v3, v4 = CVSS3(V3_VECTOR), CVSS4(V4_VECTOR)
    assert f"<strong>{v3.base_score}</strong>" in page.text
    assert f"<strong>{v4.base_score}</strong>" in page.text
    assert V3_VECTOR in preview
    assert V4_VECTOR in preview
    assert "Cross-site scripting in acme-ui" in preview
    assert "Update acme-ui to 4.2.1." in preview
    assert "Improper Neutralization of Input During Web Page Generation" in preview
    assert "Ada Finder" in preview
    # Markdown rendered, raw HTML shown as text.
    assert "<strong>title</strong>" in preview
    assert "<script>alert(1)</script>" not in preview
    assert "&lt;script&gt;" in preview
    # The severity is the highest of the two ratings.
    order = ["None", "Low", "Medium", "High", "Critical"]
    rating = max(str(v3.severities()[0]), str(v4.severity), key=order.index)
    assert f">{rating}</span>" in preview
    assert _advisories(session_factory) == 0


def test_saved_record_passes_the_osv_schema_and_the_draft_page_shows_it_all(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    slug, csrf = _author(client, make, session_factory, settings)
    saved = client.post(f"/orgs/{slug}/advisories", data=_form(csrf), follow_redirects=False)
    assert saved.status_code == 303, saved.text[-800:]
    location = saved.headers["location"]
    draft_page = client.get(location).text
    # The draft's page no longer hides what only publishing used to fill in.
    assert V3_VECTOR in draft_page
    assert "Improper Neutralization" in draft_page
    assert "Update acme-ui to 4.2.1." in draft_page
    published = client.post(
        f"{location}/publish", data={"csrf_token": csrf_of(draft_page)}, follow_redirects=False
    )
    assert published.status_code == 303
    record: dict[str, Any] = client.get(f"/v1/vulns/{location.rsplit('/', 1)[1]}").json()
    assert validation.problem(record) is None
    assert [(a["package"], a["ranges"]) for a in record["affected"]] == [
        (
            {"ecosystem": "npm", "name": "acme-ui"},
            [
                {
                    "type": "ECOSYSTEM",
                    "events": [
                        {"introduced": "4.0.0"},
                        {"fixed": "4.2.1"},
                        {"introduced": "0"},
                        {"fixed": "3.9.9"},
                    ],
                }
            ],
        )
    ]
    assert {s["score"] for s in record["severity"]} == {V3_VECTOR, V4_VECTOR}
    assert [(c["name"], c["type"]) for c in record["credits"]] == [("Ada Finder", "FINDER")]
    assert record["database_specific"]["cwe_ids"] == ["CWE-79"]
    # Withdrawing without a reason comes back beside the field, not on the error page.
    page = client.get(location).text
    refused = client.post(f"{location}/withdraw", data={"reason": " ", "csrf_token": csrf_of(page)})
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.text
    # Editing brings the rows and the choices back.
    edit = client.get(f"{location}/edit").text
    assert 'name="range-1-fixed" maxlength="100" value="3.9.9"' in edit
    assert 'name="v3-UI" value="R" checked' in edit


def test_mistakes_are_shown_beside_their_fields_with_the_input_kept(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    slug, csrf = _author(client, make, session_factory, settings)
    both = _form(csrf, **{"range-0-last_affected": "4.2.0", "v4-SA": "", "cwe-0": "cross"})
    page = client.post(f"/orgs/{slug}/advisories", data=both)
    assert page.status_code == 422
    assert 'id="range-0-fixed-error"' in page.text
    assert "not both" in page.text
    assert 'id="cvss_v4-error"' in page.text
    assert "Availability of other systems" in page.text.split('id="cvss_v4-error"')[1][:300]
    assert 'id="cwe-0-error"' in page.text
    assert 'value="4.2.0"' in page.text
    assert 'value="cross"' in page.text
    # An ecosystem the OSV schema does not know is refused by the schema, beside the rows.
    unknown = client.post(
        f"/orgs/{slug}/advisories", data=_form(csrf, **{"range-0-ecosystem": "Nope"})
    )
    assert unknown.status_code == 422
    assert re.findall(r'class="error" id="([^"]+)"', unknown.text) == ["affected-error"]
    assert _advisories(session_factory) == 0


def test_package_suggestions_come_from_the_declared_products(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    slug, _ = _author(client, make, session_factory, settings)
    with unit_of_work(session_factory) as db:
        products.replace(
            db,
            org=get_org(db, slug),
            products=[ProductDeclaration(purl="pkg:npm/acme-ui", name="Acme UI")],
            actor=SYSTEM,
        )
    page = client.get(f"/orgs/{slug}/advisories/new").text
    datalist = page.split('<datalist id="declared-products">')[1].split("</datalist>")[0]
    assert 'value="acme-ui"' in datalist
    cwes = page.split('<datalist id="cwe-list">')[1].split("</datalist>")[0]
    assert '<option value="CWE-79 Improper Neutralization' in cwes
