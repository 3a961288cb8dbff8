"""Bad input found by the audit and by schemathesis: each is a 4xx naming the field, never a
500 (the check of every route at once is tests/web/test_schemathesis.py)."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from accord.disclosure.schemas import ReadMarkUpdate
from accord.identity.models import MemberRole
from tests.factories import Factories
from tests.registry.helpers import application_body


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


def _integer_parameters(app: FastAPI) -> list[tuple[str, str, str, str]]:
    """(method, path, name, where) of every integer path or query parameter in the OpenAPI."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                kinds = [schema.get("type")] + [s.get("type") for s in schema.get("anyOf", [])]
                if "integer" in kinds and parameter["in"] in ("path", "query"):
                    found.append((method.upper(), path, parameter["name"], parameter["in"]))
    return found


def test_integers_past_a_database_column_are_a_422_naming_the_parameter(
    app: FastAPI, client: TestClient, make: Factories
) -> None:
    # 2**31 is past PostgreSQL's INTEGER (a DataError), 2**63 past SQLite's (an OverflowError):
    # both were 500s on about ten routes.
    operator = make.bearer(make.user("operator", operator=True))
    parameters = _integer_parameters(app)
    assert len(parameters) > 20
    answers = {}
    for method, path, name, where in parameters:
        for value in (2**31, 2**63, -(2**63) - 1):
            url = re.sub(r"\{[^}]+\}", "x", path.replace("{" + name + "}", str(value)))
            params = {name: str(value)} if where == "query" else None
            answer = client.request(method, url, params=params, headers=operator)
            answers[f"{method} {path} {name}={value}"] = answer.status_code
            if answer.status_code == 422:  # other parameters ("x") may be wrong too
                fields = [e["field"] for e in answer.json()["errors"]]
                assert name in fields, (method, path, answer.text)
    assert {k: v for k, v in answers.items() if v >= 500} == {}


@pytest.mark.parametrize("value", [2**31, 2**63])
def test_an_integer_past_a_column_in_a_body_is_a_422(client: TestClient, value: int) -> None:
    answer = client.post("/api/v1/applications", json=application_body(accord_version=value))
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "accord_version"


@pytest.mark.parametrize("depth", [65, 900, 100_000])
def test_deeply_nested_json_in_a_request_body_is_a_4xx(
    client: TestClient, make: Factories, depth: int
) -> None:
    admin = make.user("publisher")
    slug = make.org("Deep Org")
    make.member(admin, slug, MemberRole.ADMIN)
    deep = '{"a":' * depth + "1" + "}" * depth
    body = (
        '{"summary": "deep", "affected": [{"package": {"ecosystem": "PyPI", "name": "x"},'
        f' "ecosystem_specific": {deep}}}]}}'
    )
    answer = client.post(
        f"/api/v1/advisories/orgs/{slug}",
        content=body,
        headers={**make.bearer(admin), "Content-Type": "application/json"},
    )
    assert 400 <= answer.status_code < 500, answer.text[:300]


def test_a_bound_of_the_field_itself_still_holds_beside_the_column_bound() -> None:
    # DbInt's own lower bound must not replace a field's (as Field(ge=...) as a default did).
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        ReadMarkUpdate.model_validate({"last_read_id": -1})
    with pytest.raises(ValidationError, match="less than or equal to 2147483647"):
        ReadMarkUpdate.model_validate({"last_read_id": 2**31})
