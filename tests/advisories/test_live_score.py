"""The editor's live CVSS score: the endpoint htmx posts the choices to answers the score
the ``cvss`` library computes, and refuses a vector it cannot read beside the field."""

from __future__ import annotations

import re

import pytest
from cvss import CVSS3, CVSS4
from fastapi.testclient import TestClient

from tests.factories import csrf_of

# Examples of FIRST's specifications: CVSS 3.1 "Examples" (CVE-2013-1937 phpMyAdmin,
# CVE-2014-0160 OpenSSL Heartbleed, CVE-2013-0375 MySQL) and CVSS 4.0's examples.
V3_EXAMPLES = [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "Medium"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, "High"),
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, "Medium"),
]
V4_EXAMPLES = [
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, "Critical"),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.5, "High"),
]


def _csrf(client: TestClient) -> str:
    page = client.get("/preferences")
    assert page.status_code == 200
    return csrf_of(page.text)


def _shown(html: str) -> tuple[str, str]:
    found = re.search(r"<strong>([0-9.]+)</strong> <span class=\"badge[^\"]*\">(\w+)</span>", html)
    assert found is not None, html
    return found.group(1), found.group(2)


@pytest.mark.parametrize(("vector", "expected", "rating"), V3_EXAMPLES)
def test_a_cvss_3_vector_is_scored_as_the_library_and_the_specification_score_it(
    client: TestClient, vector: str, expected: float, rating: str
) -> None:
    answer = client.post(
        "/advisories/cvss-score?version=v3",
        data={"vector": vector, "csrf_token": _csrf(client)},
    )
    assert answer.status_code == 200
    assert 'id="score-v3"' in answer.text
    assert "<html" not in answer.text  # a part of the editor, not a page
    assert float(CVSS3(vector).base_score) == expected
    assert _shown(answer.text) == (str(expected), rating)


@pytest.mark.parametrize(("vector", "expected", "rating"), V4_EXAMPLES)
def test_a_cvss_4_vector_is_scored_as_the_library_and_the_specification_score_it(
    client: TestClient, vector: str, expected: float, rating: str
) -> None:
    answer = client.post(
        "/advisories/cvss-score?version=v4",
        data={"vector": vector, "csrf_token": _csrf(client)},
    )
    assert answer.status_code == 200
    assert float(CVSS4(vector).base_score) == expected
    assert _shown(answer.text) == (str(expected), rating)


def test_the_editors_choices_are_scored_and_an_incomplete_choice_asks_for_the_rest(
    client: TestClient,
) -> None:
    vector = V3_EXAMPLES[1][0]
    choices = {f"v3-{part.split(':')[0]}": part.split(":")[1] for part in vector.split("/")[1:]}
    csrf = _csrf(client)
    answer = client.post("/advisories/cvss-score?version=v3", data={**choices, "csrf_token": csrf})
    assert answer.status_code == 200
    assert _shown(answer.text) == ("7.5", "High")
    assert vector in answer.text
    del choices["v3-A"]
    partial = client.post("/advisories/cvss-score?version=v3", data={**choices, "csrf_token": csrf})
    assert partial.status_code == 200
    assert "<strong>" not in partial.text
    assert "Choose every metric" in partial.text


@pytest.mark.parametrize(
    ("version", "vector"),
    [
        ("v3", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
        ("v4", "CVSS:4.0/AV:N/AC:L"),
        ("v4", "not a vector"),
    ],
)
def test_a_vector_the_library_refuses_is_a_422_beside_the_field(
    client: TestClient, version: str, vector: str
) -> None:
    answer = client.post(
        f"/advisories/cvss-score?version={version}",
        data={"vector": vector, "csrf_token": _csrf(client)},
    )
    assert answer.status_code == 422
    error = re.search(rf'class="error" id="cvss_{version}-error">([^<]+)<', answer.text)
    assert error is not None
    assert "invalid CVSS" in error.group(1)
    assert "<strong>" not in answer.text


def test_an_unknown_version_or_a_missing_token_is_refused(client: TestClient) -> None:
    csrf = _csrf(client)
    vector = V3_EXAMPLES[0][0]
    assert (
        client.post(
            "/advisories/cvss-score?version=v5", data={"vector": vector, "csrf_token": csrf}
        ).status_code
        == 422
    )
    assert (
        client.post("/advisories/cvss-score?version=v3", data={"vector": vector}).status_code == 403
    )
