"""The TLP rule as a SQL filter, so that pages, ``more`` flags and counts see visible rows only.

An object is visible when one of the reader's relations to it admits its level, which is
``accord.identity.policy.may_see_object`` over ``tlp.AUDIENCE``. Each relation becomes one
condition on the row (its producer, its audience), ANDed with the levels that relation admits;
the disjunction of those is the filter. ``tests/sharing/test_tlp.py`` checks the two agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, false, or_, true

from accord.sharing.models import StixObject
from accord.sharing.readers import Reader
from accord.sharing.tlp import Relation, Tlp, levels_for

# What a reader's filter depends on besides the levels: which of its sets are non-empty (the
# statement's shape) and their members (bound parameters).
Shape = tuple[bool, bool, bool, bool, bool]
_SETS = ("visible_orgs", "visible_org_audiences", "visible_group_audiences", "visible_peers")


def shape_of(reader: Reader) -> Shape:
    """The shape of ``reader``'s filter: statements of one shape differ only in parameters."""
    return (
        reader.community,
        bool(reader.org_ids),
        bool(reader.org_audiences),
        bool(reader.group_audiences),
        bool(reader.peer_remote_ids),
    )


def parameters(reader: Reader) -> dict[str, tuple[int, ...]]:
    """The values of the filter's bound parameters for ``reader`` (its sets, made once a
    reader: ``Reader.filter_values``)."""
    return dict(zip(_SETS, reader.filter_values, strict=True))


def visible_clause(reader: Reader) -> ColumnElement[bool]:
    """The rows of ``sharing_objects`` that ``reader`` may see, with its values bound."""
    values = parameters(reader)
    return shaped_clause(
        shape_of(reader), lambda name: bindparam(name, values[name], expanding=True, unique=True)
    )


def shaped_clause(
    shape: Shape, bind: Callable[[str], BindParameter[Any]] | None = None
) -> ColumnElement[bool]:
    """The filter for readers of ``shape``, its sets as parameters (named as in
    :func:`parameters`, unbound unless ``bind`` makes them)."""
    param = bind or (lambda name: bindparam(name, expanding=True))
    community, orgs, org_audiences, group_audiences, peers = shape
    row = StixObject
    conditions: list[tuple[Relation, ColumnElement[bool]]] = [(Relation.ANYONE, true())]
    if community:
        conditions.append((Relation.COMMUNITY, true()))
    if orgs:
        conditions.append((Relation.PRODUCER, row.producer_org_id.in_(param(_SETS[0]))))
    if org_audiences:
        conditions.append((Relation.RECIPIENT_ORG, row.audience_id.in_(param(_SETS[1]))))
    if group_audiences:
        conditions.append((Relation.RECIPIENT_GROUP, row.audience_id.in_(param(_SETS[2]))))
    clauses = []
    for relation, condition in conditions:
        levels = levels_for(relation)
        if not levels:
            continue
        if levels == frozenset(Tlp):
            clauses.append(condition)
        else:
            clauses.append(and_(row.tlp.in_(sorted(levels)), condition))
    clause: ColumnElement[bool] = or_(*clauses) if clauses else false()
    if peers:
        clause = and_(
            clause,
            or_(row.origin_remote_id.is_(None), row.origin_remote_id.not_in(param(_SETS[3]))),
        )
    return clause
