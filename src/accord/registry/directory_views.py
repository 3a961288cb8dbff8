"""The directory of disclosure policies as the API and the page show it."""

from __future__ import annotations

from accord.registry.directory import Entry
from accord.registry.models import ReachCheck, SecurityTxtCheck
from accord.registry.policy_text import TOPICS
from accord.registry.schemas import FetchRead, PolicyEntryRead, StatementRead


def _fetch(check: SecurityTxtCheck | ReachCheck | None) -> FetchRead | None:
    if check is None:
        return None
    problem = check.problem if isinstance(check, ReachCheck) else None
    return FetchRead(url=check.url, ok=check.ok, checked_at=check.fetched_at, problem=problem)


def entry_read(entry: Entry) -> PolicyEntryRead:
    """One directory entry; topics never read are listed as not found."""
    statements = {
        topic: StatementRead.model_validate(entry.statements.get(topic) or {"found": False})
        for topic in TOPICS
    }
    return PolicyEntryRead(
        slug=entry.slug,
        name=entry.name,
        kind=entry.kind,
        country=entry.country,
        profile_url=f"/signatories/{entry.slug}",
        security_txt=_fetch(entry.security_txt),
        policy=_fetch(entry.policy),
        statements=statements,
        csaf=_fetch(entry.csaf),
    )
