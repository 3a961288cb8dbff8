"""Every notification of the disclosure domain, built here and handed to ``notify``.

A notice says that something happened in a case and links to it; it never carries the
report's title, product, description, the vendors' statements or the embargo date, because
mail and webhooks leave the hub and an embargo must hold. The link leads to the case page,
where the policy decides what the reader sees. The reporter, who has no account, is told by
email (when the contact given is an address) to open the private link they were shown.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord.config import Settings
from accord.disclosure import deliveries, parties
from accord.disclosure.models import Audience, CaseMessage, DisclosureCase
from accord.jobs.models import Job
from accord.notifications import mail
from accord.notifications.services import Notice, notify
from accord.texts import Text, text
from accord.web.i18n import N_


def _label(case: DisclosureCase) -> Text:
    return (
        text(N_("case %(ref)s"), ref=case.ref) if case.ref else text(N_("a vulnerability report"))
    )


def case_link(case: DisclosureCase) -> str:
    """The case page's path (participants only); ``notify`` makes it absolute."""
    return f"/disclosure/cases/{case.ref or case.public_id}"


def _reporter_emails(case: DisclosureCase) -> tuple[str, ...]:
    # The mail handler's own rule: a contact it would refuse is never queued to fail.
    contact = case.contact.strip()
    return (contact,) if mail.is_address(contact) else ()


def build(
    *,
    settings: Settings,
    case: DisclosureCase,
    kind: str,
    what: str,
    user_ids: tuple[int, ...] = (),
    org_ids: tuple[int, ...] = (),
) -> Notice:
    """A notice to participants with accounts: what happened, and the link; nothing else.
    ``what`` is an English msgid (marked ``N_`` by the caller), written in each reader's
    language."""
    said = text(what)
    label = _label(case)
    hub = settings.hub_name
    return Notice(
        kind=f"disclosure.{kind}",
        subject=text(N_("[%(hub)s] %(what)s in %(case)s"), hub=hub, what=said, case=label),
        text=text(
            N_(
                "%(what)s in %(case)s on %(hub)s.\n"
                "The details stay on the hub: sign in and open the case to read them.\n"
            ),
            what=said,
            case=label,
            hub=hub,
        ),
        link=case_link(case),
        user_ids=user_ids,
        org_ids=org_ids,
    )


def build_for_reporter(*, settings: Settings, case: DisclosureCase, what: str) -> Notice | None:
    """A notice to the reporter's email, if one was given: open your private link."""
    emails = _reporter_emails(case)
    if not emails:
        return None
    said, hub = text(what), settings.hub_name
    return Notice(
        kind="disclosure.reporter",
        subject=text(N_("[%(hub)s] %(what)s on your vulnerability report"), hub=hub, what=said),
        text=text(
            N_(
                "%(what)s on the vulnerability report you sent to %(hub)s.\n"
                "Open the private link you were given when you reported it to read more.\n"
            ),
            what=said,
            hub=hub,
        ),
        link="/disclosure/follow",
        emails=emails,
        language=case.language,  # the page's the report was sent from
    )


def _coordinators(db: Session, settings: Settings) -> tuple[tuple[int, ...], tuple[int, ...]]:
    org = parties.coordinator_org_id(db, settings)
    return parties.operator_ids(db), ((org,) if org is not None else ())


def _send(db: Session, settings: Settings, notice: Notice | None) -> list[Job]:
    if notice is not None and (notice.user_ids or notice.org_ids or notice.emails):
        return notify(db, settings=settings, notice=notice)
    return []


def to_case(
    db: Session,
    *,
    settings: Settings,
    case: DisclosureCase,
    kind: str,
    what: str,
    vendors: bool = True,
) -> None:
    """Tell the coordinators and (unless ``vendors`` is false) every vendor of the case."""
    users, orgs = _coordinators(db, settings)
    if vendors:
        orgs = tuple(sorted(set(orgs) | parties.vendor_org_ids(db, case)))
    _send(
        db,
        settings,
        build(settings=settings, case=case, kind=kind, what=what, user_ids=users, org_ids=orgs),
    )


def to_reporter(db: Session, *, settings: Settings, case: DisclosureCase, what: str) -> None:
    """Tell the reporter (by email, when one was given)."""
    _send(db, settings, build_for_reporter(settings=settings, case=case, what=what))


def report_received(db: Session, *, settings: Settings, case: DisclosureCase) -> None:
    """A new report: the coordinators, and its vendor (whose delivery the case keeps)."""
    to_case(
        db,
        settings=settings,
        case=case,
        kind="report",
        what=N_("A new vulnerability report"),
        vendors=False,
    )
    if case.target_org_id is not None:
        vendor_invited(
            db,
            settings=settings,
            case=case,
            org_id=case.target_org_id,
            kind="report",
            what=N_("A new vulnerability report"),
        )


def vendor_invited(
    db: Session,
    *,
    settings: Settings,
    case: DisclosureCase,
    org_id: int,
    kind: str = "invited",
    what: str = N_("Your organization was invited"),
) -> None:
    """An organization was added to a case as a vendor; the case keeps the deliveries, so
    that its pages say whether the vendor was told."""
    notice = build(settings=settings, case=case, kind=kind, what=what, org_ids=(org_id,))
    jobs = _send(db, settings, notice)
    deliveries.remember(db, case_id=case.id, organization_id=org_id, jobs=jobs)


def message_posted(
    db: Session, *, settings: Settings, case: DisclosureCase, message: CaseMessage
) -> None:
    """A new message: only its audience hears of it."""
    users, orgs = _coordinators(db, settings)
    audience = message.audience
    if audience in (Audience.ALL, Audience.VENDORS):
        orgs = tuple(sorted(set(orgs) | parties.vendor_org_ids(db, case)))
    elif audience is Audience.VENDOR and message.vendor_org_id is not None:
        orgs = tuple(sorted({*orgs, message.vendor_org_id}))
    _send(
        db,
        settings,
        build(
            settings=settings,
            case=case,
            kind="message",
            what=N_("A new message"),
            user_ids=users,
            org_ids=orgs,
        ),
    )
    if audience in (Audience.ALL, Audience.REPORTER) and not message.from_reporter:
        to_reporter(db, settings=settings, case=case, what=N_("A new message"))
