"""An object is refused the same way whether its type and property names were met before
(their plan remembered, ``stix_validation._PLANS``) or not: same field, same words."""

from __future__ import annotations

from typing import Any

import pytest

from accord.sharing import stix_validation
from accord.sharing.stix_validation import StixInvalid, check_object
from tests.sharing import stixgen
from tests.sharing.test_validation import INVALID, STRICTER

CASES = INVALID + STRICTER


def _refusal(obj: Any) -> tuple[str, str] | None:
    try:
        check_object(obj)
    except StixInvalid as exc:
        return exc.field, str(exc.said)
    return None


@pytest.mark.parametrize(("field", "make"), CASES, ids=[f for f, _ in CASES])
def test_a_remembered_plan_refuses_as_a_new_one(field: str, make: Any) -> None:
    obj = make()
    stix_validation._PLANS.clear()
    first = _refusal(obj)
    assert first is not None
    assert first[0] == field
    assert _refusal(obj) == first  # with the plan now remembered (15 of the 18 cases)


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


_INDICATOR = stixgen.indicator()
_SIGHTING = stixgen.sighting(_INDICATOR["id"])
_AT = "2024-01-01T00:00:00.000Z"
_LATER = "2024-01-02T00:00:00.000Z"

# The timestamps an indicator and a sighting compare are parsed once, with the others of
# TIMESTAMP_PROPERTIES: each comparison and each ill-formed one refused as ever.
COMPARED = [
    (None, _with(_INDICATOR, valid_from=_AT, valid_until=_LATER)),
    ("valid_until", _with(_INDICATOR, valid_from=_AT, valid_until=_AT)),
    ("valid_until", _with(_INDICATOR, valid_from=_LATER, valid_until=_AT)),
    ("valid_until", _with(_INDICATOR, valid_until="tomorrow")),
    ("valid_from", _with(_INDICATOR, valid_from="today", valid_until=_LATER)),
    ("first_seen", _with(_INDICATOR, valid_from=_AT, valid_until=_LATER, first_seen="x")),
    (None, _with(_SIGHTING, first_seen=_AT, last_seen=_AT)),
    (None, _with(_SIGHTING, first_seen=_AT, last_seen=_LATER)),
    (None, _with(_SIGHTING, last_seen=_AT)),
    ("last_seen", _with(_SIGHTING, first_seen=_LATER, last_seen=_AT)),
    ("first_seen", _with(_SIGHTING, first_seen=1, last_seen=_AT)),
    ("last_seen", _with(_SIGHTING, first_seen=_AT, last_seen="")),
    ("valid_from", _with(_SIGHTING, valid_from="x", first_seen=_LATER, last_seen=_AT)),
]


@pytest.mark.parametrize(("field", "obj"), COMPARED)
def test_compared_timestamps_are_refused_as_before(field: str | None, obj: Any) -> None:
    refusal = _refusal(obj)
    assert (refusal[0] if refusal else None) == field
