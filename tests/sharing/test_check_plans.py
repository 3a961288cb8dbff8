"""An object is refused the same way whether its type and property names were met before
(their plan remembered, ``stix_validation._PLANS``) or not: same field, same words."""

from __future__ import annotations

from typing import Any

import pytest

from accord.sharing import stix_validation
from accord.sharing.stix_validation import StixInvalid, check_object
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
