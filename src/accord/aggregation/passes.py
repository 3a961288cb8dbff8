"""One pass over a provider (CSAF 2.0 section 7, the aggregator's requirements 1 to 6):
read its metadata and keys, list what its feeds say, download what changed, check it,
store what passes and record what fails.

A document is downloaded only when it is new, when the feed says it changed after the copy
kept (``changes.csv``'s time, ROLIE's ``updated``), or, for a feed that says no time
(``index.txt``), when its published SHA-256 differs from the copy's. Then, in order: the
document within the size cap; its SHA-256 (else SHA-512) file, which must match; its
signature, which must verify with a key of the provider's metadata when there is one; JSON
within :mod:`accord.limits`; the CSAF schema and mandatory tests. A document failing any
step is a :class:`CsafFailure` with the reason (and the test's number), counted on the run,
and the pass goes on; one passing them is stored with its advisory in its own savepoint
(:func:`accord.aggregation.intake.take`), committed every :data:`BATCH` documents.

A refused document is remembered (:class:`CsafRefusal`) with what its feed said of it then
(its time, else the SHA-256 its provider published), and is not downloaded again until that
changes; refusals that may pass on a later try (a timeout, an HTTP error) are not remembered.
"""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from accord import limits
from accord.aggregation import feeds, intake, signatures
from accord.aggregation.fetching import Fetcher, FetchFailed
from accord.aggregation.models import (
    CsafDocument,
    CsafFailure,
    CsafProvider,
    CsafRefusal,
    CsafRun,
)
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from accord.transparency import services as log

BATCH = 100
# Refusals that may not recur on a later try: never remembered, always tried again.
TRANSIENT = frozenset({"http_status", "timeout", "unreachable"})

# What a feed said of a document: (its time, the SHA-256 its provider published).
Said = tuple[datetime | None, str | None]


@dataclass
class _Ready:
    listed: feeds.Listed
    content: dict[str, Any]
    text: str
    origin: intake.Origin
    published_sha256: str | None = None


@dataclass
class Summary:
    """What a pass did, as stored on its :class:`CsafRun`."""

    run_id: int
    requests: int = 0
    listed: int = 0
    downloaded: int = 0
    stored: int = 0
    unchanged: int = 0
    failed: int = 0
    refused_unchanged: int = 0  # refused before and unchanged since: not downloaded
    remaining: int = 0  # changed or new documents left for the next pass (the cap)
    message: str = ""
    failures: list[tuple[str, str, str | None, str]] = field(default_factory=list)
    # Refusals to remember (url: what the feed said, and the code) and documents stored.
    refused: dict[str, tuple[Said, str]] = field(default_factory=dict)
    stored_urls: list[str] = field(default_factory=list)


def run(
    sessions: sessionmaker[Session],
    *,
    provider_id: int,
    settings: Settings,
    verify: ssl.SSLContext | None = None,
) -> Summary:
    """Pass over one provider's feeds; never raises for what the provider serves."""
    with unit_of_work(sessions) as db:
        provider = db.get(CsafProvider, provider_id)
        if provider is None:
            raise LookupError(f"no CSAF provider {provider_id}")
        record = CsafRun(provider_id=provider_id, started_at=utcnow())
        db.add(record)
        db.flush()
        summary = Summary(run_id=record.id)
        metadata_url, slug, org_id = provider.metadata_url, provider.slug, provider.organization_id
        known: dict[str, Said] = {
            row.url: (row.changed_at, row.sha256)
            for row in db.execute(
                select(CsafDocument.url, CsafDocument.sha256, CsafDocument.changed_at).where(
                    CsafDocument.provider_id == provider_id
                )
            )
        }
        refused: dict[str, Said] = {
            row.url: (row.changed_at, row.published_sha256)
            for row in db.execute(
                select(CsafRefusal.url, CsafRefusal.changed_at, CsafRefusal.published_sha256)
                .where(CsafRefusal.provider_id == provider_id)
            )
        }  # fmt: skip
    with Fetcher(settings, verify=verify) as fetcher:
        try:
            metadata = feeds.read_metadata(fetcher, metadata_url)
            keys = feeds.keys(fetcher, metadata)
            broken: list[tuple[str, FetchFailed]] = []
            found = feeds.listed(fetcher, metadata, most=settings.csaf_max_listed, broken=broken)
        except FetchFailed as exc:
            summary.failures.append((metadata_url, exc.code, None, exc.message))
            summary.message = exc.message
            summary.requests = fetcher.requests
            _finish(sessions, provider_id, summary, metadata=None, keys=None)
            return summary
        summary.listed = len(found)
        for url, why in broken:  # a feed that cannot be read: refused, the others read
            summary.failures.append((url, why.code, None, f"the feed: {why.message}"))
            summary.failed += 1
        batch: list[_Ready] = []
        for item in found:
            if summary.downloaded >= settings.csaf_pass_max_downloads:
                summary.remaining += 1
                continue
            ready = _one(fetcher, item, known, refused, keys, summary, source=slug)
            if ready is not None:
                batch.append(ready)
            if len(batch) >= BATCH:
                _store(sessions, batch, summary, provider_id, org_id, settings)
                batch = []
        _store(sessions, batch, summary, provider_id, org_id, settings)
        summary.requests = fetcher.requests
    if summary.remaining:
        summary.message = f"{summary.remaining} more to read in the next pass"
    _finish(sessions, provider_id, summary, metadata=metadata, keys=keys)
    return summary


