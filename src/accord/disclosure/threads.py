"""A case's messages as threads, one per audience: everyone; the coordinators with the
reporter; the coordinators with each vendor; the vendors; the coordinators alone.

A thread is what one audience reads, so a message belongs to exactly one and a reply that
narrows its parent's audience moves to the narrower thread. Which threads and messages a
viewer sees is ``messages.visible`` (that is, ``policy.message_reach``): this module only
groups what that rule lets through, and never decides visibility itself.

The case page shows the newest ``PER_THREAD`` messages of each thread (a case with 5,000
messages is not read at once) and links to a thread's own pages (``THREAD_PAGE`` a page)
for the rest. Everything is read in three queries whatever the number of threads: the
threads' counts, the ids of each thread's newest messages (a window function), their rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy import case as when_
from sqlalchemy.orm import Session

from accord.disclosure.messages import visible
from accord.disclosure.models import Audience, CaseMessage, DisclosureCase
from accord.errors import N_, Message, NotFound
from accord.identity.policy import CaseStanding, may_post_message

PER_THREAD = 5
THREAD_PAGE = 50
# Vendor threads shown on the case page itself (the most recently active); the others are
# listed with their counts and open on their own page: a coordinator of 200 vendors reads
# one vendor's thread at a time.
VENDOR_THREADS_SHOWN = 6
# The case's vendors by organization id: (slug, name).
Names = dict[int, tuple[str, str]]
SHARED = (Audience.ALL, Audience.REPORTER, Audience.VENDORS, Audience.COORDINATORS)


@dataclass(frozen=True)
class Line:
    """One message as a thread shows it."""

    id: int
    parent_id: int | None
    audience: Audience
    vendor: str | None  # the slug of a one-vendor message's vendor
    vendor_name: str | None
    author: str
    from_reporter: bool
    created_at: datetime
    body: str


@dataclass
class Thread:
    """One audience's messages: how many the viewer may read, how many are unread, and the
    newest of them when the page shows the thread."""

    audience: Audience
    vendor_org_id: int | None = None
    vendor_slug: str | None = None
    vendor_name: str | None = None
    total: int = 0
    unread: int = 0
    latest_id: int = 0
    writable: bool = False
    shown: bool = False
    lines: list[Line] = field(default_factory=list)
    older: int | None = None  # the ``before`` of the page of older messages, if any
    # ``all``, ``reporter``, ``vendors``, ``coordinators`` or ``vendor:<slug>``: the thread's
    # name in links, and the audience value the message form posts; ``anchor``: its page id.
    key: str = field(init=False)
    anchor: str = field(init=False)

    def __post_init__(self) -> None:
        self.key = f"vendor:{self.vendor_slug}" if self.vendor_slug else self.audience.value
        self.anchor = "thread-" + self.key.replace(":", "-")


def _in(threads: Sequence[Thread]) -> ColumnElement[bool]:
    """Messages of these threads."""
    shared = [t.audience for t in threads if t.audience is not Audience.VENDOR]
    vendor_ids = [t.vendor_org_id for t in threads if t.audience is Audience.VENDOR]
    parts: list[ColumnElement[bool]] = []
    if shared:
        parts.append(CaseMessage.audience.in_(shared))
    if vendor_ids:
        parts.append(
            and_(CaseMessage.audience == Audience.VENDOR, CaseMessage.vendor_org_id.in_(vendor_ids))
        )
    return or_(*parts)


_COLUMNS = (
    CaseMessage.id,
    CaseMessage.parent_id,
    CaseMessage.audience,
    CaseMessage.vendor_org_id,
    CaseMessage.author_label,
    CaseMessage.from_reporter,
    CaseMessage.created_at,
    CaseMessage.body,
)


def _lines(db: Session, where: ColumnElement[bool], names: Names) -> list[Line]:
    query = select(*_COLUMNS).where(where).order_by(CaseMessage.id)
    lines = []
    for i, p, a, v, label, rep, at, body in db.execute(query):
        slug, name = names.get(v, (None, None)) if v is not None else (None, None)
        lines.append(Line(i, p, a, slug, name, label, rep, at, body))
    return lines


def threads(
    db: Session,
    *,
    case: DisclosureCase,
    standing: CaseStanding,
    vendors: Sequence[tuple[int, str, str]],
    read_up_to: int,
) -> list[Thread]:
    """Every thread ``standing`` may read in ``case`` (the case's ``vendors`` as id, slug,
    name), with counts, in the page's order: the shared threads, then the vendors' by most
    recent activity. A thread with no message yet is listed when the viewer may write to it
    (a vendor's own thread, never 200 empty ones for a coordinator)."""
    counts = select(
        CaseMessage.audience,
        CaseMessage.vendor_org_id,
        func.count(),
        func.sum(when_((CaseMessage.id > read_up_to, 1), else_=0)),
        func.max(CaseMessage.id),
    ).where(CaseMessage.case_id == case.id, visible(standing))
    found = {
        (a, v if a is Audience.VENDOR else None): (int(n), int(u or 0), int(m or 0))
        for a, v, n, u, m in db.execute(
            counts.group_by(CaseMessage.audience, CaseMessage.vendor_org_id)
        )
    }
    listed: list[Thread] = []
    for audience in SHARED:
        writable = may_post_message(standing, audience=audience.value, vendor_org_id=None)
        if (audience, None) in found or writable:
            n, u, m = found.get((audience, None), (0, 0, 0))
            listed.append(Thread(audience, total=n, unread=u, latest_id=m, writable=writable))
    own: list[Thread] = []
    for org_id, slug, name in vendors:
        writable = org_id in standing.vendor_org_ids or (
            standing.coordinator
            and may_post_message(standing, audience=Audience.VENDOR.value, vendor_org_id=org_id)
        )
        if (Audience.VENDOR, org_id) in found or org_id in standing.vendor_org_ids:
            n, u, m = found.get((Audience.VENDOR, org_id), (0, 0, 0))
            own.append(Thread(Audience.VENDOR, org_id, slug, name, n, u, m, writable=writable))
    own.sort(key=lambda t: (-t.latest_id, t.vendor_name or ""))
    return listed + own


def fill_newest(
    db: Session,
    *,
    case: DisclosureCase,
    standing: CaseStanding,
    listed: list[Thread],
    names: Names,
) -> None:
    """Put the newest ``PER_THREAD`` messages into the threads the case page shows: every
    shared thread and the ``VENDOR_THREADS_SHOWN`` most recently active vendors' threads."""
    vendor_threads = [t for t in listed if t.audience is Audience.VENDOR]
    chosen = [t for t in listed if t.audience is not Audience.VENDOR]
    chosen += vendor_threads[:VENDOR_THREADS_SHOWN]
    for t in chosen:
        t.shown = bool(t.total)  # an empty thread is listed, with a link to write in it
    with_messages = [t for t in chosen if t.total]
    if not with_messages:
        return
    rank = (
        func.row_number()
        .over(
            partition_by=(CaseMessage.audience, CaseMessage.vendor_org_id),
            order_by=CaseMessage.id.desc(),
        )
        .label("rank")
    )
    ranked = (
        select(CaseMessage.id, rank)
        .where(CaseMessage.case_id == case.id, visible(standing), _in(with_messages))
        .subquery()
    )
    newest = select(ranked.c.id).where(ranked.c.rank <= PER_THREAD)
    _place(with_messages, _lines(db, CaseMessage.id.in_(newest), names))


def fill_one(
    db: Session,
    *,
    case: DisclosureCase,
    standing: CaseStanding,
    thread: Thread,
    names: Names,
    before: int | None,
) -> None:
    """Put one page of ``thread`` (``THREAD_PAGE`` messages older than ``before``) into it."""
    where = and_(CaseMessage.case_id == case.id, visible(standing), _in([thread]))
    if before is not None:
        where = and_(where, CaseMessage.id < before)
    page = select(CaseMessage.id).where(where).order_by(CaseMessage.id.desc())
    ids = list(db.scalars(page.limit(THREAD_PAGE + 1)))
    thread.shown = True
    thread.lines = _lines(db, CaseMessage.id.in_(ids[:THREAD_PAGE]), names) if ids else []
    thread.older = thread.lines[0].id if len(ids) > THREAD_PAGE and thread.lines else None


def for_page(
    db: Session,
    *,
    case: DisclosureCase,
    standing: CaseStanding,
    vendors: Sequence[tuple[int, str, str]],
    read_up_to: int,
    thread: str = "",
    before: int | None = None,
) -> tuple[list[Thread], Thread | None]:
    """The threads of the case page, filled: the newest of each, or (``thread`` named, a
    key) one page of that thread, which is then returned as the one in focus."""
    listed = threads(db, case=case, standing=standing, vendors=vendors, read_up_to=read_up_to)
    names = {org_id: (slug, name) for org_id, slug, name in vendors}
    if not thread:
        fill_newest(db, case=case, standing=standing, listed=listed, names=names)
        return listed, None
    focus = find(listed, thread)
    fill_one(db, case=case, standing=standing, thread=focus, names=names, before=before)
    return listed, focus


def _place(chosen: list[Thread], lines: list[Line]) -> None:
    by_key = {t.key: t for t in chosen}
    for line in lines:
        key = f"vendor:{line.vendor}" if line.audience is Audience.VENDOR else line.audience.value
        if key in by_key:
            by_key[key].lines.append(line)
    for t in chosen:
        t.older = t.lines[0].id if t.total > len(t.lines) and t.lines else None


def find(listed: list[Thread], key: str) -> Thread:
    """The thread named ``key`` among those the viewer may read; else 404 naming ``thread``."""
    for t in listed:
        if t.key == key:
            return t
    raise NotFound(
        Message(N_("no thread %(key)r in this case that you may read"), key=key), field="thread"
    )
