"""The audit log: every privileged action becomes a row in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from accord.identity.models import AuditEvent
from accord.identity.policy import Actor

# Keys that must never reach the log, whatever a caller passes in ``details``.
_SECRET_KEYS = frozenset({"password", "token", "secret", "secret_hash", "csrf_token"})


def record(
    db: Session,
    *,
    actor: Actor,
    action: str,
    target: str = "",
    organization_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit row to ``db``'s transaction; it commits or rolls back with the change."""
    clean = {k: v for k, v in (details or {}).items() if k not in _SECRET_KEYS}
    event = AuditEvent(
        action=action,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        organization_id=organization_id,
        target=target,
        ip_address=actor.ip_address,
        details=clean,
    )
    db.add(event)
    return event


# Each distinct action by one index seek from the last (a "loose index scan" on the
# (action, at) index), not by reading every row: the audit table only grows, and PostgreSQL's
# DISTINCT would read its whole index. The same statement serves SQLite.
_ACTIONS = text(
    "WITH RECURSIVE seen(action) AS ("
    " SELECT min(action) FROM audit_events"
    " UNION ALL"
    " SELECT (SELECT min(action) FROM audit_events WHERE action > seen.action)"
    " FROM seen WHERE seen.action IS NOT NULL"
    ") SELECT action FROM seen WHERE action IS NOT NULL"
)


def actions(db: Session) -> list[str]:
    """Every action the audit log holds, sorted (the audit page offers them in a list)."""
    return list(db.scalars(_ACTIONS))


def search(
    db: Session,
    *,
    action: str | None = None,
    actor: str | None = None,
    organization_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> Sequence[AuditEvent]:
    """Audit rows, newest first, filtered; ``before_id`` pages backwards without offsets."""
    since, until = _aware(since), _aware(until)
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor_label == actor)
    if organization_id is not None:
        query = query.where(AuditEvent.organization_id == organization_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return db.scalars(query).all()


def _aware(value: datetime | None) -> datetime | None:
    # A filter given without a zone is read as UTC, the zone every timestamp is stored in.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
