"""A long list of values as one bound parameter: ``column IN (...)`` for thousands of values.

A look-up of 10,000 values asks the index for some 16,000 keys. Bound one by one, the keys
cost more to render into SQL and bind than the database takes to find them, a statement holds
at most 32,766 of them on SQLite, and each distinct count of values is a new statement to
compile and plan. As one parameter the statement is the same whatever the count: a JSON array
read by ``json_each`` on SQLite, an array compared with ``= ANY`` on PostgreSQL; each an index
seek per value, as the plain ``IN`` list was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Text,
    any_,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session


def one_of(db: Session, column: Any, values: Sequence[int] | Sequence[str]) -> ColumnElement[bool]:
    """``column`` is one of ``values`` (all integers or all strings), as one parameter."""
    dialect = db.get_bind().dialect.name
    numbers = bool(values) and isinstance(values[0], int)
    value = listed(dialect, values)
    return _condition(dialect, column, lambda type_: bindparam(None, value, type_=type_), numbers)


def one_of_param(dialect: str, column: Any, name: str, *, numbers: bool) -> ColumnElement[bool]:
    """``column`` is one of the values of the parameter ``name`` (its value made by
    :func:`listed`), for statements built once and run with ``accord.prepared``."""
    return _condition(dialect, column, lambda type_: bindparam(name, type_=type_), numbers)


def beside(dialect: str, column: Any) -> Any:
    """``column`` for a condition that goes with :func:`one_of`: on SQLite, an expression
    whose index the planner cannot take. Without statistics (no ``ANALYZE`` yet, so no
    ``sqlite_stat1``) SQLite guesses ten rows for any index key and a few more for the
    ``json_each`` list, so it started from the collections' index and read every object of
    the collection for each look-up (a full scan a value, seen at a million objects)."""
    return column + 0 if dialect == "sqlite" else column


def listed(dialect: str, values: Sequence[int] | Sequence[str]) -> Any:
    """The value of a :func:`one_of_param` parameter holding ``values``."""
    return _array_text(values) if dialect == "postgresql" else _json_array(values)


def _json_array(values: Sequence[int] | Sequence[str]) -> str:
    """``values`` as a JSON array, as ``json.dumps`` reads back: integers, and text with
    nothing to escape (STIX ids), written by one join. ``json``'s encoder took 2,000
    instructions an element (a look-up binds 16,000 keys and 6,000 ids)."""
    if values and isinstance(values[0], int) and all(v.__class__ is int for v in values):
        return "[" + ",".join(map(str, values)) + "]"
    if values and all(v.__class__ is str for v in values):
        whole = "".join(values)  # type: ignore[arg-type]
        # ASCII without a control character, quote or backslash: JSON as it is.
        if whole.isascii() and not _UNSAFE.search(whole):
            return '["' + '","'.join(values) + '"]'  # type: ignore[arg-type]
    return json.dumps(list(values))


_UNSAFE = re.compile(r'[\x00-\x1f"\\]')


def _array_text(values: Sequence[int] | Sequence[str]) -> str:
    """``values`` as PostgreSQL writes an array (``{1,2}``, ``{"a","b"}``), cast by the
    statement: psycopg adapts a Python list element by element in Python, which cost 7 ms for
    a look-up's 16,000 keys and as much for its 6,000 indicator ids."""
    if values and isinstance(values[0], int):
        return "{" + ",".join(map(str, values)) + "}"
    texts = list(map(str, values))
    if texts and '"' not in (whole := "".join(texts)) and "\\" not in whole:
        # Nothing to escape (STIX ids, host names): each element quoted by one join.
        return '{"' + '","'.join(texts) + '"}'
    quoted = ['"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values]
    return "{" + ",".join(quoted) + "}"


def _condition(
    dialect: str, column: Any, param: Callable[[Any], BindParameter[Any]], numbers: bool
) -> ColumnElement[bool]:
    if dialect == "postgresql":
        item = BigInteger() if numbers else Text()
        array = cast(param(Text()), postgresql.ARRAY(item))
        condition: ColumnElement[bool] = column == any_(array)
        return condition
    values = func.json_each(param(Text())).table_valued("value")
    within: ColumnElement[bool] = column.in_(select(values.c.value))
    return within
