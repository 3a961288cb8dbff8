"""Every route, every role: the status the policy must give, and no route without a guard.

The table below is the specification. A route missing from it, or a route whose dependencies
include no policy guard, fails ``test_every_route_is_guarded_and_in_the_matrix``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from accord.web.deps import guarded_actions
from tests.authz import ROLES, World, call
from tests.factories import Factories
from tests.sharing import authz as sharing_authz

ANY = frozenset(ROLES)
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
ORG_MEMBERS = frozenset({"member", "org_admin", "operator"})
ORG_ADMINS = frozenset({"org_admin", "operator"})
OPERATORS = frozenset({"operator"})

ORG_BODY = {
    "name": "New Org",
    "kind": "partner",
    "type": "ngo",
    "country": "FR",
    "website": "https://new.example",
    "security_contact": "sec@new.example",
}


@dataclass(frozen=True)
class Case:
    """Who may call ``method path``, the status they get, and what the others get."""

    method: str
    path: str
    allowed: frozenset[str]
    ok: int = 200
    body: dict[str, Any] | None = None
    # Roles that get something other than 401/403 when refused (e.g. 404 to hide existence).
    refused: dict[str, int] = field(default_factory=dict)

    @property
    def page(self) -> bool:
        return not self.path.startswith(("/api/", "/taxii2/"))


CASES = [
    # identity API
    Case("GET", "/api/v1/me", SIGNED_IN),
    Case("GET", "/api/v1/me/tokens", SIGNED_IN),
    Case("POST", "/api/v1/me/tokens", SIGNED_IN, 201, {"name": "t", "scope": "read"}),
    Case(
        "DELETE",
        "/api/v1/tokens/{token_id}",
        frozenset({"member", "operator"}),
        204,
        refused={"org_admin": 404, "other_admin": 404},
    ),
    Case("GET", "/api/v1/users", OPERATORS),
    Case(
        "POST",
        "/api/v1/users",
        OPERATORS,
        201,
        {"username": "newbie", "email": "newbie@example.org", "password": "long enough password"},
    ),
    Case("PATCH", "/api/v1/users/{username}", OPERATORS, 200, {"is_active": False}),
    Case("GET", "/api/v1/orgs", ANY),
    Case("POST", "/api/v1/orgs", OPERATORS, 201, ORG_BODY),
    Case("GET", "/api/v1/orgs/{slug}", ANY),
    Case("PATCH", "/api/v1/orgs/{slug}", ORG_ADMINS, 200, {"description": "updated"}),
    Case("GET", "/api/v1/orgs/{slug}/members", ORG_MEMBERS),
    Case(
        "PUT", "/api/v1/orgs/{slug}/members", ORG_ADMINS, 200, {"username": "bob", "role": "admin"}
    ),
    Case("DELETE", "/api/v1/orgs/{slug}/members/{username}", ORG_ADMINS, 204),
    Case("GET", "/api/v1/audit", OPERATORS),
    # shell and identity pages
    Case("GET", "/", ANY),
    Case("GET", "/healthz", ANY),
    Case("GET", "/login", ANY),
    Case("POST", "/login", ANY, 401, {"username": "nobody", "password": "wrong password"}),
    Case("POST", "/logout", ANY, 303),
    Case("GET", "/bootstrap", ANY, 401),
    Case(
        "POST",
        "/bootstrap",
        ANY,
        401,
        {
            "token": "boot_invalid",
            "username": "x" * 5,
            "email": "x@example.org",
            "password": "long enough password",
        },
    ),
    Case("GET", "/account", SIGNED_IN),
    Case("POST", "/account/tokens", SIGNED_IN, 201, {"name": "t", "scope": "read"}),
    Case(
        "POST",
        "/account/tokens/{token_id}/revoke",
        frozenset({"member", "operator"}),
        303,
        refused={"org_admin": 404, "other_admin": 404},
    ),
    Case("GET", "/admin/users", OPERATORS),
    Case(
        "POST",
        "/admin/users",
        OPERATORS,
        303,
        {"username": "newbie", "email": "newbie@example.org", "password": "long enough password"},
    ),
    Case("POST", "/admin/users/{username}/operator", OPERATORS, 303, {"operator": "true"}),
    Case("GET", "/admin/audit", OPERATORS),
    Case("GET", "/orgs/{slug}/members", ORG_MEMBERS),
    Case("POST", "/orgs/{slug}/members", ORG_ADMINS, 303, {"username": "bob", "role": "admin"}),
    Case("POST", "/orgs/{slug}/members/{username}/remove", ORG_ADMINS, 303),
    # sharing API (the collection is public, owned by acme; TLP is tested in tests/sharing)
    Case("GET", "/api/v1/sharing/collections", ANY),
    Case("POST", "/api/v1/sharing/orgs/{slug}/collections", ORG_ADMINS, 201, {"title": "t"}),
    Case(
        "PUT",
        "/api/v1/sharing/collections/{collection_id}/grants",
        ORG_ADMINS,
        204,
        {"organization": "other-org", "can_read": True},
    ),
    Case("GET", "/api/v1/sharing/orgs/{slug}/groups", ORG_MEMBERS),
    Case("POST", "/api/v1/sharing/orgs/{slug}/groups", ORG_ADMINS, 201, {"name": "g"}),
    Case("GET", "/api/v1/sharing/groups/{group_id}", ORG_MEMBERS),
    Case(
        "POST",
        "/api/v1/sharing/orgs/{slug}/groups/import",
        ORG_ADMINS,
        200,
        sharing_authz.group_export(),
    ),
    Case("POST", "/api/v1/sharing/lookup", ANY, 200, {"values": ["198.51.100.1"]}),
    # TAXII 2.1
    Case("GET", "/taxii2/", ANY),
    Case("GET", "/taxii2/hub/", ANY),
    Case(
        "GET",
        "/taxii2/hub/status/{status_id}/",
        frozenset({"member"}),
        refused={"org_admin": 404, "other_admin": 404, "operator": 404},
    ),
    Case("GET", "/taxii2/hub/collections/", ANY),
    Case("GET", "/taxii2/hub/collections/{collection_id}/", ANY),
    Case("GET", "/taxii2/hub/collections/{collection_id}/manifest/", ANY),
    Case("GET", "/taxii2/hub/collections/{collection_id}/objects/", ANY),
    Case(
        "POST",
        "/taxii2/hub/collections/{collection_id}/objects/",
        frozenset({"member", "org_admin"}),
        202,
        sharing_authz.envelope(),
    ),
    Case("GET", "/taxii2/hub/collections/{collection_id}/objects/{object_id}/", ANY),
    Case(
        "DELETE",
        "/taxii2/hub/collections/{collection_id}/objects/{object_id}/",
        frozenset({"member", "org_admin"}),
    ),
    Case("GET", "/taxii2/hub/collections/{collection_id}/objects/{object_id}/versions/", ANY),
    # sharing pages
    Case("GET", "/sharing", ANY),
    Case("GET", "/sharing/collections/{collection_id}", ANY),
    Case("GET", "/sharing/lookup", ANY),
]


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for prefix, router in app.state.routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in route.methods - {"HEAD"}:
                    found.add((method, prefix + route.path))
    return found


def _has_guard(route: APIRoute) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dep = pending.pop()
        if dep.call is not None and guarded_actions(dep.call) is not None:
            return True
        pending.extend(dep.dependencies)
    return False


def test_every_route_is_guarded_and_in_the_matrix(app: FastAPI) -> None:
    unguarded = [
        (prefix + route.path)
        for prefix, router in app.state.routers
        for route in router.routes
        if isinstance(route, APIRoute) and not _has_guard(route)
    ]
    assert unguarded == []
    specified = {(c.method, c.path) for c in CASES}
    assert _routes(app) - specified == set(), "routes missing from the matrix"
    assert specified - _routes(app) == set(), "matrix rows for routes that do not exist"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_matrix(client: TestClient, make: Factories, case: Case, role: str) -> None:
    world = World.build(make)
    if "{token_id}" in case.path:
        # The member's own token: its owner and operators may revoke it, nobody else.
        created = call(
            client,
            world,
            "member",
            "POST",
            "/api/v1/me/tokens",
            page=False,
            body={"name": "victim", "scope": "read"},
        )
        world.values["token_id"] = created.json()["id"]
    if any(p in case.path for p in sharing_authz.PLACEHOLDERS):
        sharing_authz.prepare(make, world)
    response = call(client, world, role, case.method, case.path, page=case.page, body=case.body)
    if role in case.allowed:
        expected = case.ok
    elif role in case.refused:
        expected = case.refused[role]
    else:
        expected = 401 if role == "anonymous" else 403
    assert response.status_code == expected, response.text[:300]
