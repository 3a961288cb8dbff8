"""The hub-wide report as published: its document, publishing (signed, logged, superseded
like a signatory's report, with the same steps of ``reports.py``), its JSON schema and CSV.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.accountability import figures, hub, report_formats, reports, services
from accord.accountability.hub import Summary
from accord.accountability.models import HubReport
from accord.accountability.periods import Period
from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, Conflict, Message, NotFound
from accord.identity.policy import Actor

SCHEMA = reports.HUB_SCHEMA
ENTRY_TYPE = reports.ENTRY_TYPES[SCHEMA]
# The signatory id no exclusion names: matching it finds the exclusions of a whole period.
_NO_SIGNATORY = 0


def document_of(
    found: Summary,
    *,
    settings: Settings,
    version: int | None,
    published_at: datetime | None,
    supersedes: str | None,
    narrative: str,
) -> dict[str, Any]:
    """The hub report of ``found``; unpublished (version None) for the API's live view."""
    period, members = found.period, found.membership
    stamp = reports.stamp
    return {
        "schema": SCHEMA,
        "hub": {"name": settings.hub_name, "url": settings.public_url.rstrip("/")},
        "period": {"key": period.key, "start": stamp(period.start), "end": stamp(period.end)},
        "version": version,
        "published_at": stamp(published_at) if published_at else None,
        "supersedes": supersedes,
        "methods": f"{settings.public_url.rstrip('/')}/accountability/methods",
        "signatories": {
            "at_end": members.at_end,
            "joined": members.joined,
            "left": members.left,
            "reported": members.reported,
            "excluded": [
                {"slug": slug, "name": name, "reason": reason}
                for slug, name, reason in members.excluded
            ],
        },
        "principles": [
            {
                "id": principle.id,
                "title": principle.title,
                "figures": {
                    key: hub.encode_aggregate(found.aggregates[key]) for key in principle.figure_ids
                },
            }
            for principle in hub.PRINCIPLES
        ],
        "trends": {
            key: [{"period": p.key, "value": v} for p, v in points]
            for key, points in found.trends.items()
        },
        "narrative": narrative,
    }


def publish(
    db: Session, *, actor: Actor, settings: Settings, period_key: str, narrative: str
) -> HubReport:
    """Publish the next version of the hub report for an ended period (operators)."""
    period = services.parse_period(period_key)
    now = utcnow()
    reports.ensure_ended(period, now)
    reports.check_texts(narrative, "")
    reason = services.exclusion_reason(
        services.exclusions(db, period_key=period.key), org_id=_NO_SIGNATORY, period_key=period.key
    )
    if reason is not None:
        raise Conflict(
            Message(
                N_("%(key)s is excluded from publication: %(reason)s"),
                key=period.key,
                reason=reason,
            )
        )
    previous = latest(db, period=period)
    version = previous.version + 1 if previous else 1
    document = document_of(
        hub.summary(db, period=period, fresh=True),
        settings=settings,
        version=version,
        published_at=now,
        supersedes=previous.document_sha256 if previous else None,
        narrative=narrative,
    )
    subject = f"accountability:hub:{period.key}:{version}"
    report = HubReport(period_key=period.key, version=version, published_at=now)
    reports.seal_and_store(
        db,
        actor=actor,
        settings=settings,
        schema=SCHEMA,
        subject=subject,
        document=document,
        row=report,
        previous=previous,
        organization_id=None,
    )
    return report


def latest(db: Session, *, period: Period) -> HubReport | None:
    """The current version of the hub report for ``period``, if any."""
    return db.scalar(
        select(HubReport)
        .where(HubReport.period_key == period.key)
        .order_by(HubReport.version.desc())
        .limit(1)
    )


def get(db: Session, *, period: Period, version: int | None) -> HubReport:
    """A published hub report: the current version or the one named (404 naming it)."""
    query = select(HubReport).where(HubReport.period_key == period.key)
    if version is not None:
        query = query.where(HubReport.version == version)
    found = db.scalar(query.order_by(HubReport.version.desc()).limit(1))
    if found is None:
        message = (
            Message(N_("no hub report for %(key)s"), key=period.key)
            if version is None
            else Message(
                N_("no version %(version)s of the hub report for %(key)s"),
                version=version,
                key=period.key,
            )
        )
        raise NotFound(message, field="period")
    return found


