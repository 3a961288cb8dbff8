"""The TLP rule as a SQL filter, so that pages, ``more`` flags and counts see visible rows only.

An object is visible when one of the reader's relations to it admits its level, which is
``accord.identity.policy.may_see_object`` over ``tlp.AUDIENCE``. Each relation becomes one
condition on the row (its producer, its audience), ANDed with the levels that relation admits;
the disjunction of those is the filter. ``tests/sharing/test_tlp.py`` checks the two agree.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true

from accord.sharing.models import StixObject
from accord.sharing.readers import Reader
from accord.sharing.tlp import Relation, Tlp, levels_for


def visible_clause(reader: Reader) -> ColumnElement[bool]:
    """The rows of ``sharing_objects`` that ``reader`` may see."""
    row = StixObject
    conditions: list[tuple[Relation, ColumnElement[bool]]] = [(Relation.ANYONE, true())]
    if reader.community:
        conditions.append((Relation.COMMUNITY, true()))
    if reader.org_ids:
        conditions.append((Relation.PRODUCER, row.producer_org_id.in_(reader.org_ids)))
    if reader.org_audiences:
        conditions.append((Relation.RECIPIENT_ORG, row.audience_id.in_(reader.org_audiences)))
    if reader.group_audiences:
        conditions.append((Relation.RECIPIENT_GROUP, row.audience_id.in_(reader.group_audiences)))
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
    if reader.peer_remote_ids:
        clause = and_(
            clause,
            or_(
                row.origin_remote_id.is_(None), row.origin_remote_id.not_in(reader.peer_remote_ids)
            ),
        )
    return clause
