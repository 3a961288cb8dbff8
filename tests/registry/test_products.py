"""Organizations' declared products: the API, the profile page's list and form, the keys."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from packageurl import PackageURL
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import InvalidInput
from accord.identity.models import AuditEvent, MemberRole
from accord.registry.models import DeclaredProduct
from accord.registry.products import key_of
from tests.factories import Factories, csrf_of, sign_in

PRODUCTS = [
    {"name": "Requests", "purl": "pkg:pypi/Requests"},
    {"name": "Left pad", "purl": "pkg:npm/%40acme/left-pad"},
    {"name": "Firmware", "purl": "pkg:generic/acme/router-firmware"},
]


def _admin(make: Factories) -> tuple[str, dict[str, str]]:
    slug = make.org("Acme")
    admin = make.user("ada")
    make.member(admin, slug, MemberRole.ADMIN)
    return slug, make.bearer(admin)


def test_admins_replace_the_list_anyone_reads_it(
    client: TestClient, make: Factories, db: Session
) -> None:
    slug, admin = _admin(make)
    assert client.get(f"/api/v1/orgs/{slug}/products").json() == []
    put = client.put(f"/api/v1/orgs/{slug}/products", json={"products": PRODUCTS}, headers=admin)
    assert put.status_code == 200, put.text
    # Stored canonical, as packageurl-python writes them.
    canonical = [PackageURL.from_string(p["purl"]).to_string() for p in PRODUCTS]
    assert [p["purl"] for p in put.json()] == canonical
    public = client.get(f"/api/v1/orgs/{slug}/products")
    assert public.json() == put.json()
    again = client.put(
        f"/api/v1/orgs/{slug}/products", json={"products": PRODUCTS[1:2]}, headers=admin
    )
    assert [p["name"] for p in again.json()] == ["Left pad"]
    assert [p["name"] for p in client.get(f"/api/v1/orgs/{slug}/products").json()] == ["Left pad"]
    db.rollback()
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "org.products").order_by(AuditEvent.id)
    ).all()
    assert [e.details["products"] for e in events] == [canonical, canonical[1:2]]
    assert {e.target for e in events} == {slug}


@pytest.mark.parametrize(
    ("purl", "message"),
    [
        ("pkg:pypi/requests@2.31.0", "without @2.31.0"),
        ("pkg:deb/debian/curl?arch=amd64", "without ?qualifiers"),
        ("not a purl", "invalid package URL"),
        # PEP 503: "Requests_" and "requests-" name one package, the first entry's.
        ("pkg:pypi/Requests_", "same package as pkg:pypi/requests-"),
    ],
)
def test_bad_purls_are_refused_naming_the_entry(
    client: TestClient, make: Factories, db: Session, purl: str, message: str
) -> None:
    slug, admin = _admin(make)
    first = {"name": "Requests", "purl": "pkg:pypi/requests-"}
    assert client.put(
        f"/api/v1/orgs/{slug}/products", json={"products": [first]}, headers=admin
    ).is_success
    body = {"products": [first, {"name": "X", "purl": purl}]}
    refused = client.put(f"/api/v1/orgs/{slug}/products", json=body, headers=admin)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "products.1.purl"
    assert message in refused.json()["message"]
    db.rollback()
    assert db.scalars(select(DeclaredProduct.purl)).all() == ["pkg:pypi/requests-"]


def test_only_its_admins_may_declare(client: TestClient, make: Factories) -> None:
    slug, _ = _admin(make)
    member = make.user("mo")
    make.member(member, slug, MemberRole.MEMBER)
    body = {"products": PRODUCTS[:1]}
    assert client.put(f"/api/v1/orgs/{slug}/products", json=body).status_code == 401
    denied = client.put(f"/api/v1/orgs/{slug}/products", json=body, headers=make.bearer(member))
    assert denied.status_code == 403
    assert client.get("/api/v1/orgs/nobody/products").status_code == 404


def test_keys_match_the_advisories_package_index() -> None:
    # A report names a version and any spelling; a declaration names neither.
    assert key_of("pkg:pypi/Foo.Bar_baz@1.0", field="purl") == key_of(
        "pkg:pypi/foo-bar-baz", field="purl"
    )
    assert key_of("pkg:npm/%40acme/left-pad@1.0.0", field="purl").package == "@acme/left-pad"
    assert key_of("pkg:generic/acme/fw@2", field="purl").ecosystem == "purl:generic"
    with pytest.raises(InvalidInput) as caught:
        key_of("pkg:", field="purl")
    assert caught.value.field == "purl"


def test_profile_lists_products_for_everyone(client: TestClient, make: Factories) -> None:
    slug, admin = _admin(make)
    client.put(f"/api/v1/orgs/{slug}/products", json={"products": PRODUCTS[:1]}, headers=admin)
    public = client.get(f"/signatories/{slug}").text
    assert "<code>pkg:pypi/requests</code>" in public
    assert "Requests" in public
    assert f'action="/orgs/{slug}/products"' not in public  # the form is its admins' only


def test_the_form_replaces_the_list_or_shows_the_line_at_fault(
    client: TestClient, make: Factories, db: Session
) -> None:
    slug = make.org("Acme")
    admin = make.user("ada")
    make.member(admin, slug, MemberRole.ADMIN)
    sign_in(client, admin)
    page = client.get(f"/signatories/{slug}")
    assert f'action="/orgs/{slug}/products"' in page.text
    token = csrf_of(page.text)
    text = "pkg:pypi/requests Requests\n\npkg:npm/left-pad@1.3.0 Left pad\n"
    bad = client.post(f"/orgs/{slug}/products", data={"text": text, "csrf_token": token})
    assert bad.status_code == 422
    assert "line 3:" in bad.text
    assert "@1.3.0" in bad.text
    assert "pkg:npm/left-pad@1.3.0 Left pad" in bad.text  # the text as typed
    good = client.post(
        f"/orgs/{slug}/products",
        data={"text": "pkg:pypi/requests Requests\npkg:npm/left-pad", "csrf_token": token},
        follow_redirects=False,
    )
    assert good.status_code == 303
    shown = client.get(f"/signatories/{slug}").text
    assert "Left pad" not in shown
    assert "left-pad" in shown
    db.rollback()
    assert db.scalars(select(DeclaredProduct.name).order_by(DeclaredProduct.position)).all() == [
        "Requests",
        "left-pad",
    ]
