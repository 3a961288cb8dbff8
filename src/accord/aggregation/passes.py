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
"""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord import limits
from accord.aggregation import feeds, intake, signatures
from accord.aggregation.fetching import Fetcher, FetchFailed
from accord.aggregation.models import CsafDocument, CsafFailure, CsafProvider, CsafRun
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM
from accord.transparency import services as log

BATCH = 100


@dataclass
class _Ready:
    listed: feeds.Listed
    content: dict[str, Any]
    text: str
    origin: intake.Origin


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
    remaining: int = 0  # changed or new documents left for the next pass (the cap)
    message: str = ""
    failures: list[tuple[str, str, str | None, str]] = field(default_factory=list)


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
        known = {
            row.url: (row.sha256, row.changed_at)
            for row in db.execute(
                select(CsafDocument.url, CsafDocument.sha256, CsafDocument.changed_at).where(
                    CsafDocument.provider_id == provider_id
                )
            )
        }
    with Fetcher(settings, verify=verify) as fetcher:
        try:
            metadata = feeds.read_metadata(fetcher, metadata_url)
            keys = feeds.keys(fetcher, metadata)
            found = feeds.listed(fetcher, metadata, most=settings.csaf_max_listed)
        except FetchFailed as exc:
            summary.failures.append((metadata_url, exc.code, None, exc.message))
            summary.message = exc.message
            summary.requests = fetcher.requests
            _finish(sessions, provider_id, summary, metadata=None, keys=None)
            return summary
        summary.listed = len(found)
        batch: list[_Ready] = []
        for item in found:
            if summary.downloaded >= settings.csaf_pass_max_downloads:
                summary.remaining += 1
                continue
            ready = _one(fetcher, item, known, keys, summary, source=slug)
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
    known: dict[str, tuple[str, Any]],
    keys: list[dict[str, str]],
    summary: Summary,
    *,
    source: str,
) -> _Ready | None:
    kept = known.get(item.url)
    try:
        if kept is not None:
            if item.changed_at is not None and kept[1] is not None and item.changed_at <= kept[1]:
                summary.unchanged += 1
                return None
            if item.changed_at is None and item.sha256_url is not None:
                published = fetcher.get(item.sha256_url, limit=4096, missing_ok=True)
                if published is not None and _digest(published) == kept[0]:
                    summary.unchanged += 1
                    return None
        body = fetcher.get(item.url) or b""
        summary.downloaded += 1
        _check_hash(fetcher, item, body)
        origin = _signature(fetcher, item, body, keys, source=source)
        try:
            content = limits.load_json(body, what=item.url)
        except (ValueError, limits.LimitExceeded) as exc:
            raise FetchFailed("not_json", f"not a JSON document: {exc}") from None
        if not isinstance(content, dict):
            raise FetchFailed("not_json", "not a JSON object")
        intake.check(content)
        return _Ready(item, content, body.decode("utf-8"), origin)
    except FetchFailed as exc:
        summary.failures.append((item.url, exc.code, None, exc.message))
    except intake.Refused as exc:
        summary.failures.append((item.url, "mandatory_test", exc.test, exc.message))
    except UnicodeDecodeError:
        summary.failures.append((item.url, "not_json", None, "not UTF-8 text"))
    summary.failed += 1
    return None


def _digest(published: bytes) -> str:
    """The hash in a ``.sha256``/``.sha512`` file: its first word (``<hex>  <file>``)."""
    words = published.decode("ascii", "replace").split()
    return words[0].lower() if words else ""


def _check_hash(fetcher: Fetcher, item: feeds.Listed, body: bytes) -> None:
    for url, algorithm in ((item.sha256_url, "sha256"), (item.sha512_url, "sha512")):
        if url is None:
            continue
        published = fetcher.get(url, limit=4096, missing_ok=True)
        if published is None:
            continue
        if _digest(published) != hashlib.new(algorithm, body).hexdigest():
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
            except intake.Refused as exc:
                summary.failures.append((ready.listed.url, "not_stored", exc.test, exc.message))
                summary.failed += 1
        _record_failures(db, summary, provider_id)
        if batch:
            log.sign_latest(db, settings=settings)


def _record_failures(db: Session, summary: Summary, provider_id: int) -> None:
    for url, code, test, reason in summary.failures:
        db.add(CsafFailure(provider_id=provider_id, run_id=summary.run_id, url=url[:1000],
                           code=code, test=test, reason=reason[:1000]))  # fmt: skip
    summary.failures.clear()


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
        for name in ("requests", "listed", "downloaded", "stored", "unchanged", "failed"):
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
            f"{summary.unchanged} unchanged, {summary.failed} refused"
        )
