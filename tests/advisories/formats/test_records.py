"""The hand-built records are valid OSV 1.7, so the converters are tested on legal input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests import thirdparty
from tests.advisories.formats.records import HAND_BUILT

OSV_SCHEMA = json.loads(thirdparty.OSV_SCHEMA.read_text())


@pytest.mark.parametrize("name", sorted(HAND_BUILT))
def test_hand_built_record_passes_the_osv_schema(name: str) -> None:
    record: dict[str, Any] = HAND_BUILT[name]
    validator = Draft202012Validator(OSV_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert [e.message for e in validator.iter_errors(record)] == []
