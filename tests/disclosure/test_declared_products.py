"""The organizations' declared products offered where a purl is asked: the report form and a
vendor's answers offer them in a list (a ``<datalist>``), and a purl nobody declared is still
typed and accepted."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.db import unit_of_work
from accord.disclosure.models import DisclosureCase
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.registry import products
from accord.registry.schemas import ProductDeclaration
from tests.disclosure.vulnerability_world import two_vulnerabilities
from tests.disclosure.world import REPORT, World
from tests.factories import Factories, csrf_of, sign_in


def _declare(make: Factories, slug: str, *declared: tuple[str, str]) -> None:
    with unit_of_work(make.factory) as db:
        org = get_org(db, slug)
        listed = [ProductDeclaration(name=name, purl=purl) for name, purl in declared]
        products.replace(db, org=org, products=listed, actor=SYSTEM)


def _datalist(html: str, ident: str) -> list[tuple[str, str]]:
    found = re.search(rf'<datalist id="{re.escape(ident)}">(.*?)</datalist>', html, re.S)
    assert found is not None, ident
    return re.findall(r'<option value="([^"]*)">([^<]*)</option>', found.group(1))


def test_the_report_form_offers_every_declared_product_and_takes_another(
    client: TestClient, make: Factories
) -> None:
    World.build(make)
    _declare(make, "vendor-a", ("Example Shop", "pkg:pypi/example-shop"))
    _declare(make, "vendor-b", ("B Router", "pkg:generic/b-router"))
    page = client.get("/disclosure/report")
    assert page.status_code == 200
    assert 'list="declared-products"' in page.text
    assert _datalist(page.text, "declared-products") == [
        ("pkg:pypi/example-shop", "Example Shop (Vendor A)"),
        ("pkg:generic/b-router", "B Router (Vendor B)"),
    ]
    # A product nobody declared is typed as before.
    typed = {**REPORT, "purl": "pkg:npm/undeclared@1.0.0", "csrf_token": csrf_of(page.text)}
    assert client.post("/disclosure/report", data=typed).status_code == 201
    with unit_of_work(make.factory) as db:
        purls = db.scalars(select(DisclosureCase.purl)).all()
    assert "pkg:npm/undeclared@1.0.0" in purls


def test_a_vendor_answers_with_its_own_declared_products_offered(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    _declare(make, "vendor-a", ("Example Shop", "pkg:pypi/example-shop"))
    _declare(make, "other-vendor", ("Not in the case", "pkg:pypi/elsewhere"))
    world.open_case(client)
    sign_in(client, world.people["vendor_a"])
    page = client.get(f"/disclosure/cases/{world.case_id}")
    assert page.status_code == 200
    # Only the answering vendor's products: another organization's are not its answer.
    assert 'list="products-vendor-a"' in page.text
    # The package the report named first, then the vendor's declared products.
    assert _datalist(page.text, "products-vendor-a") == [
        ("pkg:pypi/example-shop@2.1.0", "Example Shop (named in this case)"),
        ("pkg:pypi/example-shop", "Example Shop (Vendor A)"),
    ]
    assert "pkg:pypi/elsewhere" not in page.text
    # An undeclared purl is still the vendor's to give.
    saved = client.post(
        f"/disclosure/cases/{world.case_id}/vendor-answer",
        data={"csrf_token": csrf_of(page.text), "vendor": "vendor-a", "status": "affected",
              "purl": "pkg:pypi/example-shop-extras", "answer": "status"},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    answered = client.get(
        f"/api/v1/disclosure/cases/{world.case_id}", headers=world.headers("vendor_a")
    ).json()["vendors"]
    mine = next(v for v in answered if v["organization"] == "vendor-a")
    assert mine["purl"] == "pkg:pypi/example-shop-extras"


def test_each_vulnerabilitys_answer_offers_the_vendors_products(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    _declare(make, "vendor-a", ("Example Shop", "pkg:pypi/example-shop"))
    _declare(make, "other-vendor", ("Not in the case", "pkg:pypi/elsewhere"))
    world.open_case(client)
    two_vulnerabilities(client, world, answered=False)
    sign_in(client, world.people["vendor_a"])
    page = client.get(f"/disclosure/cases/{world.case_id}").text
    assert 'name="purl" maxlength="500" value="" list="answer-products"' in page
    assert _datalist(page, "answer-products") == [
        ("pkg:pypi/example-shop@2.1.0", "Example Shop (named in this case)"),
        ("pkg:pypi/example-shop", "Example Shop (Vendor A)"),
    ]
    answer = client.get(
        f"/disclosure/cases/{world.case_id}/vulnerabilities/2/answer?vendor=vendor-a"
    ).text
    assert _datalist(answer, "answer-products") == [
        ("pkg:pypi/example-shop@2.1.0", "Example Shop (named in this case)"),
        ("pkg:pypi/example-shop", "Example Shop (Vendor A)"),
    ]
    assert "pkg:pypi/elsewhere" not in page + answer
