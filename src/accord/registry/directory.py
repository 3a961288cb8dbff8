"""The directory of disclosure policies: for every organization still in the registry, what
the hub last found of its security.txt, its policy page (and what that page states), its CSAF
provider metadata and its bug bounty, each from the stored checks of the ``registry.checks``
job. Nothing here fetches: the directory reads the history the checks keep.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
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


PER_PAGE = 50
MAX_PER_PAGE = 200


def meets(
    name: str,
    *,
    security_txt_ok: bool | None,
    policy_ok: bool | None,
    statements: dict[str, Any] | None,
    csaf_ok: bool | None,
) -> bool:
    """Whether an organization whose last checks found this meets the filter ``name``
    (None: never checked; ``statements``: what its last reachable policy page states)."""
    if name == "security_txt_valid":
        return bool(security_txt_ok)
    if name == "policy_reachable":
        return bool(policy_ok)
    if name == "csaf":
        return bool(csaf_ok)
    found = ((statements or {}) if policy_ok else {}).get(name) or {}
    return bool(found.get("found"))


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
        return meets(
            name,
            security_txt_ok=None if self.security_txt is None else self.security_txt.ok,
            policy_ok=None if self.policy is None else self.policy.ok,
            statements=self.statements,
            csaf_ok=None if self.csaf is None else self.csaf.ok,
        )


@dataclass(frozen=True)
class Page:
    """One page of the directory, and how many entries all its pages hold."""

    entries: list[Entry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, empty or not)."""
        return max(1, -(-self.total // self.per_page))


def page(
    db: Session, *, wanted: dict[str, bool] | None = None, page: int = 1, per_page: int = PER_PAGE
) -> Page:
    """The organizations that have not left, by name, meeting (True) or not meeting (False)
    each filter of ``wanted``: page ``page`` of them, ``per_page`` a page.

    Filters are decided on the few columns they read, for every organization; the whole
    checks (findings, fields, evidence) are read only for the entries of the page."""
    orgs = db.execute(
        select(Organization.id, Organization.slug, Organization.name, Organization.kind,
               Organization.country)
        .outerjoin(Departure, Departure.organization_id == Organization.id)
        .where(Departure.id.is_(None))
        .order_by(Organization.name, Organization.id)
    ).all()  # fmt: skip
    if wanted:
        facts = _facts(db)
        orgs = [o for o in orgs if all(meets(n, **facts(o.id)) is v for n, v in wanted.items())]
    first = (page - 1) * per_page
    chosen = orgs[first : first + per_page]
    ids = [o.id for o in chosen]
    txt = {c.organization_id: c for c in _rows(db, SecurityTxtCheck, _txt_ids(db, ids))}
    reach: dict[tuple[int, ReachCheckKind], ReachCheck] = {
        (c.organization_id, c.kind): c for c in _rows(db, ReachCheck, _reach_ids(db, ids))
    }
    entries = [
        Entry(
            slug=o.slug,
            name=o.name,
            kind=o.kind,
            country=o.country,
            security_txt=txt.get(o.id),
            policy=reach.get((o.id, ReachCheckKind.POLICY)),
            csaf=reach.get((o.id, ReachCheckKind.CSAF)),
        )
        for o in chosen
    ]
    return Page(entries=entries, total=len(orgs), page=page, per_page=per_page)


def _facts(db: Session) -> Callable[[int], dict[str, Any]]:
    """What the filters read of every organization's last checks, by organization id."""
    latest_txt = _latest(SecurityTxtCheck.id, SecurityTxtCheck.organization_id)
    txt: dict[int, bool] = {  # noqa: C416 (rows, not pairs: dict() would need .tuples())
        org_id: ok
        for org_id, ok in db.execute(
            select(SecurityTxtCheck.organization_id, SecurityTxtCheck.ok).where(
                SecurityTxtCheck.id.in_(latest_txt)
            )
        )
    }
    reach: dict[tuple[int, ReachCheckKind], tuple[bool, dict[str, Any] | None]] = {}
    latest_reach = _latest(ReachCheck.id, ReachCheck.organization_id, ReachCheck.kind)
    for org_id, kind, ok, statements in db.execute(
        select(ReachCheck.organization_id, ReachCheck.kind, ReachCheck.ok, ReachCheck.statements)
        .where(ReachCheck.id.in_(latest_reach))
    ):  # fmt: skip
        reach[(org_id, kind)] = (ok, statements if kind is ReachCheckKind.POLICY else None)

    def of(org_id: int) -> dict[str, Any]:
        policy = reach.get((org_id, ReachCheckKind.POLICY))
        csaf = reach.get((org_id, ReachCheckKind.CSAF))
        return {
            "security_txt_ok": txt.get(org_id),
            "policy_ok": None if policy is None else policy[0],
            "statements": None if policy is None else policy[1],
            "csaf_ok": None if csaf is None else csaf[0],
        }

    return of


def _latest(column: Any, *group: Any) -> Select[Any]:
    """The id of each group's last row, as a subquery."""
    return select(func.max(column)).group_by(*group)


def _txt_ids(db: Session, org_ids: list[int]) -> list[int]:
    found: list[int] = []
    for start in range(0, len(org_ids), 500):
        chunk = org_ids[start : start + 500]
        query = _latest(SecurityTxtCheck.id, SecurityTxtCheck.organization_id)
        found.extend(db.scalars(query.where(SecurityTxtCheck.organization_id.in_(chunk))))
    return found


def _reach_ids(db: Session, org_ids: list[int]) -> list[int]:
    found: list[int] = []
    for start in range(0, len(org_ids), 500):
        chunk = org_ids[start : start + 500]
        query = _latest(ReachCheck.id, ReachCheck.organization_id, ReachCheck.kind)
        found.extend(db.scalars(query.where(ReachCheck.organization_id.in_(chunk))))
    return found


def _rows(db: Session, model: Any, ids: Sequence[int]) -> Sequence[Any]:
    found: list[Any] = []
    for start in range(0, len(ids), 500):  # bounded IN lists
        found.extend(db.scalars(select(model).where(model.id.in_(ids[start : start + 500]))))
    return found
