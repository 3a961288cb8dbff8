"""Bad input found by the audit and by schemathesis: each is a 4xx naming the field, never a
500 (the check of every route at once is tests/web/test_schemathesis.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from accord.identity.models import MemberRole
from tests.factories import Factories


@pytest.mark.parametrize("field", ["website", "security_contact", "country", "description"])
def test_null_for_a_field_every_organization_has_is_a_422(
    client: TestClient, make: Factories, field: str
) -> None:
    admin = make.user("orgadmin")
    slug = make.org("Null Org")
    make.member(admin, slug, MemberRole.ADMIN)
    answer = client.patch(f"/api/v1/orgs/{slug}", json={field: None}, headers=make.bearer(admin))
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert "not null" in answer.json()["message"]
    # Omitted, it stays as it is; a value still changes it.
    kept = client.patch(f"/api/v1/orgs/{slug}", json={}, headers=make.bearer(admin))
    assert kept.status_code == 200, kept.text
    assert kept.json()["website"]
