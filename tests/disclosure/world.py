"""A disclosure case and everyone around it, for the service, route and matrix tests.

Roles: ``reporter`` (the private token, no account), ``vendor_a`` (the report's target),
``vendor_b`` (invited), ``other_vendor`` (a member of an organization outside the case),
``coordinator`` (a hub operator), ``outsider`` (an account without an organization) and
``anonymous``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from accord.clock import utcnow
from accord.identity.models import MemberRole
from tests import snapshots
from tests.factories import Factories, Person

ROLES = (
    "reporter",
    "vendor_a",
    "vendor_b",
    "other_vendor",
    "coordinator",
    "outsider",
    "anonymous",
)
REPORT: dict[str, Any] = {
    "organization": "vendor-a",
    "title": "SQL injection in the search endpoint",
    "product": "Example Shop",
    "purl": "pkg:pypi/example-shop@2.1.0",
    "versions": "< 2.2",
    "description": "The q parameter of /search reaches SQL unescaped, letting anyone read tables.",
    "steps_to_reproduce": "1. Install 2.1.0\n2. GET /search?q=' OR 1=1 --\n3. See every row.",
    "proof_of_concept": "curl 'http://localhost/search?q=%27%20OR%201=1%20--'",
    "impact": "Anyone can read the whole database.",
    "credit": "Ada Finder",
    "contact": "ada@finder.example",
}


@dataclass
class World:
    """The organizations, people, tokens, and the case once reported."""

    people: dict[str, Person]
    tokens: dict[str, str]
    report_token: str = ""
    case_id: str = ""
    public_id: str = ""
    values: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, make: Factories) -> World:
        """The world, built by the factories (or its rows restored: tests/snapshots.py)."""

        def own(kept: World) -> World:
            return replace(
                kept, people=dict(kept.people), tokens=dict(kept.tokens), values=dict(kept.values)
            )

        return snapshots.kept(make.factory, "tests.disclosure.World", lambda: cls._build(make), own)

    @classmethod
    def _build(cls, make: Factories) -> World:
        for name in ("Vendor A", "Vendor B", "Other Vendor"):
            make.org(name)
        people = {
            "vendor_a": make.user("alice"),
            "vendor_b": make.user("bert"),
            "other_vendor": make.user("olga"),
            "coordinator": make.user("coord", operator=True),
            "outsider": make.user("otto"),
        }
        make.member(people["vendor_a"], "vendor-a", MemberRole.ADMIN)
        make.member(people["vendor_b"], "vendor-b", MemberRole.MEMBER)
        make.member(people["other_vendor"], "other-vendor", MemberRole.ADMIN)
        tokens = {role: make.token(person) for role, person in people.items()}
        return cls(people=people, tokens=tokens)

    def headers(self, role: str) -> dict[str, str]:
        """The API credentials of ``role`` (the reporter's header, a bearer, or none)."""
        if role == "reporter":
            return {"X-Accord-Report-Token": self.report_token}
        if role == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def report(self, client: TestClient, **changes: Any) -> dict[str, Any]:
        """Send the report anonymously; keep its token and id."""
        response = client.post("/api/v1/disclosure/reports", json={**REPORT, **changes})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        self.report_token, self.public_id = body["token"], body["id"]
        self.case_id = body["id"]
        return body

    def open_case(self, client: TestClient) -> str:
        """Report, open as a case (by vendor A), invite vendor B; returns the ACCORD id."""
        self.report(client)
        return self.open_case_after_report(client)

    def open_case_after_report(self, client: TestClient) -> str:
        """Open the report sent as a case (by vendor A), invite vendor B; the ACCORD id."""
        opened = client.post(
            f"/api/v1/disclosure/cases/{self.public_id}/open", headers=self.headers("vendor_a")
        )
        assert opened.status_code == 200, opened.text
        self.case_id = opened.json()["ref"]
        invited = client.post(
            f"/api/v1/disclosure/cases/{self.case_id}/vendors",
            json={"organization": "vendor-b"},
            headers=self.headers("coordinator"),
        )
        assert invited.status_code == 201, invited.text
        return self.case_id

    def embargo(self, client: TestClient, *, days: int = 30) -> str:
        """Propose an embargo ``days`` ahead (as the coordinator); returns it as sent."""
        moment = (utcnow() + timedelta(days=days)).replace(microsecond=0).isoformat()
        response = client.put(
            f"/api/v1/disclosure/cases/{self.case_id}/embargo",
            json={"embargo_at": moment},
            headers=self.headers("coordinator"),
        )
        assert response.status_code == 200, response.text
        return moment

    def accept(self, client: TestClient, role: str, slug: str, moment: str) -> dict[str, Any]:
        """``role`` accepts ``moment`` as ``slug``'s embargo; returns the vendor as answered."""
        response = client.post(
            f"/api/v1/disclosure/cases/{self.case_id}/vendors/{slug}/accept-embargo",
            json={"embargo_at": moment},
            headers=self.headers(role),
        )
        assert response.status_code == 200, response.text
        answered: dict[str, Any] = response.json()
        return answered

    def agreed_embargo(self, client: TestClient, *, days: int = 30) -> str:
        """An embargo ``days`` ahead, proposed by the coordinator and accepted by both
        vendors, so that it is in force; returns it as sent."""
        moment = self.embargo(client, days=days)
        self.accept(client, "vendor_a", "vendor-a", moment)
        self.accept(client, "vendor_b", "vendor-b", moment)
        return moment

    def state(self, client: TestClient, slug: str, status: str, **extra: Any) -> None:
        """Vendor ``slug`` states ``status`` (answered by the coordinator)."""
        response = client.put(
            f"/api/v1/disclosure/cases/{self.case_id}/vendors/{slug}/status",
            json={"status": status, **extra},
            headers=self.headers("coordinator"),
        )
        assert response.status_code == 200, response.text
