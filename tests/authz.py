"""The world the authorization matrix runs in, and how each role makes a request.

Roles: ``anonymous``; ``member`` and ``org_admin`` of the organization under test (acme);
``other_admin``, admin of another organization; ``operator``. API requests carry an
admin-scoped bearer token; page requests a signed-in session and the page's CSRF token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

from accord.identity.models import MemberRole
from tests import snapshots
from tests.factories import Factories, Person, csrf_of, sign_in

ROLES = ("anonymous", "member", "org_admin", "other_admin", "operator")
# Path parameters of the transparency log's routes (the matrix runs on an empty log).
LOG_VALUES = {"index": "0", "sha256": "0" * 64, "level": "0", "path": "000"}


@dataclass
class World:
    """Two organizations, one user per role, and a spare user to act upon."""

    people: dict[str, Person]
    tokens: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    make: Factories | None = None

    @classmethod
    def build(cls, make: Factories) -> World:
        """The world, built by the factories (or its rows restored: tests/snapshots.py)."""

        def own(kept: World) -> World:
            return replace(
                kept,
                people=dict(kept.people),
                tokens=dict(kept.tokens),
                values=dict(kept.values),
                make=make,
            )

        return snapshots.kept(make.factory, "tests.authz.World", lambda: cls._build(make), own)

    @classmethod
    def _build(cls, make: Factories) -> World:
        acme = make.org("Acme")
        other = make.org("Other Org")
        people = {
            "member": make.user("member"),
            "org_admin": make.user("orgadmin"),
            "other_admin": make.user("otheradmin"),
            "operator": make.user("operator", operator=True),
        }
        make.member(people["member"], acme, MemberRole.MEMBER)
        make.member(people["org_admin"], acme, MemberRole.ADMIN)
        make.member(people["other_admin"], other, MemberRole.ADMIN)
        bob = make.user("bob")
        make.member(bob, acme, MemberRole.MEMBER)
        tokens = {role: make.token(person) for role, person in people.items()}
        values = {"slug": acme, "username": "bob", **LOG_VALUES}
        return cls(people=people, tokens=tokens, values=values, make=make)


def call(
    client: TestClient,
    world: World,
    role: str,
    method: str,
    path: str,
    *,
    page: bool,
    body: dict[str, Any] | None = None,
) -> Response:
    """Make the request as ``role``; pages post forms with the CSRF token, APIs post JSON."""
    url = path.format(**world.values)
    if not page:
        headers = {} if role == "anonymous" else {"Authorization": f"Bearer {world.tokens[role]}"}
        if url.startswith("/taxii2/"):
            taxii = "application/taxii+json;version=2.1"
            headers.update({"Accept": taxii, "Content-Type": taxii})
            content = None if body is None else json.dumps(body)
            return client.request(method, url, content=content, headers=headers)
        return client.request(method, url, json=body, headers=headers)
    if role != "anonymous" and world.make is not None:
        world.make.session(client, world.people[role])
    elif role != "anonymous":
        sign_in(client, world.people[role])
    if method == "GET":
        return client.get(url, follow_redirects=False)
    token = csrf_of(client.get("/login").text)
    return client.request(
        method, url, data={**(body or {}), "csrf_token": token}, follow_redirects=False
    )
