"""``/v1/query``'s bodies checked once per distinct body (``osv_api._checked``): the same
query, or the same refusal, as checking it afresh (docs/benchmarks.md, "The reads' own
work")."""

from __future__ import annotations

import json

import pytest

from accord.advisories import osv_api
from accord.advisories.osv_api import OsvError, QueryIn

BODIES = [
    {"package": {"ecosystem": "PyPI", "name": "Django"}, "version": "3.2"},
    {"package": {"ecosystem": "PyPI", "name": "django"}},
    {"package": {"purl": "pkg:pypi/django@3.2"}},
    {"package": {"purl": "pkg:unknown/x@1"}},
    {"commit": "abc123"},
    {"commit": "xyz"},
    {"commit": "abc123", "version": "1"},
    {"package": {"name": "django"}},
    {"package": {"ecosystem": "Nope", "name": "x"}},
    {"package": {"ecosystem": "PyPI", "name": "django"}, "page_token": "bad"},
    {},
    {"version": 3},
]


def _outcome(check: object) -> object:
    try:
        return check()  # type: ignore[operator]
    except OsvError as exc:
        return ("refused", exc.field, str(exc))


@pytest.mark.parametrize("body", [json.dumps(b).encode() for b in BODIES] + [b"{", b""])
def test_the_same_query_or_refusal_as_checking_afresh(body: bytes) -> None:
    osv_api._CHECKED.clear()
    expected = _outcome(lambda: osv_api.to_query(osv_api._parse(QueryIn, body)))
    assert _outcome(lambda: osv_api._checked(body)) == expected
    assert _outcome(lambda: osv_api._checked(body)) == expected  # kept, or refused again
    assert (body in osv_api._CHECKED) == (not isinstance(expected, tuple))


def test_bounded_in_entries_and_length() -> None:
    osv_api._CHECKED.clear()
    for i in range(osv_api._CHECKED_ENTRIES + 5):
        osv_api._checked(json.dumps({"package": {"ecosystem": "PyPI", "name": f"p{i}"}}).encode())
    assert len(osv_api._CHECKED) <= osv_api._CHECKED_ENTRIES
    osv_api._CHECKED.clear()
    name = "p" * 400  # a valid name, in a body past the kept length
    body = json.dumps({"package": {"ecosystem": "PyPI", "name": name}, "version": "1" * 200})
    assert len(body) > osv_api._CHECKED_LENGTH
    osv_api._checked(body.encode())
    assert not osv_api._CHECKED
