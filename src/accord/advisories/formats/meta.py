"""What the converters need beyond the OSV record: who publishes it, how, and the hub's additions.

An OSV record says what is vulnerable. CSAF, CVE JSON 5 and STIX also want the publisher, a
TLP label, a tracking id with a revision history, scores and weaknesses, and (for VEX) the
products the publisher states are *not* affected. The caller (the advisories domain) fills a
:class:`PublicationMeta` from its own tables; every rule the formats impose on these values is
checked here, so a converter never emits a document that fails its format's mandatory checks
because of them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from packageurl import PackageURL

from accord.advisories.formats.versioning import check_versioning
from accord.errors import N_, InvalidInput, Message


class Tlp(StrEnum):
    """A Traffic Light Protocol 2.0 label (FIRST, 2022)."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"


class PublisherCategory(StrEnum):
    """CSAF 2.0 publisher categories (``translator`` is left out: it needs a source language)."""

    COORDINATOR = "coordinator"
    DISCOVERER = "discoverer"
    OTHER = "other"
    USER = "user"
    VENDOR = "vendor"


class TrackingStatus(StrEnum):
    """The publication status of the document (CSAF ``/document/tracking/status``)."""

    DRAFT = "draft"
    INTERIM = "interim"
    FINAL = "final"


class VexJustification(StrEnum):
    """Why a product is not affected.

    The values are the five justifications of CISA's VEX minimum requirements, which OpenVEX
    uses as they are and CSAF 2.0 uses as flag labels (section 3.2.3.5), so the mapping to a
    CSAF flag is the identity.
    """

    COMPONENT_NOT_PRESENT = "component_not_present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present"
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = "vulnerable_code_not_in_execute_path"
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY = (
        "vulnerable_code_cannot_be_controlled_by_adversary"
    )
    INLINE_MITIGATIONS_ALREADY_EXIST = "inline_mitigations_already_exist"


class StatementStatus(StrEnum):
    """The status a publisher states for a product the OSV record does not list (the CSAF
    ``product_status`` names): not affected, under investigation, or affected or fixed where
    no package names the product."""

    NOT_AFFECTED = "known_not_affected"
    UNDER_INVESTIGATION = "under_investigation"
    AFFECTED = "known_affected"
    FIXED = "fixed"


_CWE_ID = re.compile(r"^CWE-[1-9][0-9]*$")
_CVSS_PREFIX = {"3": ("CVSS:3.0/", "CVSS:3.1/"), "4": ("CVSS:4.0/",)}


@dataclass(frozen=True)
class Publisher:
    """The organization that publishes the advisory.

    ``namespace`` is the organization's own URL (CSAF requires one). ``cve_org_id`` is the
    organization's UUID in the CVE Services user registry; a CVE record cannot be made
    without it.
    """

    name: str
    namespace: str
    category: PublisherCategory = PublisherCategory.VENDOR
    contact_details: str | None = None
    issuing_authority: str | None = None
    cve_org_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput(N_("a publisher needs a name"), field="meta.publisher.name")
        if not self.namespace.startswith(("https://", "http://")):
            raise InvalidInput(
                N_("the namespace must be an http(s) URL"), field="meta.publisher.namespace"
            )
        if self.cve_org_id is not None and self.cve_org_id.version != 4:
            # CVE Services issues version 4 UUIDs, and the CVE schema accepts no other.
            raise InvalidInput(
                N_("a CVE organization id is a version 4 UUID"), field="meta.publisher.cve_org_id"
            )


@dataclass(frozen=True)
class Revision:
    """One entry of the revision history: its number, when, and what changed."""

    number: str
    date: datetime
    summary: str


@dataclass(frozen=True)
class Weakness:
    """A CWE entry. CSAF checks the name against the CWE catalog, so both are needed."""

    id: str
    name: str

    def __post_init__(self) -> None:
        if not _CWE_ID.match(self.id) or not self.name.strip():
            raise InvalidInput(
                Message(N_("%(id)r is not a CWE id with a name"), id=self.id), field="meta.cwes"
            )


