"""Load the example hub through the same services the routes use, so its signatures,
advisories, cases and reports are logged, audited and notified as real ones would be.

Every organization says in its description that it is example data, and the names are
clearly fictional; the advisories are real PyPA records (see ``data/NOTICE``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.accountability import reports as progress
from accord.advisories import importer
from accord.advisories.models import Advisory
from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure import cases, closing, embargo, publishing, reports, vendors
from accord.disclosure.models import CaseStatus, CloseReason, DisclosureCase, VendorStatus
from accord.disclosure.schemas import (
    CloseRequest,
    PublishRequest,
    ReportCreate,
    TriageRequest,
    VendorStatusUpdate,
)
from accord.errors import N_, AccordError
from accord.identity.models import Organization, OrgKind, OrgType
from accord.identity.policy import SYSTEM
from accord.identity.ratelimit import RateLimiter
from accord.registry import services as registry
from accord.registry.schemas import ApplicationCreate, Approve
from accord.sharing import ingest
from accord.sharing import services as sharing
from accord.sharing.models import StixObject
from accord.sharing.schemas import CollectionCreate
from accord.sharing.tlp import TLP2_MARKINGS, Tlp
from accord.transparency import services as log

RECORDS = Path(__file__).parent / "data" / "osv"
# Stored as the records' origin in English; pages and `accord demo` say it in the reader's
# language (it is marked, so the `translate` filter and `words.gettext` find it).
SOURCE = N_("PyPA Advisory Database (CC-BY-4.0), bundled with accord demo")
NOTICE = (
    "Example data loaded by `accord demo`: a fictional organization, not a real signatory. "
    "Remove the demo by starting a new hub."
)
# (name, kind, type, country): names no real organization is likely to carry.
ORGANIZATIONS = (
    ("Example Widgets Ltd (fictional)", OrgKind.SIGNATORY, OrgType.VENDOR, "GB"),
    ("Imaginary Cloud GmbH (fictional)", OrgKind.SIGNATORY, OrgType.VENDOR, "DE"),
    ("Sample City CERT (fictional)", OrgKind.PARTNER, OrgType.CSIRT, "NL"),
)


class HubNotEmpty(AccordError):
    """The demo is for an empty hub: it never mixes example data with real data."""

    exit_code = 2


@dataclass
class Loaded:
    """What the demo made, for the command to show."""

    organizations: list[str] = field(default_factory=list)
    advisories: int = 0
    cases: dict[str, str] = field(default_factory=dict)  # status: case ref or id
    objects: int = 0
    report: str = ""


def has_data(db: Session) -> bool:
    """Whether the hub holds anything of its own (accounts alone do not count: the first
    operator may have signed in before loading the demo)."""
    return any(
        db.scalar(select(column).limit(1)) is not None
        for column in (Organization.id, Advisory.id, DisclosureCase.id, StixObject.id)
    )


def load(db: Session, *, settings: Settings, limiter: RateLimiter) -> Loaded:
    """Fill an empty hub with the example data; :class:`HubNotEmpty` if it has data."""
    if has_data(db):
        raise HubNotEmpty(
            "this hub has data already; the demo loads only into an empty hub "
            "(start one with a new ACCORD_DATA_DIR or database)"
        )
    loaded = Loaded()
    slugs = [_organization(db, settings, *spec) for spec in ORGANIZATIONS]
    loaded.organizations = slugs
    loaded.advisories = _advisories(db, settings)
    loaded.cases = _cases(db, settings, limiter, vendor=slugs[0], other=slugs[1])
    loaded.objects = _shared_objects(db, owner=slugs[2])
    loaded.report = _progress_report(db, settings, slug=slugs[0])
    log.sign_latest(db, settings=settings)
    return loaded


def _organization(
    db: Session, settings: Settings, name: str, kind: OrgKind, org_type: OrgType, country: str
) -> str:
    """Apply and approve, as an organization joins: a signatory's signature is logged."""
    host = name.split(" (")[0].lower().replace(" ", "-")
    data = ApplicationCreate.model_validate(
        {
            "name": name,
            "kind": kind,
            "type": org_type,
            "country": country,
            "website": f"https://{host}.example",
            "security_contact": f"security@{host}.example",
            "description": NOTICE,
            "contact_name": "Demo Contact",
            "contact_email": f"contact@{host}.example",
            "accord_version": registry.current_version(db).number,
        }
    )
    application = registry.submit_application(db, data=data, actor=SYSTEM)
    approval = registry.approve(
        db,
        application_id=application.id,
        # Signed on the first day of last month (fictional history), so that the example
        # vendor has an ended period to report on (a period before signing is refused).
        data=Approve(
            reason="Example data (accord demo)",
            create_account=False,
            signed_on=(utcnow().replace(day=1) - timedelta(days=1)).replace(day=1).date(),
        ),
        actor=SYSTEM,
        settings=settings,
    )
    return approval.organization.slug


