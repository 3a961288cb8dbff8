"""Turning stored cases into what the API and the pages show, per reader."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.disclosure import closing, reports, vendors, vulnerabilities
from accord.disclosure.models import (
    Attachment,
    CaseEvent,
    CaseMessage,
    CaseVendor,
    DisclosureCase,
)
from accord.disclosure.privacy import reporter_shown
from accord.disclosure.schemas import (
    AttachmentRead,
    CaseRead,
    DuplicateHint,
    EventRead,
    MessageRead,
    ReporterView,
    VendorRead,
)
from accord.identity.models import Organization
from accord.identity.policy import REPORTER, CaseStanding
from accord.transparency.schemas import LogPlace


def attachment_list(db: Session, case: DisclosureCase) -> list[AttachmentRead]:
    """The case's attachments, without their bytes."""
    query = (
        select(
            Attachment.id,
            Attachment.filename,
            Attachment.content_type,
            Attachment.size,
            Attachment.sha256,
        )
        .where(Attachment.case_id == case.id)
        .order_by(Attachment.id)
    )
    return [
        AttachmentRead(id=i, filename=f, content_type=t, size=s, sha256=h)
        for i, f, t, s, h in db.execute(query)
    ]


def vendor_list(
    db: Session,
    case: DisclosureCase,
    listed: list[tuple[CaseVendor, Organization]] | None = None,
) -> list[VendorRead]:
    """Every vendor's status (``listed``: the case's vendors already read, not read again)."""
    return [
        VendorRead(
            organization=org.slug,
            name=org.name,
            status=vendor.status,
            justification=vendor.justification,
            statement=vendor.statement,
            purl=vendor.purl,
            affected_versions=list(vendor.affected_versions),
            fixed_versions=list(vendor.fixed_versions),
            embargo_accepted=(
                case.embargo_at is not None and vendor.embargo_accepted_at == case.embargo_at
            ),
            proposal_accepted=(
                case.embargo_proposed_at is not None
                and vendor.embargo_accepted_at == case.embargo_proposed_at
            ),
            embargo_accepted_at=vendor.embargo_accepted_at,
            release_agreed=vendor.release_agreed,
            advisory_id=vendor.advisory_id,
        )
        for vendor, org in (vendors.listed(db, case) if listed is None else listed)
    ]


def vendor_rows(db: Session, case: DisclosureCase) -> list[tuple[int, VendorRead]]:
    """Every vendor's status with its organization id, by name, as ``vendor_list`` gives it
    but read as plain columns: the case page of 200 vendors builds no ORM objects for them."""
    query = (
        select(
            Organization.id,
            Organization.slug,
            Organization.name,
            CaseVendor.status,
            CaseVendor.justification,
            CaseVendor.statement,
            CaseVendor.purl,
            CaseVendor.affected_versions,
            CaseVendor.fixed_versions,
            CaseVendor.embargo_accepted_at,
            CaseVendor.release_agreed,
            CaseVendor.advisory_id,
        )
        .join(Organization, Organization.id == CaseVendor.organization_id)
        .where(CaseVendor.case_id == case.id)
        .order_by(Organization.name)
    )
    return [
        (
            org_id,
            VendorRead(
                organization=slug,
                name=name,
                status=status,
                justification=justification,
                statement=statement,
                purl=purl,
                affected_versions=list(affected or []),
                fixed_versions=list(fixed or []),
                embargo_accepted=case.embargo_at is not None and accepted == case.embargo_at,
                proposal_accepted=(
                    case.embargo_proposed_at is not None and accepted == case.embargo_proposed_at
                ),
                embargo_accepted_at=accepted,
                release_agreed=agreed,
                advisory_id=advisory_id,
            ),
        )
        for (
            org_id,
            slug,
            name,
            status,
            justification,
            statement,
            purl,
            affected,
            fixed,
            accepted,
            agreed,
            advisory_id,
        ) in db.execute(query)
    ]


def _ident(db: Session, case_id: int | None) -> str | None:
    if case_id is None:
        return None
    found = db.execute(
        select(DisclosureCase.ref, DisclosureCase.public_id).where(DisclosureCase.id == case_id)
    ).first()
    return (found[0] or found[1]) if found else None


