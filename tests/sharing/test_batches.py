"""A long list bound as one parameter (``sharing.batches``) selects exactly its values, on
either database, whatever characters they hold."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import BigInteger, Engine, Text, literal, select, union_all

from accord.sharing import batches

ODD = ['a"b', "c\\d", 'e\\"f', "x,y", "", "NULL", " spaced ", "{}", "ü日本", "'quoted'"]
# What would end an element, the array or the statement if it were not quoted and escaped.
HOSTILE = [
    "\\", "a\\", '\\"', '"', '""', "}", "{", "{a,b}", ",", "a\nb", "\n", "\t", "\r\n",
    "Null", "'; DROP TABLE x; --", "$$", "\u2028", "😀", "[1:2]={x}", "ARRAY['a']",
]  # fmt: skip


# Written by one join on SQLite (nothing to escape): STIX ids and the like.
PLAIN = ["indicator--0b2c4c26-3a5e-4c4e-8d5e-1f2a3b4c5d6e", "a b", "~!#$%&'()*+,-./:;<=>?@[]^_`{|}"]


@pytest.mark.parametrize("given", [ODD, HOSTILE, PLAIN, [], [0, -(2**63), 2**63 - 1, 42]])
def test_a_listed_parameter_selects_exactly_its_values(
    engine: Engine, given: list[str] | list[int]
) -> None:
    dialect = engine.dialect.name
    numbers = bool(given) and isinstance(given[0], int)
    others: list[str] | list[int] = [1, 2**62] if numbers else ["other", "a", "b", "null"]
    type_ = BigInteger() if numbers else Text()
    rows = union_all(*(select(literal(v, type_).label("v")) for v in [*given, *others])).subquery()
    query = select(rows.c.v).where(batches.one_of_param(dialect, rows.c.v, "p", numbers=numbers))
    with engine.connect() as connection:
        found = connection.execute(query, {"p": batches.listed(dialect, given)}).scalars().all()
    assert sorted(found, key=repr) == sorted(given, key=repr)


@pytest.mark.parametrize(
    "given",
    [ODD, HOSTILE, PLAIN, [], [0, -(2**63), 2**63 - 1, 42], [True, 2], ["\x7f", "\x1f"]],
)
def test_a_json_array_reads_back_as_its_values(given: list[object]) -> None:
    """SQLite's parameter: the plain cases are joined, the others written by ``json``."""
    assert json.loads(batches.listed("sqlite", given)) == given  # type: ignore[arg-type]
