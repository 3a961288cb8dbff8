"""The hub as a CSAF 2.0 provider (CSAF 2.0 section 7): metadata, ROLIE feeds, directories.

Documents are grouped by their CSAF (TLP 1.0) label: ``white`` holds TLP:CLEAR advisories
and is public; ``green``, ``amber`` (AMBER and AMBER+STRICT) and ``red`` answer only what the
caller may read, through the same visibility rule as the advisory pages, and the provider
metadata lists only the public feed. Each label has a directory
(``<label>/<year>/<file>.json`` with ``.sha256`` and ``.sha512`` beside it, ``index.txt``
and ``changes.csv``), a ROLIE feed (``feed-tlp-<label>.json``) and a ROLIE category
document (``category-tlp-<label>.json``); one ROLIE service document (``service.json``)
lists the feeds. The year is the one of the document's ``initial_release_date``: the hub's
first publication of the advisory. Each document has an OpenPGP signature
(``<file>.json.asc``, see :mod:`accord.advisories.openpgp`), made over the bytes served.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from accord.advisories import openpgp
from accord.advisories.exports import CSAF_BASE, Export, csaf_export, csaf_path, hub_publisher
from accord.advisories.formats import csaf_filename
from accord.advisories.formats.osv import rfc3339
from accord.advisories.models import (
    Advisory,
    AdvisoryStatus,
    AdvisoryVersion,
    AffectedPackage,
    Tlp,
)
from accord.advisories.visibility import readable
from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, Message, NotFound
from accord.identity.policy import Actor

BASE = CSAF_BASE
LABELS: dict[str, tuple[Tlp, ...]] = {
    "white": (Tlp.CLEAR,),
    "green": (Tlp.GREEN,),
    "amber": (Tlp.AMBER, Tlp.AMBER_STRICT),
    "red": (Tlp.RED,),
}
PUBLIC_LABELS = ("white",)
CSAF_SCHEMA_URL = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
HASHES = ("sha256", "sha512")
SIGNATURE = "asc"
INFORMATION_TYPE = {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}


@dataclass(frozen=True)
class Entry:
    """One CSAF document of a directory, as listed (its text is made only when asked)."""

    osv_id: str
    title: str
    initial: datetime
    current: datetime

    @property
    def filename(self) -> str:
        """The document's file name (CSAF 2.0 section 5.1)."""
        return csaf_filename(self.osv_id)

    @property
    def path(self) -> str:
        """Its path relative to the label's directory: ``<year>/<file>.json``."""
        return f"{self.initial.year}/{self.filename}"


def check_label(label: str) -> tuple[Tlp, ...]:
    """The TLP 2.0 labels a CSAF label's directory holds; an unknown label is not found."""
    if label not in LABELS:
        raise NotFound(
            Message(
                N_("no CSAF directory %(label)r: one of %(values)s"),
                label=label,
                values=", ".join(LABELS),
            ),
            field="label",
        )
    return LABELS[label]


def _listed(actor: Actor, tlps: tuple[Tlp, ...]) -> list[ColumnElement[bool]]:
    """Which advisories a directory lists: published or withdrawn, of its TLPs, readable."""
    return [Advisory.status != AdvisoryStatus.DRAFT, Advisory.tlp.in_(tlps), readable(actor)]


def entries(db: Session, actor: Actor, label: str) -> list[Entry]:
    """The label's documents the actor may read, newest change first."""
    tlps = check_label(label)
    first = func.min(AdvisoryVersion.published_at)
    last = func.max(AdvisoryVersion.published_at)
    query = (
        select(Advisory.osv_id, Advisory.summary, Advisory.status, first, last)
        .join(AdvisoryVersion, AdvisoryVersion.advisory_id == Advisory.id)
        .where(*_listed(actor, tlps))
        .group_by(Advisory.id, Advisory.osv_id, Advisory.summary, Advisory.status)
    )
    found = [
        Entry(osv_id, _title(osv_id, summary, status), initial, current)
        for osv_id, summary, status, initial, current in db.execute(query)
    ]
    found.sort(key=lambda e: (e.current, e.osv_id), reverse=True)
    return found


