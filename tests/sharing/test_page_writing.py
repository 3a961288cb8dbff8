"""A page's statement bound, its query parsed and its answer written without the general
machinery (issue 27): the same values, headers and bytes as that machinery gives, and the
TLP filter bound to each reader's own values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from accord import prepared
from accord.db import unit_of_work
from accord.sharing import queries, taxii
from accord.sharing.models import StixObject
from accord.sharing.stix_timestamps import format_timestamp
from accord.sharing.tlp import Tlp
from tests.factories import Factories
from tests.sharing.test_prepared import ADDED, _collection, _reader, _request

_TEXTS = [
    "2024-05-06 07:08:09.000000",  # whole seconds: milliseconds written
    "2024-05-06 07:08:09.120000",  # ends in 000: milliseconds
    "2024-05-06 07:08:09.000001",
    "2024-05-06 07:08:09.250500",
    "0999-01-02 03:04:05.600000",  # a year before 1000 keeps its four digits
    "9999-12-31 23:59:59.999999",
]


@pytest.mark.parametrize("text", _TEXTS)
def test_a_date_added_is_written_as_format_timestamp_writes_it(text: str) -> None:
    # SQLite's text, and the naive UTC datetime PostgreSQL's driver gives for it.
    assert queries.stix_added(text) == format_timestamp(prepared.timestamp(text))
    naive = datetime.fromisoformat(text)
    assert queries.stix_added(naive) == format_timestamp(naive.replace(tzinfo=UTC))


def test_a_pages_date_headers_are_those_of_its_rows(
    make: Factories, session_factory: sessionmaker[Session], db: Session
) -> None:
    collection_id, org_id = _collection(make, session_factory)
    reader = _reader(frozenset({org_id}))
    for ids in (("x--4",), ("x--1", "x--3", "x--4")):
        page = queries.page(db, _request(collection_id, reader, ids=ids))
        added = sorted(db.scalars(select(StixObject.date_added).where(StixObject.stix_id.in_(ids))))
        assert page.date_headers == {
            "X-TAXII-Date-Added-First": format_timestamp(added[0]),
            "X-TAXII-Date-Added-Last": format_timestamp(added[-1]),
        }
        assert (prepared.timestamp(page.first_raw), prepared.timestamp(page.last_raw)) == (
            added[0],
            added[-1],
        )
    with unit_of_work(session_factory) as session:
        session.execute(delete(StixObject))


@pytest.mark.parametrize(
    "query",
    ["", "limit=10", "match[id]=a--1", "match[id]=a--1,b--2&limit=5&&", "a&b=&=c&limit=1&limit=2",
     "match%5Bid%5D=a--1", "match[id]=a+b", "x=%ZZ&y=1", "added_after=2024-01-01T00:00:00Z",
     "next=eyJh.iJ9&limit=3", "é=ü"],
)  # fmt: skip
def test_a_query_string_is_read_as_parse_qsl_reads_it(query: str) -> None:
    assert taxii._pairs(query) == parse_qsl(query, keep_blank_values=True)


def _envelope_before(result: queries.Page) -> bytes:
    """``envelope_json`` as it was written with ``json.dumps`` of its head."""
    head: dict[str, Any] = {"more": result.more}
    if result.next:
        head["next"] = result.next
    if not result.bodies:
        return json.dumps(head).encode() if result.more else b"{}"
    return (json.dumps(head)[:-1] + ',"objects":[' + ",".join(result.bodies) + "]}").encode()


@pytest.mark.parametrize("more", [False, True])
@pytest.mark.parametrize("next_token", [None, "", 'eyJ"\\é.sig'])
@pytest.mark.parametrize("bodies", [(), ('{"id":"x--1"}',), ('{"id":"x--1"}', '{"id":"é"}')])
def test_an_envelope_is_the_bytes_json_dumps_wrote(
    more: bool, next_token: str | None, bodies: tuple[str, ...]
) -> None:
    page = queries.Page(bodies=bodies, entries=(), more=more, next=next_token)
    assert queries.envelope_json(page) == _envelope_before(page)


def test_each_reader_is_bound_its_own_values_through_a_kept_expansion(
    make: Factories, session_factory: sessionmaker[Session], db: Session
) -> None:
    # Readers whose sets have the same lengths share one expansion of the statement: each
    # must still be given its own values, or one would read through another's filter.
    collection_id, org_id = _collection(make, session_factory)
    producer, stranger = _reader(frozenset({org_id})), _reader(frozenset({org_id + 1000}))
    strict = ("x--0",)  # AMBER+STRICT: its producer sees it, another organization does not
    for _ in range(3):
        assert queries.page(db, _request(collection_id, producer, ids=strict)).bodies
        assert not queries.page(db, _request(collection_id, stranger, ids=strict)).bodies
        assert queries.page(db, _request(collection_id, stranger, ids=("x--1",))).bodies
    with unit_of_work(session_factory) as session:
        session.execute(delete(StixObject))


def test_a_statement_gets_each_value_where_its_sql_takes_it(
    make: Factories, session_factory: sessionmaker[Session], db: Session
) -> None:
    # A parameter used twice, a list, a value fixed in the statement, a timestamp's type
    # processor and a parameter the statement does not take, as the ORM binds them.
    collection_id, _ = _collection(make, session_factory)
    statement = (
        select(StixObject.stix_id)
        .where(
            StixObject.collection_id == bindparam("collection_id"),
            or_(StixObject.stix_id == bindparam("one"), StixObject.stix_type == bindparam("one")),
            StixObject.tlp.in_([Tlp.GREEN.value, Tlp.AMBER_STRICT.value]),
            StixObject.date_added >= bindparam("since", type_=StixObject.date_added.type),
        )
        .union_all(
            select(StixObject.stix_id).where(
                StixObject.stix_id.in_(bindparam("ids", expanding=True))
            )
        )
        .order_by("stix_id")
    )
    for one, ids, since in (("x--3", ("x--1",), ADDED[0]), ("x", ["x--0", "x--5"], ADDED[3]),
                            ("x--0", ("x--0",), ADDED[0] + timedelta(days=9))):  # fmt: skip
        params = {"collection_id": collection_id, "one": one, "ids": ids, "since": since,
                  "unused": object()}  # fmt: skip
        expected = db.execute(statement, {**params, "ids": list(ids)}).scalars().all()
        assert [r[0] for r in prepared.rows(db, statement, params)] == expected
    with unit_of_work(session_factory) as session:
        session.execute(delete(StixObject))
