"""Case messages: threaded, addressed to an audience, with a read mark per user.

A message goes to exactly the audience its author chose; a reply may narrow its thread's
audience but never widen it. Who reads what is decided once, by ``policy.message_reach``:
``may_see_message`` reads it in Python and :func:`audience_filter` turns it into SQL, so that
a page of a case with thousands of messages reads one indexed range and never filters in
Python (a property test checks that the two agree on random cases and threads).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from accord.accountability import events
from accord.config import Settings
from accord.disclosure import history, notices, vendors
from accord.disclosure.cases import CaseAccess, find, touch
from accord.disclosure.models import Audience, CaseMessage, CaseStatus, DisclosureCase, ReadMark
from accord.disclosure.schemas import MessageCreate, ReporterMessageCreate
from accord.errors import N_, Conflict, Forbidden, InvalidInput, Message, NotFound
from accord.identity.policy import (
    REPORTER,
    Actor,
    CaseStanding,
    may_post_message,
    message_reach,
    narrows,
)
from accord.transparency.envelope import document_digest

PAGE = 100


def audience_filter(
    standing: CaseStanding,
    audience: InstrumentedAttribute[Audience],
    vendor: InstrumentedAttribute[int | None],
) -> ColumnElement[bool]:
    """Rows addressed to an audience ``standing`` belongs to: ``policy.message_reach`` read
    as SQL, so that the pages and the queries follow one rule."""
    reach = message_reach(standing)
    if reach.every:
        return true()
    allowed: list[ColumnElement[bool]] = [
        audience == Audience(name) for name in sorted(reach.audiences)
    ]
    if reach.vendor_org_ids:
        allowed.append(and_(audience == Audience.VENDOR, vendor.in_(sorted(reach.vendor_org_ids))))
    return or_(*allowed) if allowed else false()


def visible(standing: CaseStanding) -> ColumnElement[bool]:
    """Messages ``standing`` may read."""
    return audience_filter(standing, CaseMessage.audience, CaseMessage.vendor_org_id)


@dataclass(frozen=True)
class Author:
    """Who writes: a user (for a vendor organization, or as a coordinator) or the reporter."""

    label: str
    user_id: int | None = None
    org_id: int | None = None
    reporter: bool = False


@dataclass(frozen=True)
class AudienceChoice:
    """One audience a viewer may write to, as a form offers it (``value`` is what it posts)."""

    audience: Audience
    vendor_slug: str | None = None
    vendor_name: str | None = None

    @property
    def value(self) -> str:
        """``all``, ``vendors``, ... or ``vendor:<slug>`` for one vendor."""
        return f"vendor:{self.vendor_slug}" if self.vendor_slug else self.audience.value


def choices(
    standing: CaseStanding, case_vendors: Sequence[tuple[int, str, str]]
) -> list[AudienceChoice]:
    """The audiences ``standing`` may write to, given the case's vendors (id, slug, name):
    the form offers these and nothing else."""
    found = [
        AudienceChoice(audience)
        for audience in Audience
        if audience is not Audience.VENDOR
        and may_post_message(standing, audience=audience.value, vendor_org_id=None)
    ]
    found += [
        AudienceChoice(Audience.VENDOR, slug, name)
        for org_id, slug, name in case_vendors
        if may_post_message(standing, audience=Audience.VENDOR.value, vendor_org_id=org_id)
    ]
    return found


def post_as(
    db: Session, *, settings: Settings, access: CaseAccess, actor: Actor, data: MessageCreate
) -> CaseMessage:
    """Post what ``actor`` sent (API or form): a vendor audience is named by the vendor's slug
    among the case's vendors, and the author is shown as the actor's standing allows."""
    vendor_ids = {org.slug: org.id for _, org in vendors.listed(db, access.case)}
    vendor_org_id = resolve_vendor(data, vendor_ids)
    message = post(
        db,
        settings=settings,
        case=access.case,
        standing=access.standing,
        author=author_for(actor, access.standing, vendor_org_id=vendor_org_id),
        body=data.body,
        audience=data.audience,
        vendor_org_id=vendor_org_id,
        parent_id=data.parent_id,
    )
    touch(access.case)
    return message


def post_as_reporter(
    db: Session, *, settings: Settings, case: DisclosureCase, data: ReporterMessageCreate
) -> CaseMessage:
    """Post what the reporter sent through the private link (API or form), on the case
    locked first as every post is."""
    locked = find(db, case.public_id, for_update=True)
    assert locked is not None  # the link's case: it was just read in this transaction
    return post(
        db,
        settings=settings,
        case=locked,
        standing=REPORTER,
        author=Author(label="reporter", reporter=True),
        body=data.body,
        audience=data.audience,
        vendor_org_id=None,
        parent_id=data.parent_id,
    )


def post(
    db: Session,
    *,
    settings: Settings,
    case: DisclosureCase,
    standing: CaseStanding,
    author: Author,
    body: str,
    audience: Audience | None,
    vendor_org_id: int | None,
    parent_id: int | None,
) -> CaseMessage:
    """Store a message for exactly the audience its author chose, log it and notify its
    readers. ``audience`` None: a reply's parent's audience (else everyone). A reply may
    keep or narrow its thread's audience; one that would widen it is refused."""
    if case.status is CaseStatus.CLOSED:
        raise Conflict(N_("the case is closed: a coordinator may reopen it"), field="body")
    parent = None
    if parent_id is not None:
        parent = db.scalar(
            select(CaseMessage).where(
                CaseMessage.id == parent_id, CaseMessage.case_id == case.id, visible(standing)
            )
        )
        if parent is None:
            raise NotFound(
                Message(N_("no message %(parent_id)s in this case"), parent_id=parent_id),
                field="parent_id",
            )
    audience, vendor_org_id = address(
        standing, audience=audience, vendor_org_id=vendor_org_id, parent=parent
    )
    message = CaseMessage(
        case_id=case.id,
        parent_id=parent_id,
        audience=audience,
        vendor_org_id=vendor_org_id,
        author_user_id=author.user_id,
        author_org_id=author.org_id,
        author_label=author.label,
        from_reporter=author.reporter,
        body=body,
    )
    db.add(message)
    db.flush()
    history.record(
        db,
        settings=settings,
        case=case,
        kind="message",
        actor_label=author.label,
        summary=f"Message #{message.id} to {audience.value}",
        details={
            "message_id": message.id,
            "audience": audience.value,
            "vendor_org_id": vendor_org_id,
            "body_sha256": document_digest(body),
        },
        audience=audience,
        vendor_org_id=vendor_org_id,
    )
    if author.org_id is not None:  # a vendor's (or coordinator's) reply may count
        events.recorded(db, settings=settings)
    notices.message_posted(db, settings=settings, case=case, message=message)
    return message


