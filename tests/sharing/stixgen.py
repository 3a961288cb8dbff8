"""STIX 2.1 objects for tests, built with the OASIS ``stix2`` library where it can."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import stix2

from accord.sharing.tlp import TLP2_MARKINGS, Tlp

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def indicator(
    value: str | None = None,
    *,
    tlp: Tlp | None = None,
    name: str | None = None,
    modified: datetime | None = None,
    stix_id: str | None = None,
    pattern: str | None = None,
    kind: str = "sha256",
) -> dict[str, Any]:
    """An indicator whose pattern tests one observable value (a SHA-256 by default)."""
    value = value or uuid.uuid4().hex * 2
    patterns = {
        "sha256": f"[file:hashes.'SHA-256' = '{value}']",
        "ipv4": f"[ipv4-addr:value = '{value}']",
        "domain": f"[domain-name:value = '{value}']",
        "url": f"[url:value = '{value}']",
    }
    kwargs: dict[str, Any] = {
        "id": stix_id or f"indicator--{uuid.uuid4()}",
        "name": name or f"bad {value[:12]}",
        "pattern": pattern or patterns[kind],
        "pattern_type": "stix",
        "valid_from": T0,
        "created": T0,
        "modified": modified or T0,
    }
    if tlp is not None:
        kwargs["object_marking_refs"] = [TLP2_MARKINGS[tlp]]
    return as_dict(stix2.v21.Indicator(**kwargs))


def sighting(of: str, *, count: int = 1, tlp: Tlp | None = None) -> dict[str, Any]:
    """A sighting of ``of``."""
    kwargs: dict[str, Any] = {"sighting_of_ref": of, "count": count}
    if tlp is not None:
        kwargs["object_marking_refs"] = [TLP2_MARKINGS[tlp]]
    return as_dict(stix2.v21.Sighting(**kwargs))


def versions_of(obj: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """``count`` versions of ``obj``, a day apart."""
    out = []
    for i in range(count):
        version = dict(obj)
        stamp = T0 + timedelta(days=i)
        version["modified"] = stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        out.append(version)
    return out


def as_dict(obj: Any) -> dict[str, Any]:
    """A stix2 object as plain JSON."""
    return dict(json.loads(obj.serialize()))


def envelope(*objects: dict[str, Any]) -> dict[str, Any]:
    """A TAXII envelope."""
    return {"objects": list(objects)}


def assert_valid_stix(objects: list[dict[str, Any]]) -> None:
    """Every object, wrapped in a bundle, passes the OASIS validator (stix2-validator 3.2.0)."""
    from stix2validator import ValidationOptions, validate_instance

    assert objects, "nothing to validate"
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    result = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