def case_read(
    db: Session, case: DisclosureCase, standing: CaseStanding, *, settings: Settings
) -> CaseRead:
    """A case as a signed-in participant sees it."""
    hints = [
        DuplicateHint(
            id=h.public_id, ref=h.ref, title=h.title, status=h.status, similarity=h.similarity
        )
        for h in reports.duplicate_hints(db, case=case)
    ]
    shown = reporter_shown(case, standing)
    return CaseRead(
        id=case.public_id,
        ref=case.ref,
        status=case.status,
        organization=case.target.slug if case.target else None,
        title=case.title,
        product=case.product,
        purl=case.purl,
        versions=case.versions,
        description=case.description,
        steps_to_reproduce=case.steps,
        proof_of_concept=case.proof_of_concept,
        impact=case.impact,
        credit=shown.credit,
        contact=shown.contact,
        reporter_name=shown.name,
        triage_reason=case.triage_reason,
        close_reason=case.close_reason,
        closed_at=case.closed_at,
        inactive=closing.inactive(case, days=settings.disclosure_inactive_days),
        duplicate_of=_ident(db, case.duplicate_of_id),
        embargo_at=case.embargo_at,
        embargo_proposed_at=case.embargo_proposed_at,
        advisory_id=case.advisory_id,
        log_key=case.log_key,
        revealed=(
            None if case.reveal_log_index is None else LogPlace(log_index=case.reveal_log_index)
        ),
        created_at=case.created_at,
        language=case.language,
        vendors=vendor_list(db, case),
        attachments=attachment_list(db, case),
        duplicate_hints=hints,
        you={
            "coordinator": standing.coordinator,
            "vendor_orgs": sorted(_slugs(db, standing.vendor_org_ids)),
        },
    )


def _slugs(db: Session, org_ids: frozenset[int]) -> list[str]:
    if not org_ids:
        return []
    return list(db.scalars(select(Organization.slug).where(Organization.id.in_(sorted(org_ids)))))


def reporter_view(db: Session, case: DisclosureCase) -> ReporterView:
    """What the reporter sees: their own report as sent, who may see their contact and
    name, the report's fate, the vendors' statuses, the embargo."""
    return ReporterView(
        id=case.public_id,
        ref=case.ref,
        status=case.status,
        title=case.title,
        product=case.product,
        triage_reason=case.triage_reason,
        embargo_at=case.embargo_at,
        advisory_id=case.advisory_id,
        description=case.description,
        steps_to_reproduce=case.steps,
        proof_of_concept=case.proof_of_concept,
        impact=case.impact,
        name=case.reporter_name,
        contact=case.contact,
        credit=case.credit,
        vendors_see_contact=case.vendors_see_contact,
        vendors_see_name=case.vendors_see_name,
        language=case.language,
        vendors=[
            {"organization": v.organization, "name": v.name, "status": v.status.value}
            for v in vendor_list(db, case)
        ],
        vulnerabilities=vulnerabilities.reads(db, case, REPORTER),
        attachments=attachment_list(db, case),
    )


def message_reads(db: Session, rows: Sequence[CaseMessage]) -> list[MessageRead]:
    """Messages for the wire, their vendors named by slug (one query for the page)."""
    ids = sorted({m.vendor_org_id for m in rows if m.vendor_org_id is not None})
    slugs = (
        dict(
            db.execute(
                select(Organization.id, Organization.slug).where(Organization.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    return [
        MessageRead(
            id=m.id,
            parent_id=m.parent_id,
            audience=m.audience,
            vendor=slugs.get(m.vendor_org_id) if m.vendor_org_id else None,
            author=m.author_label,
            from_reporter=m.from_reporter,
            created_at=m.created_at,
            body=m.body,
        )
        for m in rows
    ]


def event_reads(rows: Sequence[CaseEvent]) -> list[EventRead]:
    """History entries for the wire."""
    return [
        EventRead(
            seq=e.seq,
            kind=e.kind,
            at=e.at,
            actor=e.actor_label,
            summary=e.summary,
            document_sha256=e.document_sha256,
            log_index=e.log_index,
        )
        for e in rows
    ]
