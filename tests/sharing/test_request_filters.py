"""A TAXII read's filters parsed from the raw query string, and kept per query string, are the
filters Starlette's query parameters gave (tests the change of docs/benchmarks.md, "The reads'
own work")."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from accord.sharing import queries, taxii
from accord.sharing.taxii import BadFilter, parse_filters, request_filters

QUERIES = [
    "",
    "limit=100",
    "limit=5&limit=7",
    "limit=x&limit=2",
    "limit=2&limit=x",
    "limit=",
    "limit=0",
    "limit=%C2%B2",
    "limit=99999999999999",
    "match[id]=indicator--a,indicator--b",
    "match%5Bid%5D=indicator--a",
    "match[id]=%20indicator--a%20,,",
    "match[id]=,",
    "match[type]=indicator&match[type]=malware",
    "match[version]=all",
    "match[version]=first,last",
    "match[version]=2024-01-01T00:00:00.000Z",
    "match[version]=nope",
    "match[spec_version]=2.1",
    "match[other]=x",
    "added_after=2024-01-01T00:00:00.300Z&limit=100",
    "added_after=yesterday",
    "added_after=",
    "next=abc",
    "next=",
    "foo=bar&limit=2",
    "limit=2&foo",
    "%ff=%fe&limit=3",
    "limit=1+0",
    "match[id]=caf%C3%A9",
]


def _request(query: str) -> Request:
    return Request({"type": "http", "query_string": query.encode("latin-1"), "headers": []})


def _outcome(parse: object) -> object:
    try:
        return parse()  # type: ignore[operator]
    except BadFilter as exc:
        return ("refused", exc.field, str(exc))


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("allow", ["all", "version"])
@pytest.mark.parametrize("default", [queries.LAST, queries.ALL])
def test_the_same_filters_or_refusal_as_starlettes_query_params(
    query: str, allow: str, default: queries.VersionMatch
) -> None:
    taxii._PARSED.clear()
    expected = _outcome(
        lambda: parse_filters(_request(query).query_params, default_versions=default, allow=allow)
    )
    for _ in range(2):  # parsed, then kept
        found = _outcome(
            lambda: request_filters(_request(query), default_versions=default, allow=allow)
        )
        assert found == expected


def test_kept_per_query_string_and_defaults_only_when_parsed_and_short() -> None:
    taxii._PARSED.clear()
    first = request_filters(_request("limit=5"))
    assert request_filters(_request("limit=5")) is first
    assert request_filters(_request("limit=5"), default_versions=queries.ALL) is not first
    with pytest.raises(BadFilter):
        request_filters(_request("limit=x"))
    long = "limit=5&" + "x" * taxii._PARSED_LENGTH
    request_filters(_request(long))
    assert set(taxii._PARSED) == {
        (b"limit=5", queries.LAST, "all"),
        (b"limit=5", queries.ALL, "all"),
    }


def test_bounded() -> None:
    taxii._PARSED.clear()
    for i in range(taxii._PARSED_ENTRIES + 10):
        request_filters(_request(f"limit={i + 1}"))
    assert len(taxii._PARSED) <= taxii._PARSED_ENTRIES
