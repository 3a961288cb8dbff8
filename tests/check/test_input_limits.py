"""The public check page refuses an input past accord.limits with a 4xx naming it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import csrf_of

DEEP = {
    "poetry.lock": "a = " + "[" * 5_000 + "]" * 5_000 + "\n",
    "package-lock.json": '{"a":' * 5_000 + "1" + "}" * 5_000,
    "pnpm-lock.yaml": "a: " + "[" * 500 + "]" * 500 + "\n",
}


@pytest.mark.parametrize("name", sorted(DEEP))
def test_a_deeply_nested_upload_is_a_422(client: TestClient, name: str) -> None:
    form = {"csrf_token": csrf_of(client.get("/check").text)}
    answer = client.post("/check", data=form, files={"upload": (name, DEEP[name].encode())})
    assert answer.status_code == 422, answer.text[:500]
    assert f"{name}: nested deeper than 64 levels" in answer.text
