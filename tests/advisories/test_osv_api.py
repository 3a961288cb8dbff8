"""The OSV-compatible API: OSV.dev's shapes, page tokens and errors, at the root path /v1."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import ecosystems, importer, querying
from accord.advisories.osv_api import MAX_BATCH
from tests.advisories.conftest import VULNS, import_path, record


def _ids(body: dict[str, Any]) -> list[str]:
    return [v["id"] for v in body.get("vulns", [])]


# OSV.dev's own documentation answers jinja2 2.4.1 with these PYSEC records (plus GHSA
# records, which the PyPA database does not hold): an independent expected answer.
JINJA2_241 = ["PYSEC-2014-8", "PYSEC-2014-82", "PYSEC-2019-217", "PYSEC-2019-220", "PYSEC-2021-66"]


def test_query_by_package_and_version_answers_full_records(
    client: TestClient, jinja2: importer.Report
) -> None:
    response = client.post(
        "/v1/query", json={"package": {"ecosystem": "PyPI", "name": "jinja2"}, "version": "2.4.1"}
    )
    assert response.status_code == 200
    body = response.json()
    assert _ids(body) == JINJA2_241
    assert "next_page_token" not in body
    first = body["vulns"][0]
    on_disk = importer.parse((VULNS / "jinja2" / "PYSEC-2014-8.yaml").read_text(), name="x.yaml")
    assert first == on_disk  # the record as published, nothing added or lost


def test_names_are_normalized_per_ecosystem_and_purls_work(
    client: TestClient, jinja2: importer.Report
) -> None:
    fixed = client.post(
        "/v1/query", json={"package": {"ecosystem": "PyPI", "name": "Jinja2"}, "version": "3.1.4"}
    )
    assert fixed.json() == {}  # OSV.dev answers an empty object when nothing matches
    by_purl = client.post("/v1/query", json={"package": {"purl": "pkg:pypi/JINJA2@2.4.1"}})
    assert _ids(by_purl.json()) == JINJA2_241
    versionless = client.post("/v1/query", json={"package": {"purl": "pkg:pypi/jinja2"}})
    assert len(_ids(versionless.json())) == 5
    unknown_type = client.post("/v1/query", json={"package": {"purl": "pkg:unknown/x@1"}})
    assert unknown_type.status_code == 200
    assert unknown_type.json() == {}


def test_querybatch_answers_ids_and_modified_in_order(
    client: TestClient, jinja2: importer.Report
) -> None:
    queries = [
        {"package": {"purl": "pkg:pypi/jinja2@2.4.1"}},
        {"package": {"ecosystem": "PyPI", "name": "jinja2"}, "version": "3.1.4"},
        {"package": {"ecosystem": "npm", "name": "jinja2"}, "version": "2.4.1"},
    ]
    body = client.post("/v1/querybatch", json={"queries": queries}).json()
    first, second, third = body["results"]
    assert [v["id"] for v in first["vulns"]] == JINJA2_241
    assert set(first["vulns"][0]) == {"id", "modified"}
    assert first["vulns"][0]["modified"] == "2021-07-05T00:01:22.043149Z"
    assert second == {}
    assert third == {}


def test_querybatch_full_records_on_request(client: TestClient, jinja2: importer.Report) -> None:
    queries = [{"package": {"purl": "pkg:pypi/jinja2@2.4.1"}}]
    body = client.post("/v1/querybatch?full=true", json={"queries": queries}).json()
    (result,) = body["results"]
    assert [v["id"] for v in result["vulns"]] == JINJA2_241
    assert all("affected" in v and "details" in v for v in result["vulns"])


def test_get_vuln_by_id(client: TestClient, jinja2: importer.Report) -> None:
    found = client.get("/v1/vulns/PYSEC-2019-217")
    assert found.status_code == 200
    assert found.json()["id"] == "PYSEC-2019-217"
    missing = client.get("/v1/vulns/PYSEC-0000-0")
    assert missing.status_code == 404
    assert missing.json() == {"code": 5, "message": "Bug not found.", "field": "id"}


def test_pages_follow_the_token_and_a_foreign_token_is_refused(
    client: TestClient, jinja2: importer.Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(querying, "PAGE_SIZE", 2)
    query: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": "jinja2"}, "version": "2.4.1"}
    seen: list[str] = []
    token = None
    for _ in range(5):
        body = client.post(
            "/v1/query", json={**query, **({"page_token": token} if token else {})}
        ).json()
        seen += _ids(body)
        token = body.get("next_page_token")
        if token is None:
            break
    assert seen == JINJA2_241
    first = client.post("/v1/query", json=query).json()["next_page_token"]
    other = {"package": {"ecosystem": "PyPI", "name": "jinja2"}, "page_token": first}
    refused = client.post("/v1/query", json=other)
    assert refused.status_code == 400
    assert refused.json()["message"] == "Invalid page token."
    batch = client.post("/v1/querybatch", json={"queries": [query, {**query, "page_token": "zz"}]})
    assert batch.status_code == 400
    assert batch.json() == {
        "code": 3,
        "message": "Invalid page token at index: 1.",
        "field": "queries[1].page_token",
    }
    paged = client.post("/v1/querybatch", json={"queries": [query]}).json()["results"][0]
    assert len(paged["vulns"]) == 2
    assert paged["next_page_token"]


def test_commit_queries_match_commits_the_record_names(
    client: TestClient, session_factory: sessionmaker[Session], tmp_path: Any
) -> None:
    introduced = "6879efc2c1596d11a6a6ad296f80063b558d5e0f"
    git = record(
        "x_TEST-GIT",
        affected=[
            {
                "package": {"ecosystem": "PyPI", "name": "pkg"},
                "ranges": [
                    {
                        "type": "GIT",
                        "repo": "https://example.org/pkg",
                        "events": [{"introduced": introduced}, {"fixed": "f" * 40}],
                    }
                ],
            }
        ],
    )
    (tmp_path / "git.json").write_text(json.dumps(git))
    import_path(session_factory, tmp_path / "git.json")
    assert _ids(client.post("/v1/query", json={"commit": introduced}).json()) == ["x_TEST-GIT"]
    assert client.post("/v1/query", json={"commit": "f" * 40}).json() == {}
    bad = client.post("/v1/query", json={"commit": "xyz"})
    assert bad.status_code == 400
    assert bad.json()["message"] == "Invalid hash."


PYPI_X = {"ecosystem": "PyPI", "name": "x"}
BAD_QUERIES = [
    ({"package": {"ecosystem": "PyPi", "name": "x"}}, "package.ecosystem", "Invalid ecosystem."),
    ({"package": {"name": "x"}, "version": "1"}, "package.ecosystem", "required"),
    ({"package": {"purl": "pkg:pypi/x", "name": "x"}}, "package.name", "name specified in a PURL"),
    (
        {"package": {"purl": "pkg:pypi/x", "ecosystem": "PyPI"}},
        "package.ecosystem",
        "ecosystem specified in a PURL query",
    ),
    (
        {"package": {"purl": "pkg:pypi/x@1"}, "version": "2"},
        "version",
        "version specified in params and PURL query",
    ),
    ({"package": {"purl": "not a purl"}}, "package.purl", "invalid package URL"),
    ({"version": "1.0"}, "query", "Invalid query."),
    ({"package": PYPI_X, "extra": 1}, "extra", "Extra inputs are not permitted"),
    ({"package": {"ecosystem": "PyPI", "name": 7}}, "package.name", "string"),
    ({"commit": "ab" * 20, "version": "1"}, "version", "cannot both be set"),
]


@pytest.mark.parametrize(("body", "field", "message"), BAD_QUERIES)
def test_bad_queries_are_400_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str, message: str
) -> None:
    response = client.post("/v1/query", json=body)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["code"] == 3
    assert answer["field"] == field
    assert message in answer["message"]


def test_unknown_ecosystem_lists_the_known_ones(client: TestClient) -> None:
    response = client.post("/v1/query", json={"package": {"ecosystem": "Cobol", "name": "x"}})
    assert response.status_code == 400
    message = response.json()["message"]
    assert all(name in message for name in ecosystems.known())
    assert "PyPI" in message
    assert "crates.io" in message


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/v1/query", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == 3
    assert response.json()["field"] == "body"


def test_a_batch_over_the_limit_is_400_with_the_limit(client: TestClient) -> None:
    query = {"package": {"ecosystem": "PyPI", "name": "x"}, "version": "1"}
    over = client.post("/v1/querybatch", json={"queries": [query] * (MAX_BATCH + 1)})
    assert over.status_code == 400
    assert over.json()["field"] == "queries"
    assert "1000" in over.json()["message"]
    assert over.json()["message"].startswith("Too many queries.")
    at_limit = client.post("/v1/querybatch", json={"queries": [query] * MAX_BATCH})
    assert at_limit.status_code == 200
    assert len(at_limit.json()["results"]) == MAX_BATCH


def test_unknown_paths_under_v1_answer_json(client: TestClient) -> None:
    response = client.get("/v1/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


def test_the_openapi_description_documents_the_limits(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    batch = spec["paths"]["/v1/querybatch"]["post"]
    assert "1,000" in batch["description"]
    assert "queries" in json.dumps(batch["requestBody"])
    assert any(p["name"] == "full" for p in batch["parameters"])
