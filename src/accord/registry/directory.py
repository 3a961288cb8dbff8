"""The directory of disclosure policies: for every organization still in the registry, what
the hub last found of its security.txt, its policy page (and what that page states), its CSAF
provider metadata and its bug bounty, each from the stored checks of the ``registry.checks``
job. Nothing here fetches: the directory reads the history the checks keep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.identity.models import Organization, OrgKind
from accord.registry.models import Departure, ReachCheck, ReachCheckKind, SecurityTxtCheck

# The directory's filters: name -> what an entry must show for it (yes) or must not (no).
FILTERS = (
    "security_txt_valid",
    "policy_reachable",
    "safe_harbour",
    "response_time",
    "how_to_report",
    "languages",
    "bug_bounty",
    "csaf",
)


@dataclass(frozen=True)
class Entry:
    """One organization in the directory."""

    slug: str
    name: str
    kind: OrgKind
    country: str
    security_txt: SecurityTxtCheck | None
    policy: ReachCheck | None
    csaf: ReachCheck | None

    @property
    def statements(self) -> dict[str, Any]:
        """What the policy page states, topic by topic ({} before it was ever read)."""
        if self.policy is None or not self.policy.ok or self.policy.statements is None:
            return {}
        return self.policy.statements

    def states(self, topic: str) -> bool:
        """Whether the last policy page read states ``topic`` (found, not denied)."""
        found = self.statements.get(topic) or {}
        return bool(found.get("found"))

    def shows(self, name: str) -> bool:
        """Whether the entry meets the filter ``name``."""
        if name == "security_txt_valid":
            return self.security_txt is not None and self.security_txt.ok
        if name == "policy_reachable":
            return self.policy is not None and self.policy.ok
        if name == "csaf":
            return self.csaf is not None and self.csaf.ok
        return self.states(name)


def _latest_ids(db: Session, column: Any, *group: Any) -> list[int]:
    return list(db.scalars(select(func.max(column)).group_by(*group)))


def entries(db: Session, *, wanted: dict[str, bool] | None = None) -> list[Entry]:
    """Every organization that has not left, by name, with its latest checks; ``wanted``
    keeps those meeting (True) or not meeting (False) each named filter."""
    orgs = db.execute(
        select(Organization.id, Organization.slug, Organization.name, Organization.kind,
               Organization.country)
        .outerjoin(Departure, Departure.organization_id == Organization.id)
        .where(Departure.id.is_(None))
        .order_by(Organization.name)
    ).all()  # fmt: skip
    txt_ids = _latest_ids(db, SecurityTxtCheck.id, SecurityTxtCheck.organization_id)
    reach_ids = _latest_ids(db, ReachCheck.id, ReachCheck.organization_id, ReachCheck.kind)
    txt = {c.organization_id: c for c in _rows(db, SecurityTxtCheck, txt_ids)}
    reach: dict[tuple[int, ReachCheckKind], ReachCheck] = {
        (c.organization_id, c.kind): c for c in _rows(db, ReachCheck, reach_ids)
    }
    found = [
        Entry(
            slug=o.slug,
            name=o.name,
            kind=o.kind,
            country=o.country,
            security_txt=txt.get(o.id),
            policy=reach.get((o.id, ReachCheckKind.POLICY)),
            csaf=reach.get((o.id, ReachCheckKind.CSAF)),
        )
        for o in orgs
    ]
    for name, value in (wanted or {}).items():
        found = [e for e in found if e.shows(name) is value]
    return found


def _rows(db: Session, model: Any, ids: Sequence[int]) -> Sequence[Any]:
    found: list[Any] = []
    for start in range(0, len(ids), 500):  # bounded IN lists
        found.extend(db.scalars(select(model).where(model.id.in_(ids[start : start + 500]))))
    return found
