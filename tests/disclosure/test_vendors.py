"""Vendor candidates: organizations that declare the report's package or published advisories
on it, each with its reasons, in one query."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from accord.disclosure import cases, vendors
from accord.identity.models import MemberRole
from tests.disclosure.world import World
from tests.factories import Factories, sign_in


def _declare(client: TestClient, make: Factories, name: str, *purls: str) -> str:
    slug = make.org(name)
    admin = make.user(f"admin-{slug}")
    make.member(admin, slug, MemberRole.ADMIN)
    body = {"products": [{"name": p.rsplit("/", 1)[1], "purl": p} for p in purls]}
    put = client.put(f"/api/v1/orgs/{slug}/products", json=body, headers=make.bearer(admin))
    assert put.status_code == 200, put.text
    return slug


def _advise(client: TestClient, make: Factories, slug: str, package: str) -> None:
    writer = make.user(f"writer-{slug}")
    make.member(writer, slug, MemberRole.MEMBER)
    headers = make.bearer(writer)
    affected = [
        {
            "package": {"ecosystem": "PyPI", "name": package},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9"}]}],
        }
    ]
    draft = client.post(
        f"/api/v1/advisories/orgs/{slug}",
        json={"summary": "A flaw", "affected": affected},
        headers=headers,
    )
    assert draft.status_code == 201, draft.text
    published = client.post(f"/api/v1/advisories/{draft.json()['id']}/publish", headers=headers)
    assert published.status_code == 200, published.text


def test_candidates_come_from_declared_products_and_advisories(
    client: TestClient, make: Factories, db: Session
) -> None:
    world = World.build(make)  # the report names pkg:pypi/example-shop@2.1.0
    world.open_case(client)  # vendor A reported, vendor B invited
    maker = _declare(client, make, "Shop Maker", "pkg:pypi/Example_Shop")
    both = _declare(client, make, "Both Org", "pkg:pypi/example.shop", "pkg:npm/example-shop")
    _advise(client, make, both, "example-shop")
    advisor = make.org("Shop Advisor")
    _advise(client, make, advisor, "Example-Shop")
    _declare(client, make, "Elsewhere", "pkg:npm/example-shop", "pkg:pypi/example-shopper")
    _advise(client, make, "elsewhere", "example-shopper")
    # Already a vendor of the case: not a candidate, whatever it declares.
    admin_b = make.user("admin-b")
    make.member(admin_b, "vendor-b", MemberRole.ADMIN)
    client.put(
        "/api/v1/orgs/vendor-b/products",
        json={"products": [{"name": "Shop", "purl": "pkg:pypi/example-shop"}]},
        headers=make.bearer(admin_b),
    )

    found = client.get(
        f"/api/v1/disclosure/cases/{world.case_id}/vendor-candidates",
        headers=world.headers("coordinator"),
    )
    assert found.status_code == 200, found.text
    assert found.json() == [
        {
            "organization": both,
            "name": "Both Org",
            "reasons": [
                "declares pkg:pypi/example.shop",
                "published advisories on PyPI/example-shop",
            ],
        },
        {
            "organization": advisor,
            "name": "Shop Advisor",
            "reasons": ["published advisories on PyPI/example-shop"],
        },
        {
            "organization": maker,
            "name": "Shop Maker",
            "reasons": ["declares pkg:pypi/example-shop"],
        },
    ]

    # One statement, however many organizations qualify.
    db.rollback()
    case = cases.find(db, world.case_id)
    assert case is not None
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.get_bind(), "before_cursor_execute", count)
    try:
        listed = vendors.candidates(db, case=case)
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", count)
    assert [c.organization.slug for c in listed] == [both, advisor, maker]
    assert len(statements) == 1


def test_the_case_page_shows_candidates_with_their_reasons(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    _declare(client, make, "Shop Maker", "pkg:pypi/example-shop")
    sign_in(client, world.people["coordinator"])
    page = client.get(f"/disclosure/cases/{world.case_id}")
    assert page.status_code == 200
    assert "Shop Maker: declares pkg:pypi/example-shop" in page.text
