"""A published progress report's downloads: its figures as CSV, and the JSON schema of its
document (what :mod:`accord.accountability.reports` signs and logs)."""

from __future__ import annotations

import csv
import io
from typing import Any

from accord.accountability import figures
from accord.accountability.reports import SCHEMA

CSV_COLUMNS = ("signatory", "period", "version", "figure", "group", "unit", "value", "records")


def to_csv(document: dict[str, Any]) -> str:
    """A report's figures as CSV, one figure a row (per-TLP counts one row per level)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    slug, key, version = (
        document["signatory"]["slug"],
        document["period"]["key"],
        document["version"],
    )
    for definition in figures.DEFINITIONS:
        item = document["figures"].get(definition.id)
        if item is None:
            continue
        value = item["value"]
        records = " ".join(item["records"])
        if isinstance(value, dict):
            for level, n in value.items():
                writer.writerow(
                    (
                        slug,
                        key,
                        version,
                        f"{definition.id}.{level}",
                        definition.group,
                        "count",
                        n,
                        "",
                    )
                )
        else:
            shown = "" if value is None else value
            writer.writerow(
                (
                    slug,
                    key,
                    version,
                    definition.id,
                    definition.group,
                    definition.unit,
                    shown,
                    records,
                )
            )
    return out.getvalue()


def json_schema() -> dict[str, Any]:
    """The JSON schema (2020-12) of a published report document."""
    value = {"type": ["number", "null", "object"], "additionalProperties": {"type": "integer"}}
    figure = {
        "type": "object",
        "required": ["value", "records", "private_records"],
        "additionalProperties": False,
        "properties": {
            "value": value,
            "records": {
                "type": "array",
                "items": {"type": "string"},
                "description": (
                    "The records anyone may read, as kind:name; kind:name*n names a group of "
                    "n records (objects:CLEAR*1250: 1,250 objects marked TLP:CLEAR)."
                ),
            },
            "private_records": {
                "type": "integer",
                "minimum": 0,
                "description": "How many more records were counted but may not be named.",
            },
        },
    }
    stamp = {"type": "string", "format": "date-time"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "accord.accountability.report/1",
        "title": "Accord progress report",
        "type": "object",
        "additionalProperties": False,
        "required": [
            "schema",
            "signatory",
            "period",
            "version",
            "published_at",
            "supersedes",
            "methods",
            "figures",
            "narrative",
            "commitments",
        ],
        "properties": {
            "schema": {"const": SCHEMA},
            "signatory": {
                "type": "object",
                "required": ["slug", "name"],
                "additionalProperties": False,
                "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
            },
            "period": {
                "type": "object",
                "required": ["key", "start", "end"],
                "additionalProperties": False,
                "properties": {"key": {"type": "string"}, "start": stamp, "end": stamp},
            },
            "version": {"type": "integer", "minimum": 1},
            "published_at": stamp,
            "supersedes": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
            "methods": {"type": "string", "format": "uri"},
            "figures": {
                "type": "object",
                "propertyNames": {"enum": [d.id for d in figures.DEFINITIONS]},
                "additionalProperties": figure,
            },
            "narrative": {"type": "string"},
            "commitments": {"type": "string"},
        },
    }