@dataclass(frozen=True)
class CvssScore:
    """A CVSS vector and the base score the caller computed from it."""

    vector: str
    base_score: float

    @property
    def version(self) -> str:
        """``3.0``, ``3.1`` or ``4.0``, read from the vector's prefix."""
        return self.vector[5:8]

    @property
    def severity(self) -> str:
        """The qualitative rating of the base score (same table in CVSS 3.x and 4.0)."""
        if self.base_score == 0:
            return "NONE"
        if self.base_score < 4:
            return "LOW"
        if self.base_score < 7:
            return "MEDIUM"
        if self.base_score < 9:
            return "HIGH"
        return "CRITICAL"

    def check(self, *, major: str, field: str) -> None:
        """Raise :class:`InvalidInput` unless this is a CVSS ``major``.x vector with a score."""
        if not self.vector.startswith(_CVSS_PREFIX[major]):
            raise InvalidInput(
                Message(
                    N_("%(vector)r is not a CVSS %(major)s.x vector"),
                    vector=self.vector,
                    major=major,
                ),
                field=field,
            )
        if not 0 <= self.base_score <= 10 or round(self.base_score, 1) != self.base_score:
            raise InvalidInput(
                Message(
                    N_("%(base_score)s is not a base score (0.0 to 10.0, one decimal)"),
                    base_score=self.base_score,
                ),
                field=field,
            )


@dataclass(frozen=True)
class ProductStatement:
    """A product the publisher states is not affected (or still under investigation, or
    affected or fixed where the OSV record names no package for it).

    A ``known_not_affected`` statement needs a justification or an impact statement, as
    VEX requires one for every product it says is not affected.
    """

    name: str
    purl: str | None = None
    status: StatementStatus = StatementStatus.NOT_AFFECTED
    justification: VexJustification | None = None
    impact_statement: str | None = None
    # The versions that fix an affected product (its remediation says so).
    fixed_versions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput(N_("a product needs a name"), field="meta.statements")
        if self.purl is not None:
            try:
                PackageURL.from_string(self.purl)
            except ValueError as exc:
                raise InvalidInput(
                    Message(N_("invalid purl: %(exc)s"), exc=exc), field="meta.statements"
                ) from exc
        if self.status is StatementStatus.NOT_AFFECTED and not (
            self.justification or self.impact_statement
        ):
            raise InvalidInput(
                Message(
                    N_("%(name)s: not affected needs a justification or an impact statement"),
                    name=self.name,
                ),
                field="meta.statements",
            )


@dataclass(frozen=True)
class PublicationMeta:
    """Everything about a publication that the OSV record does not say.

    ``summary`` is the plain-language summary for non-specialists. ``revisions`` may be given
    in any order; they are kept sorted by date. Scores are computed by the caller from the
    vectors (the formats only carry them).
    """

    publisher: Publisher
    tracking_id: str
    version: str
    initial_release_date: datetime
    current_release_date: datetime
    revisions: tuple[Revision, ...]
    status: TrackingStatus = TrackingStatus.FINAL
    tlp: Tlp = Tlp.CLEAR
    summary: str = ""
    cwes: tuple[Weakness, ...] = ()
    cvss_v3: CvssScore | None = None
    cvss_v4: CvssScore | None = None
    statements: tuple[ProductStatement, ...] = ()
    record_url: str | None = None
    document_url: str | None = None

    def __post_init__(self) -> None:
        if not self.tracking_id or self.tracking_id != self.tracking_id.strip():
            raise InvalidInput(
                N_("the tracking id must be non-empty without surrounding spaces"),
                field="meta.tracking_id",
            )
        dates = [self.initial_release_date, self.current_release_date]
        dates += [r.date for r in self.revisions]
        if any(d.tzinfo is None for d in dates):
            raise InvalidInput(N_("dates must carry a time zone"), field="meta.revisions")
        ordered = tuple(sorted(self.revisions, key=lambda r: r.date))
        object.__setattr__(self, "revisions", ordered)
        check_versioning(
            version=self.version,
            draft=self.status is TrackingStatus.DRAFT,
            history=[r.number for r in ordered],
        )
        if self.cvss_v3 is not None:
            self.cvss_v3.check(major="3", field="meta.cvss_v3")
        if self.cvss_v4 is not None:
            self.cvss_v4.check(major="4", field="meta.cvss_v4")
        if self.record_url is not None and not self.record_url.startswith(("https://", "http://")):
            raise InvalidInput(N_("the record URL must be an http(s) URL"), field="meta.record_url")
        if self.document_url is not None and not self.document_url.startswith(
            ("https://", "http://")
        ):
            raise InvalidInput(
                N_("the document URL must be an http(s) URL"), field="meta.document_url"
            )

    @property
    def is_vex(self) -> bool:
        """Whether the publisher states products not affected (a CSAF VEX document)."""
        return any(s.status is StatementStatus.NOT_AFFECTED for s in self.statements)
