"""Guards that decide before a writing request's transaction begins, and ask again inside it.

On SQLite the write turn is one per database: whatever a guard reads through the request's
writing session holds the turn from the guard's step to the route's commit. A guard reads
through a read-only session instead (:func:`writes_later`), and the policy's decision is asked
again inside the write transaction (:func:`recheck_in_writer`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy import Connection, event, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached

from accord.identity.models import Membership
from accord.identity.policy import Action, Actor, authorize

T = TypeVar("T")


def writes_later(db: Session, *, reads: bool) -> bool:
    """Whether a guard should read through a read-only session of its own, not ``db``.

    On SQLite a writing request's session takes the one write turn at its first statement and
    keeps it until its commit, every thread hop between included: a guard reading there held
    the turn through its own hop, while the writers behind waited. Not for reads (``reads``: ``db``
    is read-only already) nor once ``db`` has begun (the turn is held anyway, and what the
    guard reads is read inside the write transaction).
    """
    return not reads and not db.in_transaction()


def recheck_in_writer(db: Session, actor: Actor, action: Action, *, org_id: int | None) -> None:
    """Ask the policy again, inside each transaction ``db`` begins, with the actor's role in
    the organization as that transaction sees it.

    The guard decided on what a read-only session saw, before the write transaction began: a
    membership revoked (or a role lowered) in between must not let the write through. The
    role is read by the membership's unique key as the transaction's first statement; on
    SQLite the transaction holds the write lock from its BEGIN IMMEDIATE, so no revocation can
    commit before it ends; on PostgreSQL the row is locked FOR SHARE, so a revocation waits
    for it.
    """
    if actor.user_id is None or org_id is None:
        return  # no membership to revoke: the decision did not depend on one

    def recheck(_session: Session, _transaction: Any, connection: Connection) -> None:
        role = connection.execute(
            select(Membership.role)
            .where(Membership.user_id == actor.user_id, Membership.organization_id == org_id)
            .with_for_update(read=True)
        ).scalar_one_or_none()
        roles = {k: v for k, v in actor.roles.items() if k != org_id}
        if role is not None:
            roles[org_id] = role
        authorize(replace(actor, roles=roles), action, org_id=org_id)

    event.listen(db, "after_begin", recheck)


def attach_for_write(db: Session, found: T, actor: Actor, action: Action, *, org_id: int) -> T:
    """``found``, read through a read-only session for a guard that let ``actor`` through,
    attached to the request's writing session without a query (the route's own first
    statement takes the write turn), the decision to be asked again inside the transaction."""
    attached = db.merge(found, load=False)
    recheck_in_writer(db, actor, action, org_id=org_id)
    return attached


def by_key_in_writer(
    db: Session, found: T, actor: Actor, action: Action, *, org_id: int | None
) -> T:
    """``found``, read through a read-only session for a guard that let ``actor`` through, as
    a fresh instance of the writing session that knows only its primary key: its first
    attribute read loads it by that key inside the write transaction (after the decision is
    asked again there), so the route never acts on a row as an earlier snapshot saw it (an
    advisory published in between, say) and the guard's step takes no write turn."""
    mapper = inspect(found).mapper
    stub = mapper.class_manager.new_instance()
    key = mapper.primary_key_from_instance(found)
    for column, value in zip(mapper.primary_key, key, strict=True):
        setattr(stub, mapper.get_property_by_column(column).key, value)
    make_transient_to_detached(stub)
    db.add(stub)
    recheck_in_writer(db, actor, action, org_id=org_id)
    return stub  # type: ignore[no-any-return]