def _title(osv_id: str, summary: str, status: AdvisoryStatus) -> str:
    withdrawn = "Withdrawn: " if status is AdvisoryStatus.WITHDRAWN else ""
    return f"{withdrawn}{summary or osv_id}"


def label_of(tlp: Tlp) -> str:
    """The CSAF (TLP 1.0) label whose directory holds documents of a TLP 2.0 label."""
    return next(label for label, tlps in LABELS.items() if tlp in tlps)


def document_path(advisory: Advisory) -> str | None:
    """The provider path of the advisory's CSAF document, or None before its publication."""
    if advisory.status is AdvisoryStatus.DRAFT or not advisory.versions:
        return None
    return csaf_path(advisory, min(v.published_at for v in advisory.versions))


def index_txt(found: list[Entry]) -> str:
    """``index.txt`` (requirement 12): every document's path, one per line."""
    return "".join(f"{e.path}\n" for e in found)


def changes_csv(found: list[Entry]) -> str:
    """``changes.csv`` (requirement 13): path and current release date, newest first."""
    ordered = sorted(found, key=lambda e: (e.current, e.osv_id), reverse=True)
    return "".join(f'"{e.path}","{rfc3339(e.current)}"\n' for e in ordered)


def document(
    db: Session, actor: Actor, settings: Settings, *, label: str, year: str, filename: str
) -> Export:
    """The CSAF document at ``<label>/<year>/<filename>``, if the actor may read it."""
    for entry in entries(db, actor, label):
        if entry.filename == filename and str(entry.initial.year) == year:
            advisory = db.scalar(select(Advisory).where(Advisory.osv_id == entry.osv_id))
            if advisory is not None:
                return csaf_export(advisory, settings)
    raise NotFound(
        Message(
            N_("no CSAF document %(label)s/%(year)s/%(filename)s"),
            label=label,
            year=year,
            filename=filename,
        ),
        field="filename",
    )


def signature_file(text: str, settings: Settings) -> str:
    """A signature file (requirement 19): a detached OpenPGP signature of the served bytes."""
    return openpgp.sign(settings, text)


def hash_file(text: str, algorithm: str, filename: str) -> str:
    """A hash file (requirement 18): the hex digest of the served bytes, then the name."""
    digest = hashlib.new(algorithm, text.encode("utf-8")).hexdigest()
    return f"{digest}  {filename}\n"


def feed(found: list[Entry], settings: Settings, label: str) -> dict[str, object]:
    """The ROLIE feed (RFC 8322, requirement 15) of a label's documents."""
    base = f"{settings.public_url}{BASE}"
    updated = max((e.current for e in found), default=None)
    return {
        "feed": {
            "id": f"accord-csaf-feed-tlp-{label}",
            "title": f"{settings.hub_name} CSAF feed (TLP:{label.upper()})",
            "link": [
                {"rel": "self", "href": f"{base}/feed-tlp-{label}.json"},
                {"rel": "service", "href": f"{base}/service.json"},
            ],
            "category": [INFORMATION_TYPE],
            "updated": rfc3339(updated or utcnow()),
            "entry": [_feed_entry(e, f"{base}/{label}") for e in found],
        }
    }


def _feed_entry(entry: Entry, directory: str) -> dict[str, object]:
    url = f"{directory}/{entry.path}"
    return {
        "id": entry.osv_id,
        "title": entry.title,
        "link": [
            {"rel": "self", "href": url},
            *({"rel": "hash", "href": f"{url}.{algorithm}"} for algorithm in HASHES),
            {"rel": "signature", "href": f"{url}.{SIGNATURE}"},
        ],
        "published": rfc3339(entry.initial),
        "updated": rfc3339(entry.current),
        "summary": {"content": entry.title},
        "content": {"type": "application/json", "src": url},
        "format": {"schema": CSAF_SCHEMA_URL, "version": "2.0"},
    }


def provider_metadata_url(settings: Settings) -> str:
    """Where the provider metadata is (requirement 9's well-known URL)."""
    return f"{settings.public_url}{BASE}/provider-metadata.json"


def provider_metadata(db: Session, actor: Actor, settings: Settings) -> dict[str, object]:
    """``provider-metadata.json`` (requirement 7): the hub, its public distributions, its key.

    With hashes, signatures and the public key (requirements 18 to 20) the hub is a
    ``csaf_trusted_provider``.
    """
    base = f"{settings.public_url}{BASE}"
    public = [e for label in PUBLIC_LABELS for e in entries(db, actor, label)]
    updated = max((e.current for e in public), default=None)
    publisher = hub_publisher(settings)
    key = openpgp.public_key(settings)
    return {
        "canonical_url": provider_metadata_url(settings),
        "distributions": [
            {
                "directory_url": f"{base}/{label}/",
                "rolie": {
                    "categories": [f"{base}/category-tlp-{label}.json"],
                    "feeds": [
                        {
                            "summary": f"All TLP:{label.upper()} advisories of the hub.",
                            "tlp_label": label.upper(),
                            "url": f"{base}/feed-tlp-{label}.json",
                        }
                    ],
                    "services": [f"{base}/service.json"],
                },
            }
            for label in PUBLIC_LABELS
        ],
        "last_updated": rfc3339(updated or utcnow()),
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        # The hub mirrors its members' advisories itself; aggregators should point here.
        "mirror_on_CSAF_aggregators": False,
        "public_openpgp_keys": [
            {"fingerprint": key.fingerprint, "url": public_key_url(settings, key)}
        ],
        "publisher": {
            "category": publisher.category.value,
            "name": publisher.name,
            "namespace": publisher.namespace,
        },
        "role": "csaf_trusted_provider",
    }


def public_key_url(settings: Settings, key: openpgp.PublicKey) -> str:
    """Where the public key is served: ``openpgp/<FINGERPRINT>.asc`` beside the metadata."""
    return f"{settings.public_url}{BASE}/openpgp/{key.filename}"


def service_document(settings: Settings) -> dict[str, object]:
    """The ROLIE service document (requirement 16): every feed, public ones apart.

    Restricted feeds are listed for discovery; each answers a caller only what it may read.
    """
    base = f"{settings.public_url}{BASE}"

    def collection(label: str) -> dict[str, object]:
        categories = [INFORMATION_TYPE]
        if label not in PUBLIC_LABELS:
            categories.append({"scheme": "https://www.first.org/tlp/", "term": label.upper()})
        return {
            "title": f"{settings.hub_name} CSAF feed (TLP:{label.upper()})",
            "href": f"{base}/feed-tlp-{label}.json",
            "categories": {"category": categories},
        }

    restricted = [label for label in LABELS if label not in PUBLIC_LABELS]
    return {
        "service": {
            "workspace": [
                {
                    "title": "Public CSAF feed",
                    "collection": [collection(label) for label in PUBLIC_LABELS],
                },
                {
                    "title": "Restricted CSAF feeds",
                    "collection": [collection(label) for label in restricted],
                },
            ]
        }
    }


def category_document(db: Session, actor: Actor, label: str) -> dict[str, object]:
    """A label's ROLIE category document (requirement 17): its vendors and products.

    The terms are the product tree's ``vendor`` (the OSV ecosystem) and ``product_name``
    (the package, as the record writes it) branch names of the documents the actor may read.
    """
    tlps = check_label(label)
    query = (
        select(AffectedPackage.entry)
        .join(Advisory, Advisory.id == AffectedPackage.advisory_id)
        .where(*_listed(actor, tlps))
    )
    terms: set[str] = set()
    for (entry,) in db.execute(query):
        package = json.loads(entry).get("package") or {}
        terms.update(t for t in (package.get("ecosystem"), package.get("name")) if t)
    return {"categories": {"category": [INFORMATION_TYPE, *({"term": t} for t in sorted(terms))]}}


def publishes(db: Session, organization_id: int) -> bool:
    """Whether the organization has published advisories (so a ``CSAF:`` line serves it)."""
    query = select(Advisory.id).where(
        Advisory.organization_id == organization_id, Advisory.status != AdvisoryStatus.DRAFT
    )
    return db.scalar(query.limit(1)) is not None


def security_txt_line(settings: Settings) -> str:
    """The ``CSAF:`` field an organization adds to its security.txt (requirement 8)."""
    return f"CSAF: {provider_metadata_url(settings)}"