def _one(
    fetcher: Fetcher,
    item: feeds.Listed,
    known: dict[str, Said],
    refused: dict[str, Said],
    keys: list[dict[str, str]],
    summary: Summary,
    *,
    source: str,
) -> _Ready | None:
    hashes: dict[str, str | None] = {}  # published hashes, each read once
    published: str | None = None
    try:
        if item.changed_at is None and item.sha256_url is not None:
            published = _published(fetcher, item.sha256_url, hashes)
        if _unchanged(item, known.get(item.url), published):
            summary.unchanged += 1
            return None
        if _unchanged(item, refused.get(item.url), published):
            summary.refused_unchanged += 1
            return None
        body = fetcher.get(item.url) or b""
        summary.downloaded += 1
        _check_hash(fetcher, item, body, hashes)
        origin = _signature(fetcher, item, body, keys, source=source)
        try:
            content = limits.load_json(body, what=item.url)
        except (ValueError, limits.LimitExceeded) as exc:
            raise FetchFailed("not_json", f"not a JSON document: {exc}") from None
        if not isinstance(content, dict):
            raise FetchFailed("not_json", "not a JSON object")
        intake.check(content)
        published = hashes.get(item.sha256_url or "")
        return _Ready(item, content, body.decode("utf-8"), origin, published)
    except FetchFailed as exc:
        summary.failures.append((item.url, exc.code, None, exc.message))
        code = exc.code
    except intake.Refused as exc:
        summary.failures.append((item.url, "mandatory_test", exc.test, exc.message))
        code = "mandatory_test"
    except UnicodeDecodeError:
        summary.failures.append((item.url, "not_json", None, "not UTF-8 text"))
        code = "not_json"
    summary.failed += 1
    if code not in TRANSIENT:
        said = (item.changed_at, hashes.get(item.sha256_url or ""))
        summary.refused[item.url] = (said, code)
    return None


def _unchanged(item: feeds.Listed, then: Said | None, published: str | None) -> bool:
    """Whether the feed says of ``item`` what it said ``then``: no later time, or, for a
    feed that says no time, the same published SHA-256."""
    if then is None:
        return False
    changed_at, sha256 = then
    if item.changed_at is not None:
        return changed_at is not None and item.changed_at <= changed_at
    return published is not None and published == sha256


def _published(fetcher: Fetcher, url: str, hashes: dict[str, str | None]) -> str | None:
    """The hash a ``.sha256``/``.sha512`` file at ``url`` publishes (None: not served)."""
    if url not in hashes:
        text = fetcher.get(url, limit=4096, missing_ok=True)
        hashes[url] = None if text is None else _digest(text)
    return hashes[url]


def _digest(published: bytes) -> str:
    """The hash in a ``.sha256``/``.sha512`` file: its first word (``<hex>  <file>``)."""
    words = published.decode("ascii", "replace").split()
    return words[0].lower() if words else ""


def _check_hash(
    fetcher: Fetcher, item: feeds.Listed, body: bytes, hashes: dict[str, str | None]
) -> None:
    for url, algorithm in ((item.sha256_url, "sha256"), (item.sha512_url, "sha512")):
        if url is None:
            continue
        published = _published(fetcher, url, hashes)
        if published is None:
            continue
        if published != hashlib.new(algorithm, body).hexdigest():
            raise FetchFailed(
                "hash_mismatch",
                f"the document's {algorithm.upper()} is not the one the provider published",
            )
        return  # one matching hash suffices: both come from the same provider
    raise FetchFailed("no_hash", "the provider publishes no SHA-256 or SHA-512 for it")