def listed(db: Session) -> list[HubReport]:
    """Every published version of the hub report, newest period first."""
    query = select(HubReport).order_by(HubReport.period_key.desc(), HubReport.version.desc())
    return list(db.scalars(query))


CSV_COLUMNS = ("period", "version", "section", "principle", "figure", "unit", "median", "total")


def _cell(value: Any) -> Any:
    return "" if value is None else value


def to_csv(document: dict[str, Any]) -> str:
    """A hub report as CSV: the signatory counts, one row per figure (per TLP level for the
    counts by TLP), then the trends, one row per figure and quarter."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((*CSV_COLUMNS, "reporting"))
    key, version = document["period"]["key"], _cell(document["version"])
    for name in ("at_end", "joined", "left", "reported"):
        value = _cell(document["signatories"][name])
        writer.writerow((key, version, "signatories", "", name, "count", "", value, ""))
    for principle in document["principles"]:
        for figure_id, item in principle["figures"].items():
            unit = figures.BY_ID[figure_id].unit
            total = item["total"]
            if isinstance(total, dict):
                for level, n in total.items():
                    name = f"{figure_id}.{level}"
                    where = (key, version, "figures", principle["id"], name, "count")
                    writer.writerow((*where, "", n, item["reporting"]))
                continue
            where = (key, version, "figures", principle["id"], figure_id, unit)
            writer.writerow((*where, _cell(item["median"]), _cell(total), item["reporting"]))
    for figure_id, points in document["trends"].items():
        definition = figures.BY_ID[figure_id]
        totalled = definition.unit in hub.TOTALLED_UNITS
        principle_id = hub.PRINCIPLE_OF[figure_id].id
        for point in points:
            value = _cell(point["value"])
            median, total = ("", value) if totalled else (value, "")
            where = (point["period"], version, "trend", principle_id, figure_id, definition.unit)
            writer.writerow((*where, median, total, ""))
    return out.getvalue()


def json_schema() -> dict[str, Any]:
    """The JSON schema (2020-12) of a hub report document (published or computed live)."""
    stamp = {"type": "string", "format": "date-time"}
    count = {"type": "integer", "minimum": 0}
    aggregate = {
        "type": "object",
        "required": ["median", "total", "reporting"],
        "additionalProperties": False,
        "properties": {
            "median": {"type": ["number", "null"]},
            "total": {"type": ["integer", "null", "object"], "additionalProperties": count},
            "reporting": count,
        },
    }
    ids = [d.id for d in figures.DEFINITIONS]
    principle = {
        "type": "object",
        "required": ["id", "title", "figures"],
        "additionalProperties": False,
        "properties": {
            "id": {"enum": [p.id for p in hub.PRINCIPLES]},
            "title": {"type": "string"},
            "figures": {"propertyNames": {"enum": ids}, "additionalProperties": aggregate},
        },
    }
    point = {
        "type": "object",
        "required": ["period", "value"],
        "additionalProperties": False,
        "properties": {"period": {"type": "string"}, "value": {"type": ["number", "null"]}},
    }
    excluded = {
        "type": "object",
        "required": ["slug", "name", "reason"],
        "additionalProperties": False,
        "properties": {k: {"type": "string"} for k in ("slug", "name", "reason")},
    }
    signatories = {
        "type": "object",
        "required": ["at_end", "joined", "left", "reported", "excluded"],
        "additionalProperties": False,
        "properties": {
            "at_end": count,
            "joined": count,
            "left": {"type": ["integer", "null"], "minimum": 0},
            "reported": count,
            "excluded": {"type": "array", "items": excluded},
        },
    }
    properties: dict[str, Any] = {
        "schema": {"const": SCHEMA},
        "hub": {
            "type": "object",
            "required": ["name", "url"],
            "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "url": {"type": "string"}},
        },
        "period": report_formats.json_schema()["properties"]["period"],
        "version": {"type": ["integer", "null"], "minimum": 1},
        "published_at": {"anyOf": [stamp, {"type": "null"}]},
        "supersedes": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
        "methods": {"type": "string", "format": "uri"},
        "signatories": signatories,
        "principles": {"type": "array", "items": principle},
        "trends": {
            "type": "object",
            "propertyNames": {"enum": ids},
            "additionalProperties": {"type": "array", "items": point},
        },
        "narrative": {"type": "string"},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA,
        "title": "Accord hub-wide progress report",
        "description": "version and published_at are null when computed for a request, "
        "not published.",
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }
