"""The hub as a CSAF 2.0 provider (CSAF 2.0 section 7): metadata, ROLIE feeds, directories.

Documents are grouped by their CSAF (TLP 1.0) label: ``white`` holds TLP:CLEAR advisories
and is public; ``green``, ``amber`` (AMBER and AMBER+STRICT) and ``red`` answer only what the
caller may read, through the same visibility rule as the advisory pages, and the provider
metadata lists only the public feed. Each label has a directory
(``<label>/<year>/<file>.json`` with ``.sha256`` and ``.sha512`` beside it, ``index.txt``
and ``changes.csv``) and a ROLIE feed (``feed-tlp-<label>.json``). The year is the one of
the document's ``initial_release_date``: the hub's first publication of the advisory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.advisories.exports import Export, csaf_export, hub_publisher
from accord.advisories.formats import csaf_filename
from accord.advisories.formats.osv import rfc3339
from accord.advisories.models import Advisory, AdvisoryStatus, AdvisoryVersion, Tlp
from accord.advisories.visibility import readable
from accord.clock import utcnow
from accord.config import Settings
from accord.errors import NotFound
from accord.identity.policy import Actor

BASE = "/.well-known/csaf"
LABELS: dict[str, tuple[Tlp, ...]] = {
    "white": (Tlp.CLEAR,),
    "green": (Tlp.GREEN,),
    "amber": (Tlp.AMBER, Tlp.AMBER_STRICT),
    "red": (Tlp.RED,),
}
PUBLIC_LABELS = ("white",)
CSAF_SCHEMA_URL = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
HASHES = ("sha256", "sha512")


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
        raise NotFound(f"no CSAF directory {label!r}: one of {', '.join(LABELS)}", field="label")
    return LABELS[label]


def entries(db: Session, actor: Actor, label: str) -> list[Entry]:
    """The label's documents the actor may read, newest change first."""
    tlps = check_label(label)
    first = func.min(AdvisoryVersion.published_at)
    last = func.max(AdvisoryVersion.published_at)
    query = (
        select(Advisory.osv_id, Advisory.summary, Advisory.status, first, last)
        .join(AdvisoryVersion, AdvisoryVersion.advisory_id == Advisory.id)
        .where(Advisory.status != AdvisoryStatus.DRAFT, Advisory.tlp.in_(tlps), readable(actor))
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
    raise NotFound(f"no CSAF document {label}/{year}/{filename}", field="filename")


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
            "link": [{"rel": "self", "href": f"{base}/feed-tlp-{label}.json"}],
            "category": [
                {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}
            ],
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
    """``provider-metadata.json`` (requirement 7): the hub and its public distributions."""
    base = f"{settings.public_url}{BASE}"
    public = [e for label in PUBLIC_LABELS for e in entries(db, actor, label)]
    updated = max((e.current for e in public), default=None)
    publisher = hub_publisher(settings)
    return {
        "canonical_url": provider_metadata_url(settings),
        "distributions": [
            {
                "directory_url": f"{base}/{label}/",
                "rolie": {
                    "feeds": [
                        {
                            "summary": f"All TLP:{label.upper()} advisories of the hub.",
                            "tlp_label": label.upper(),
                            "url": f"{base}/feed-tlp-{label}.json",
                        }
                    ]
                },
            }
            for label in PUBLIC_LABELS
        ],
        "last_updated": rfc3339(updated or utcnow()),
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        # The hub mirrors its members' advisories itself; aggregators should point here.
        "mirror_on_CSAF_aggregators": False,
        "publisher": {
            "category": publisher.category.value,
            "name": publisher.name,
            "namespace": publisher.namespace,
        },
        "role": "csaf_provider",
    }


def security_txt_line(settings: Settings) -> str:
    """The ``CSAF:`` field an organization adds to its security.txt (requirement 8)."""
    return f"CSAF: {provider_metadata_url(settings)}"
