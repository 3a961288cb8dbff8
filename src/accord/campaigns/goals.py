"""A campaign's figure, computed from the registry's stored checks, never from anything else.

At a moment ``at``: the signatories then (organizations of kind signatory created by ``at``
that had not left by it) and, for each, its last check of the goal's kind made by ``at``.
The goal is met when that check shows it:

- ``disclosure_policy``: the policy page check was ok (fetched, 2xx, text/html or text/plain);
- ``security_txt``: the security.txt check was ok (valid under RFC 9116);
- ``csaf_provider``: the CSAF provider metadata check was ok (valid against the schema);
- ``safe_harbour``: the policy page check was ok and the page stated safe harbour
  (``registry/policy_text.py``: found, with its sentence).

A signatory never checked has not met it. The same moments give the same answer, so the
daily snapshots are this function at each day's end, and a test recomputes it from the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from accord.campaigns.models import GoalKind
from accord.identity.models import Organization, OrgKind
from accord.registry.models import Departure, ReachCheck, ReachCheckKind, SecurityTxtCheck
from accord.web.i18n import N_

LABELS = {
    GoalKind.DISCLOSURE_POLICY: N_("publishes a disclosure policy"),
    GoalKind.SECURITY_TXT: N_("has a valid security.txt"),
    GoalKind.CSAF_PROVIDER: N_("runs a CSAF provider"),
    GoalKind.SAFE_HARBOUR: N_("states safe harbour in its policy"),
}


@dataclass(frozen=True)
class Progress:
    """Who met a goal at one moment, and who did not, by slug."""

    at: datetime
    met: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def counted(self) -> int:
        """The signatories at that moment."""
        return len(self.met) + len(self.missing)

    @property
    def share(self) -> float | None:
        """The share of them that met it (None with no signatory)."""
        return len(self.met) / self.counted if self.counted else None


def meets(goal: GoalKind, *, ok: bool, statements: dict[str, Any] | None = None) -> bool:
    """Whether a check (its ``ok`` and, for a policy page, what it stated) meets ``goal``."""
    if goal is GoalKind.SAFE_HARBOUR:
        stated = (statements or {}).get("safe_harbour") or {}
        return ok and bool(stated.get("found"))
    return ok


def signatories_at(db: Session, at: datetime) -> list[tuple[int, str]]:
    """(id, slug) of the signatories at ``at``, by slug."""
    rows = db.execute(
        select(Organization.id, Organization.slug)
        .outerjoin(Departure, Departure.organization_id == Organization.id)
        .where(
            Organization.kind == OrgKind.SIGNATORY,
            Organization.created_at <= at,
            or_(Departure.id.is_(None), Departure.departed_at > at),
        )
        .order_by(Organization.slug)
    ).all()
    return [(row.id, row.slug) for row in rows]


def _last_checks(db: Session, goal: GoalKind, at: datetime) -> dict[int, bool]:
    """Each organization's last check of the goal's kind by ``at``: whether it met it."""
    if goal is GoalKind.SECURITY_TXT:
        last = (
            select(func.max(SecurityTxtCheck.id))
            .where(SecurityTxtCheck.fetched_at <= at)
            .group_by(SecurityTxtCheck.organization_id)
        )
        rows = db.execute(
            select(SecurityTxtCheck.organization_id, SecurityTxtCheck.ok).where(
                SecurityTxtCheck.id.in_(last)
            )
        )
        return {org_id: meets(goal, ok=ok) for org_id, ok in rows}
    kind = ReachCheckKind.CSAF if goal is GoalKind.CSAF_PROVIDER else ReachCheckKind.POLICY
    last = (
        select(func.max(ReachCheck.id))
        .where(ReachCheck.fetched_at <= at, ReachCheck.kind == kind)
        .group_by(ReachCheck.organization_id)
    )
    found = db.execute(
        select(ReachCheck.organization_id, ReachCheck.ok, ReachCheck.statements).where(
            ReachCheck.id.in_(last)
        )
    )
    return {org_id: meets(goal, ok=ok, statements=said) for org_id, ok, said in found}


def progress(db: Session, *, goal: GoalKind, at: datetime) -> Progress:
    """Who met ``goal`` at ``at``, from the checks stored by then."""
    checked = _last_checks(db, goal, at)
    met: list[str] = []
    missing: list[str] = []
    for org_id, slug in signatories_at(db, at):
        (met if checked.get(org_id) else missing).append(slug)
    return Progress(at=at, met=tuple(met), missing=tuple(missing))
