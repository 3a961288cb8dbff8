"""Block lists out of a collection: plain, CSV and Suricata rules, one type of value each.

A feed holds the observable values of the collection's current, unrevoked indicators that the
reader may see (TLP in SQL, ``visibility.py``), taken from the look-up index: what an
indicator's pattern compares for equality, and the address ranges it names. Left out unless
the reader asks: indicators past their ``valid_until`` (``include_expired``) and values on a
warninglist (``include_warninglisted``): a block list that holds 8.8.8.8 or 10.0.0.0/8
breaks networks. ``min_score`` leaves out indicators whose decay score is lower.

Routes: ``/api/v1/sharing/collections/{id}/feeds/{name}`` (tokens) and
``/sharing/collections/{id}/feeds/{name}`` (a signed-in browser), ``name`` one of
``<type>.txt``, ``<type>.csv`` or ``suricata.rules``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import N_, Message, NotFound
from accord.sharing import decay, rules, warninglists
from accord.sharing.models import Collection, Observable, StixObject
from accord.sharing.readers import Reader
from accord.sharing.visibility import visible_clause

TYPES: dict[str, tuple[str, ...]] = {
    "ip": ("ipv4", "ipv6", "ipv4-net", "ipv6-net"),
    "domain": ("domain",),
    "url": ("url",),
    "email": ("email",),
    "md5": ("md5",),
    "sha1": ("sha1",),
    "sha256": ("sha256",),
    "sha512": ("sha512",),
}
FORMATS = ("txt", "csv")
RULES_NAME = "suricata.rules"
CSV_COLUMNS = (
    "value",
    "type",
    "indicator",
    "name",
    "tlp",
    "valid_until",
    "score",
    "warninglists",
)
_BATCH = 5_000


@dataclass(frozen=True)
class Options:
    """What a reader asks a feed to keep that it leaves out by default."""

    include_expired: bool = False
    include_warninglisted: bool = False
    min_score: float | None = None


@dataclass(frozen=True)
class Entry:
    """One value of one indicator in a feed."""

    observable_id: int
    kind: str
    value: str
    indicator: str
    name: str
    tlp: str
    valid_until: str
    score: float
    warninglists: tuple[str, ...]


def names() -> list[str]:
    """Every feed a collection offers, as its route names it."""
    return [f"{t}.{f}" for t in TYPES for f in FORMATS] + [RULES_NAME]


def entries(
    db: Session,
    *,
    reader: Reader,
    collection: Collection,
    kinds: tuple[str, ...],
    now: datetime,
    options: Options,
) -> Iterator[Entry]:
    """The feed's entries in index order (stable between downloads)."""
    matcher = warninglists.matcher(db)
    query = (
        select(
            Observable.id,
            Observable.kind,
            Observable.value,
            StixObject.stix_id,
            StixObject.tlp,
            StixObject.body,
        )
        .join(StixObject, StixObject.id == Observable.object_id)
        .where(
            StixObject.collection_id == collection.id,
            StixObject.is_latest.is_(True),
            StixObject.revoked.is_(False),
            StixObject.stix_type == "indicator",
            Observable.kind.in_(kinds),
            visible_clause(reader),
        )
        .order_by(Observable.id)
        .execution_options(yield_per=_BATCH)
    )
    bodies: dict[str, tuple[str, str, decay.Lifetime]] = {}
    for row_id, kind, value, stix_id, tlp, body in db.execute(query):
        known = bodies.get(stix_id)
        if known is None:
            obj = json.loads(body)
            known = (
                str(obj.get("name") or ""),
                str(obj.get("valid_until") or ""),
                decay.lifetime_of(obj),
            )
            bodies[stix_id] = known
        name, valid_until, life = known
        if life.expired(now) and not options.include_expired:
            continue
        score = decay.score(life, now=now)
        if options.min_score is not None and score < options.min_score:
            continue
        flagged = tuple(matcher.match(_matched_as(kind), _first_address(kind, value)))
        if flagged and not options.include_warninglisted:
            continue
        yield Entry(row_id, kind, value, stix_id, name, tlp, valid_until, score, flagged)


def _matched_as(kind: str) -> str:
    return {"ipv4-net": "ipv4", "ipv6-net": "ipv6"}.get(kind, kind)


def _first_address(kind: str, value: str) -> str:
    # A range is checked by its first address: 10.0.0.0/8 is on the RFC 1918 list.
    return value.split("/", 1)[0] if kind.endswith("-net") else value


def render(
    db: Session,
    *,
    reader: Reader,
    collection: Collection,
    name: str,
    now: datetime,
    options: Options,
) -> tuple[str, str]:
    """The feed ``name`` of a collection as (media type, text)."""
    if name == RULES_NAME:
        kinds = TYPES["ip"] + TYPES["domain"] + TYPES["url"]
        found = entries(
            db, reader=reader, collection=collection, kinds=kinds, now=now, options=options
        )
        return "text/plain; charset=utf-8", rules.render(found, collection=collection, now=now)
    kind, _, form = name.rpartition(".")
    if kind not in TYPES or form not in FORMATS:
        raise NotFound(
            Message(
                N_("feed: no feed is called %(name)r; feeds are %(values)s"),
                name=name[:60],
                values=", ".join(names()),
            ),
            field="feed",
        )
    found = entries(
        db, reader=reader, collection=collection, kinds=TYPES[kind], now=now, options=options
    )
    if form == "txt":
        values = dict.fromkeys(e.value for e in found)
        return "text/plain; charset=utf-8", "".join(f"{v}\n" for v in values)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in found:
        writer.writerow(
            (
                e.value,
                e.kind,
                e.indicator,
                _safe_cell(e.name),
                e.tlp,
                e.valid_until,
                e.score,
                "; ".join(e.warninglists),
            )
        )
    return "text/csv; charset=utf-8", out.getvalue()


def _safe_cell(text: str) -> str:
    # A producer's text opened in a spreadsheet must not run as a formula (CSV injection).
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
