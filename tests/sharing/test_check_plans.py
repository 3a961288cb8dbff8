"""An object is refused the same way whether its type and property names were met before
(their plan remembered, ``stix_validation._PLANS``) or not: same field, same words."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.sharing import stix_timestamps, stix_validation
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


# Timestamps: the form every one passes is checked without the groups, which are read only when
# fromisoformat refuses a string of that form. Both patterns take the same strings.
_STAMP_CHARS = st.sampled_from([*"0123456789-T:.Z \n+", "\u0662", "\uff11", "\u00b2"])


@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        st.lists(_STAMP_CHARS, max_size=30).map("".join),
        st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
        st.builds(
            lambda d, i, c: d.isoformat(timespec="milliseconds")[:i] + c
            + d.isoformat(timespec="milliseconds")[i + 1 :] + "Z",
            st.datetimes(), st.integers(0, 22), _STAMP_CHARS,
        ),
    )
)  # fmt: skip
def test_the_form_without_groups_takes_what_the_grouped_one_takes(text: str) -> None:
    assert (stix_timestamps._FORM.match(text) is None) == (
        stix_timestamps._TIMESTAMP.match(text) is None
    )


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("2024-02-29T23:59:59.5Z", datetime(2024, 2, 29, 23, 59, 59, 500000, tzinfo=UTC)),
        # Any Unicode digit, as \d has always taken (read from the groups).
        ("\u0662\u0660\u0662\u0664-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2023-02-29T00:00:00Z", None),  # not a real date: refused, with the reason
        ("2024-01-01T00:00:60Z", None),
        ("2024-01-01T00:00:00+00:00", None),
        ("2024-01-01 00:00:00Z", None),
    ],
)
def test_timestamps_are_read_as_before(text: str, read: datetime | None) -> None:
    stix_timestamps.read_timestamp.cache_clear()
    found = stix_timestamps.read_timestamp(text)
    if read is None:
        assert isinstance(found, str)
    else:
        assert found == read
