"""A long list bound as one parameter (``sharing.batches``) selects exactly its values, on
either database, whatever characters they hold."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Engine, Text, literal, select, union_all

from accord.sharing import batches

ODD = ['a"b', "c\\d", 'e\\"f', "x,y", "", "NULL", " spaced ", "{}", "ü日本", "'quoted'"]
# What would end an element, the array or the statement if it were not quoted and escaped.
HOSTILE = [
    "\\", "a\\", '\\"', '"', '""', "}", "{", "{a,b}", ",", "a\nb", "\n", "\t", "\r\n",
    "Null", "'; DROP TABLE x; --", "$$", "\u2028", "😀", "[1:2]={x}", "ARRAY['a']",
]  # fmt: skip


@pytest.mark.parametrize("given", [ODD, HOSTILE, [], [0, -(2**63), 2**63 - 1, 42]])
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