def _advisories(db: Session, settings: Settings) -> int:
    """The bundled PyPA records, imported as ``accord advisories import`` imports them (they
    keep their own publisher, PyPA, rather than a fictional one)."""
    imported = 0
    for path in sorted(RECORDS.glob("*.yaml")):
        (source,) = importer.read(str(path), settings=settings)
        result = importer.import_record(
            db, source, actor=SYSTEM, settings=settings, origin=SOURCE, organization_id=None
        )
        if isinstance(result, importer.Rejection):
            raise AccordError(f"demo record {path.name} was refused: {result.reason}")
        imported += 1
    return imported


_REPORT = {
    "title": "Stored cross-site scripting in the widget dashboard",
    "product": "Widget Dashboard",
    "purl": "pkg:pypi/example-widget-dashboard@3.1.0",
    "versions": "< 3.2",
    "description": "The widget title is shown on the dashboard without escaping, so a title "
    "with a script tag runs in every viewer's browser. (Example data.)",
    "steps_to_reproduce": "1. Create a widget titled <script>alert(1)</script>\n"
    "2. Open the dashboard as another user.\n3. The script runs.",
    "impact": "Anyone who can name a widget can act as whoever views the dashboard.",
    "credit": "A. Fictional Researcher",
}
_TRIAGED = {
    CaseStatus.INVALID: "Works as designed: titles are escaped in 3.x (example data).",
    CaseStatus.SPAM: "Advertising, not a report (example data).",
    CaseStatus.QUESTION: "A question about configuration, answered by email (example data).",
}


def _report(db: Session, settings: Settings, limiter: RateLimiter, vendor: str, title: str) -> Any:
    data = ReportCreate.model_validate({**_REPORT, "organization": vendor, "title": title})
    return reports.submit(db, data=data, uploads=[], settings=settings, limiter=limiter).case


def _cases(
    db: Session, settings: Settings, limiter: RateLimiter, *, vendor: str, other: str
) -> dict[str, str]:
    """One case in each state, each through the step that puts a case there."""
    made: dict[str, str] = {}

    def access(case: DisclosureCase) -> cases.CaseAccess:
        return cases.load(db, case.public_id, actor=SYSTEM, settings=settings)

    new = _report(db, settings, limiter, vendor, "Cross-site scripting in widget titles")
    made[CaseStatus.REPORTED] = new.public_id

    published = _report(db, settings, limiter, vendor, "Path traversal in widget export")
    cases.open_case(db, access=access(published), actor=SYSTEM, settings=settings)
    fixed = VendorStatusUpdate(
        status=VendorStatus.FIXED,
        statement="Fixed in 3.2.0 (example data).",
        affected_versions=["3.1.0"],
        fixed_versions=["3.2.0"],
    )
    vendors.set_status(
        db, access=access(published), slug=vendor, data=fixed, actor=SYSTEM, settings=settings
    )
    # No embargo was set: the vendor agrees to publication now, as its fix is out.
    embargo.agree_release(
        db, access=access(published), slug=vendor, actor=SYSTEM, settings=settings
    )
    request = PublishRequest(
        summary="Path traversal in Example Widget Dashboard export (example data)",
        details="The export endpoint joined a file name from the request to its folder "
        "without checking it. This advisory is example data loaded by `accord demo`.",
        cwe_ids=["CWE-22"],
    )
    publishing.publish_case(
        db, access=access(published), data=request, actor=SYSTEM, settings=settings
    )
    made[CaseStatus.PUBLISHED] = str(published.ref)

    opened = _report(db, settings, limiter, vendor, "Stored cross-site scripting on the dashboard")
    cases.open_case(db, access=access(opened), actor=SYSTEM, settings=settings)
    vendors.invite(db, access=access(opened), slug=other, actor=SYSTEM, settings=settings)
    affected = VendorStatusUpdate(status=VendorStatus.AFFECTED, affected_versions=["3.1.0"])
    vendors.set_status(
        db, access=access(opened), slug=vendor, data=affected, actor=SYSTEM, settings=settings
    )
    embargo.propose(
        db,
        access=access(opened),
        embargo_at=utcnow() + timedelta(days=30),
        reason="Time for both vendors to ship a fix (example data).",
        actor=SYSTEM,
        settings=settings,
    )
    made[CaseStatus.OPEN] = str(opened.ref)

    closed = _report(db, settings, limiter, vendor, "Debug page reachable in production builds")
    cases.open_case(db, access=access(closed), actor=SYSTEM, settings=settings)
    why = CloseRequest(
        reason=CloseReason.FIXED_NO_ADVISORY,
        note="The page was removed before any release shipped it (example data).",
    )
    closing.close(db, access=access(closed), data=why, actor=SYSTEM, settings=settings)
    made[CaseStatus.CLOSED] = str(closed.ref)

    def triage(case: DisclosureCase, data: TriageRequest) -> None:
        standing = access(case).standing
        reports.triage(db, case=case, standing=standing, data=data, actor=SYSTEM, settings=settings)

    for status, reason in _TRIAGED.items():
        case = _report(db, settings, limiter, vendor, f"Report closed as {status} (example)")
        triage(case, TriageRequest.model_validate({"action": status.value, "reason": reason}))
        made[status] = case.public_id
    duplicate = _report(db, settings, limiter, vendor, "Script in widget names (again)")
    triage(
        duplicate,
        TriageRequest(
            action="duplicate", reason="Reported already (example data).", duplicate_of=opened.ref
        ),
    )
    made[CaseStatus.DUPLICATE] = duplicate.public_id
    return made


