"""Who may write what into a collection, beyond the grant: the rules an envelope's objects are
held to one by one, each refusal an entry of the status resource (docs/sharing.md)."""

from __future__ import annotations

from accord.sharing.stix_validation import CheckedObject
from accord.sharing.tlp import MARKING_LEVELS, Tlp, level_of, most_restrictive

NOT_CREATOR = "only the organization that created this object may add versions of it"


def not_creator(result: CheckedObject) -> dict[str, str]:
    """The failure of a version written by another organization than the object's creator."""
    return {"id": result.stix_id, "version": result.version_text or "", "message": NOT_CREATOR}


def stricter_part(result: CheckedObject, default: Tlp) -> dict[str, str] | None:
    """The failure of an object whose granular markings put part of it under a stricter TLP
    level than the whole: the hub serves objects whole, by their own level, so it would serve
    that part to readers the marking excludes. Refused rather than stored as if unmarked."""
    if not result.granular_tlp_refs:
        return None
    level = level_of(result.marking_refs, default=default)
    part = most_restrictive(MARKING_LEVELS[r] for r in result.granular_tlp_refs)
    if part is None or most_restrictive((level, part)) is level:
        return None
    return {
        "id": result.stix_id,
        "version": result.version_text or "",
        "message": (
            f"granular_markings: part of the object is marked TLP:{part.value.upper()}, "
            f"stricter than the object's TLP:{level.value.upper()}; the hub enforces TLP on "
            "whole objects only: mark the whole object, or share that part as its own object"
        ),
    }