def _signature(
    fetcher: Fetcher,
    item: feeds.Listed,
    body: bytes,
    keys: list[dict[str, str]],
    *,
    source: str,
) -> intake.Origin:
    signature = (
        None if item.signature_url is None else fetcher.get(item.signature_url, missing_ok=True)
    )
    if signature is None:
        return intake.Origin(source=source, url=item.url, signature_status=intake.SIGNATURE_ABSENT,
                             changed_at=item.changed_at)  # fmt: skip
    try:
        fingerprint = signatures.verify(body, signature, [k["armored"] for k in keys])
    except signatures.BadSignature as exc:
        raise FetchFailed("signature", str(exc)) from None
    return intake.Origin(
        source=source,
        url=item.url,
        signature=signature.decode("ascii", "replace"),
        signature_status=intake.SIGNATURE_VERIFIED,
        signature_key=fingerprint,
        changed_at=item.changed_at,
    )


def _store(
    sessions: sessionmaker[Session],
    batch: list[_Ready],
    summary: Summary,
    provider_id: int,
    org_id: int | None,
    settings: Settings,
) -> None:
    if not batch and not summary.failures:
        return
    with unit_of_work(sessions) as db:
        for ready in batch:
            origin = ready.origin
            origin = intake.Origin(
                source=origin.source,
                url=origin.url,
                provider_id=provider_id,
                signature=origin.signature,
                signature_status=origin.signature_status,
                signature_key=origin.signature_key,
                changed_at=origin.changed_at,
            )
            try:
                intake.take(db, ready.content, ready.text, actor=SYSTEM, settings=settings,
                            organization_id=org_id, origin=origin, tested=True)  # fmt: skip
                summary.stored += 1
                summary.stored_urls.append(ready.listed.url)
            except intake.Refused as exc:
                summary.failures.append((ready.listed.url, "not_stored", exc.test, exc.message))
                summary.failed += 1
                said = (ready.listed.changed_at, ready.published_sha256)
                summary.refused[ready.listed.url] = (said, "not_stored")
        _record_failures(db, summary, provider_id)
        if batch:  # the entries wait for the log's cadence (web process or worker)
            log.sign_without_cadence(db, settings=settings)


def _record_failures(db: Session, summary: Summary, provider_id: int) -> None:
    for url, code, test, reason in summary.failures:
        db.add(CsafFailure(provider_id=provider_id, run_id=summary.run_id, url=url[:1000],
                           code=code, test=test, reason=reason[:1000]))  # fmt: skip
    summary.failures.clear()
    _remember(db, summary, provider_id)


def _remember(db: Session, summary: Summary, provider_id: int) -> None:
    """Keep this pass's refusals, replacing earlier ones; forget those of documents stored."""
    gone = [*summary.refused, *summary.stored_urls]
    for start in range(0, len(gone), 500):
        db.execute(
            delete(CsafRefusal).where(
                CsafRefusal.provider_id == provider_id,
                CsafRefusal.url.in_(gone[start : start + 500]),
            )
        )
    for url, ((changed_at, sha256), code) in summary.refused.items():
        db.add(CsafRefusal(provider_id=provider_id, url=url[:1000], changed_at=changed_at,
                           published_sha256=sha256, code=code))  # fmt: skip
    summary.refused.clear()
    summary.stored_urls.clear()


def _finish(
    sessions: sessionmaker[Session],
    provider_id: int,
    summary: Summary,
    *,
    metadata: feeds.Metadata | None,
    keys: list[dict[str, str]] | None,
) -> None:
    with unit_of_work(sessions) as db:
        _record_failures(db, summary, provider_id)
        record = db.get(CsafRun, summary.run_id)
        provider = db.get(CsafProvider, provider_id)
        assert record is not None
        assert provider is not None
        now = utcnow()
        record.finished_at = now
        for name in ("requests", "listed", "downloaded", "stored", "unchanged", "failed",
                     "refused_unchanged"):  # fmt: skip
            setattr(record, name, getattr(summary, name))
        record.message = summary.message[:1000]
        provider.last_run_at = now
        if metadata is None:
            provider.last_status = "failed"
            provider.last_message = summary.message[:1000]
            return
        publisher = metadata.content.get("publisher") or {}
        provider.name = str(publisher.get("name", provider.name))[:300]
        provider.namespace = str(publisher.get("namespace", provider.namespace))[:500]
        provider.role = str(metadata.content.get("role", ""))[:40]
        provider.provider_metadata = metadata.text
        provider.keys = keys or []
        provider.last_status = "failures" if summary.failed else "ok"
        provider.last_message = (
            f"{summary.listed} listed, {summary.downloaded} downloaded, {summary.stored} stored, "
            f"{summary.unchanged} unchanged, {summary.failed} refused, "
            f"{summary.refused_unchanged} refused before and unchanged"
        )