# Fictional indicators under the reserved .example and documentation address ranges.
_INDICATORS = {
    Tlp.CLEAR: ("[domain-name:value = 'update-check.example']", "Fake updater domain"),
    Tlp.GREEN: ("[ipv4-addr:value = '198.51.100.23']", "Scanner seen by members"),
    Tlp.AMBER: ("[url:value = 'https://login.widgets-support.example/reset']", "Phishing page"),
    Tlp.AMBER_STRICT: ("[domain-name:value = 'cdn-widgets.example']", "Staging server"),
    Tlp.RED: ("[ipv4-addr:value = '203.0.113.77']", "Command and control (one incident)"),
}


def _shared_objects(db: Session, *, owner: str) -> int:
    """A collection of the CERT with one indicator at each TLP level."""
    org = db.scalar(select(Organization).where(Organization.slug == owner))
    assert org is not None
    data = CollectionCreate(
        title="Example indicators (demo)",
        description="Fictional indicators at every TLP level, loaded by `accord demo`.",
        alias="demo-indicators",
        default_tlp=Tlp.AMBER,
        public_read=True,
        community_read=True,
    )
    collection = sharing.create_collection(db, org=org, data=data, actor=SYSTEM)
    now = utcnow()
    objects = [_indicator(pattern, name, tlp, now) for tlp, (pattern, name) in _INDICATORS.items()]
    report = ingest.store_objects(
        db,
        collection=collection,
        objects=objects,
        source=ingest.Source(producer_org_id=org.id),
        now=now,
    )
    if report.failures:
        raise AccordError(f"demo objects were refused: {report.failures[0]}")
    return len(objects)


def _indicator(pattern: str, name: str, tlp: Tlp, now: datetime) -> dict[str, Any]:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": stamp,
        "modified": stamp,
        "name": f"{name} (example data)",
        "description": "A fictional indicator loaded by `accord demo`.",
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": stamp,
        "object_marking_refs": [TLP2_MARKINGS[tlp]],
    }


def _progress_report(db: Session, settings: Settings, *, slug: str) -> str:
    """The signatory's report for last month (a period must have ended to be reported)."""
    org = db.scalar(select(Organization).where(Organization.slug == slug))
    assert org is not None
    first = utcnow().replace(day=1)
    last_month = (first - timedelta(days=1)).strftime("%Y-%m")
    found = progress.publish(
        db,
        actor=SYSTEM,
        settings=settings,
        org=org,
        period_key=last_month,
        narrative="Example data loaded by `accord demo`: this fictional vendor answered every "
        "report within a week and published one advisory.",
        commitments="Keep answering reports within a week (example data).",
    )
    return f"{slug} {found.period_key} v{found.version}"