def address(
    standing: CaseStanding,
    *,
    audience: Audience | None,
    vendor_org_id: int | None,
    parent: CaseMessage | None,
) -> tuple[Audience, int | None]:
    """The audience a message is stored for: the one chosen, exactly (left out: the parent's,
    else everyone). Refused when ``standing`` may not write to it, or when it would reach
    anyone the parent does not (a reply narrows its thread, never widens it)."""
    if audience is None:
        audience = parent.audience if parent is not None else Audience.ALL
        if parent is not None and vendor_org_id is None:
            vendor_org_id = parent.vendor_org_id
    if audience is Audience.VENDOR and vendor_org_id is None:
        raise InvalidInput(N_("a message to one vendor names the vendor"), field="vendor")
    if audience is not Audience.VENDOR:
        vendor_org_id = None
    if not may_post_message(standing, audience=audience.value, vendor_org_id=vendor_org_id):
        raise Forbidden(
            Message(N_("you may not write to the audience %(value)s"), value=audience.value),
            field="audience",
        )
    if parent is not None and not narrows(
        audience=audience.value,
        vendor_org_id=vendor_org_id,
        parent=parent.audience.value,
        parent_vendor_org_id=parent.vendor_org_id,
    ):
        raise InvalidInput(
            Message(
                N_(
                    "a reply to message %(id)s (to %(audience)s) cannot reach more people than "
                    "it: choose %(audience)s or a narrower audience"
                ),
                id=parent.id,
                audience=parent.audience.value,
            ),
            field="audience",
        )
    return audience, vendor_org_id


def author_for(actor: Actor, standing: CaseStanding, *, vendor_org_id: int | None) -> Author:
    """The author of a signed-in user's message: as its vendor, else as a coordinator."""
    org = None
    if standing.vendor_org_ids:
        org = vendor_org_id if vendor_org_id in standing.vendor_org_ids else None
        org = org or min(standing.vendor_org_ids)
    role = "coordinator" if standing.coordinator and org is None else "vendor"
    return Author(label=f"{actor.label} ({role})", user_id=actor.user_id, org_id=org)


def resolve_vendor(data: MessageCreate, vendor_ids: dict[str, int]) -> int | None:
    """The organization id of a message's ``vendor`` slug (a vendor of the case)."""
    if data.vendor is None:
        return None
    if data.vendor not in vendor_ids:
        raise InvalidInput(
            Message(N_("%(vendor)s is not a vendor of this case"), vendor=data.vendor),
            field="vendor",
        )
    return vendor_ids[data.vendor]


def page(
    db: Session,
    *,
    case: DisclosureCase,
    standing: CaseStanding,
    before: int | None = None,
    limit: int = PAGE,
) -> tuple[Sequence[CaseMessage], int | None]:
    """The newest ``limit`` visible messages (older than ``before``), oldest first, and the
    ``before`` of the page after (None at the first message)."""
    query = select(CaseMessage).where(CaseMessage.case_id == case.id, visible(standing))
    if before is not None:
        query = query.where(CaseMessage.id < before)
    rows = list(db.scalars(query.order_by(CaseMessage.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return rows, (rows[0].id if more and rows else None)


def last_read(db: Session, *, case: DisclosureCase, user_id: int | None) -> int:
    """The user's read mark in the case (0: nothing read)."""
    if user_id is None:
        return 0
    mark = db.scalar(
        select(ReadMark.last_read_id).where(
            ReadMark.case_id == case.id, ReadMark.user_id == user_id
        )
    )
    return mark or 0


def unread(db: Session, *, case: DisclosureCase, standing: CaseStanding, user_id: int) -> int:
    """How many visible messages the user has not read."""
    mark = last_read(db, case=case, user_id=user_id)
    return (
        db.scalar(
            select(func.count()).where(
                CaseMessage.case_id == case.id, CaseMessage.id > mark, visible(standing)
            )
        )
        or 0
    )


def mark_read(db: Session, *, case: DisclosureCase, user_id: int, last_read_id: int) -> int:
    """Move the user's read mark forward (never back); returns the mark now stored."""
    newest = db.scalar(select(func.max(CaseMessage.id)).where(CaseMessage.case_id == case.id))
    target = min(last_read_id, newest or 0)
    pg = db.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if pg else sqlite.insert
    larger = func.greatest if pg else func.max  # SQLite's two-argument max() is scalar
    statement = (
        insert(ReadMark)
        .values(user_id=user_id, case_id=case.id, last_read_id=target)
        .on_conflict_do_update(
            index_elements=["user_id", "case_id"],
            set_={"last_read_id": larger(ReadMark.last_read_id, target)},
        )
    )
    db.execute(statement)
    return max(target, last_read(db, case=case, user_id=user_id))
