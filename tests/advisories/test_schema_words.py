"""Every check jsonschema raises an error for, in Draft 2020-12 and draft-07, is said by a
sentence of the catalog with its values in Spanish and Japanese; jsonschema's English stays
the record."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.exceptions import ValidationError

from accord.advisories.schema_words import SchemaReason, reason
from accord.errors import say
from accord.i18n import translations

ES = translations("es").gettext
JA = translations("ja").gettext

_STRING = {"type": "string"}
# keyword: (draft, schema, instance, the keyword of the check that fails, words of its values)
CASES: dict[str, tuple[str, dict[str, Any], Any, str | None, tuple[str, ...]]] = {
    "$ref": ("2020", {"$defs": {"n": _STRING}, "$ref": "#/$defs/n"}, 1, "type", ('"string"',)),
    "$dynamicRef": (
        "2020", {"$defs": {"n": _STRING}, "$dynamicRef": "#/$defs/n"}, 1, "type", ('"string"',)
    ),
    "additionalProperties": (
        "2020", {"properties": {"a": {}}, "additionalProperties": False}, {"a": 1, "b": 2},
        "additionalProperties", ('["b"]',),
    ),
    "additionalProperties+patternProperties": (
        "2020", {"patternProperties": {"^x-": {}}, "additionalProperties": False}, {"y": 1},
        "additionalProperties", ('["y"]', '["^x-"]'),
    ),
    "allOf": ("2020", {"allOf": [_STRING]}, 1, "type", ("1",)),
    "anyOf": ("2020", {"anyOf": [_STRING, {"type": "boolean"}]}, 1, "anyOf", ("1",)),
    "const": ("2020", {"const": "a"}, "b", "const", ('"b"', '"a"')),
    "contains": ("2020", {"contains": _STRING}, [1], "contains", ("[1]",)),
    "minContains": (
        "2020", {"contains": _STRING, "minContains": 2}, ["a", 1], "minContains", ("2",)
    ),
    "maxContains": (
        "2020", {"contains": _STRING, "maxContains": 1}, ["a", "b"], "maxContains", ("1",)
    ),
    "dependentRequired": (
        "2020", {"dependentRequired": {"a": ["b"]}}, {"a": 1}, "dependentRequired",
        ('["b"]', '"a"'),
    ),
    "dependentSchemas": (
        "2020", {"dependentSchemas": {"a": {"required": ["b"]}}}, {"a": 1}, "required", ('["b"]',)
    ),
    "enum": ("2020", {"enum": ["a", "b"]}, "c", "enum", ('"c"', '["a", "b"]')),
    "exclusiveMaximum": ("2020", {"exclusiveMaximum": 5}, 5, "exclusiveMaximum", ("5",)),
    "exclusiveMinimum": ("2020", {"exclusiveMinimum": 5}, 5, "exclusiveMinimum", ("5",)),
    "format": ("2020", {"format": "date"}, "2026-13-01", "format", ('"2026-13-01"', '"date"')),
    "if": ("2020", {"if": _STRING, "then": {"minLength": 2}}, "a", "minLength", ('"a"', "2")),
    "items": ("2020", {"prefixItems": [{}], "items": False}, [1, 2], "items", ("[1, 2]", "1")),
    "items-schema": ("2020", {"items": _STRING}, [1], "type", ("1",)),
    "maxItems": ("2020", {"maxItems": 1}, [1, 2], "maxItems", ("[1, 2]", "1")),
    "maxLength": ("2020", {"maxLength": 1}, "ab", "maxLength", ('"ab"', "1")),
    "maxProperties": ("2020", {"maxProperties": 1}, {"a": 1, "b": 2}, "maxProperties", ("1",)),
    "maximum": ("2020", {"maximum": 5}, 6, "maximum", ("6", "5")),
    "minItems": ("2020", {"minItems": 2}, [1], "minItems", ("[1]", "2")),
    "minLength": ("2020", {"minLength": 2}, "a", "minLength", ('"a"', "2")),
    "minProperties": ("2020", {"minProperties": 2}, {"a": 1}, "minProperties", ("2",)),
    "minimum": ("2020", {"minimum": 5}, 4, "minimum", ("4", "5")),
    "multipleOf": ("2020", {"multipleOf": 3}, 4, "multipleOf", ("4", "3")),
    "not": ("2020", {"not": _STRING}, "a", "not", ('"a"',)),
    "oneOf": ("2020", {"oneOf": [_STRING, {"minLength": 1}]}, "a", "oneOf", ('"a"',)),
    "pattern": ("2020", {"pattern": "^a"}, "b", "pattern", ('"b"', '"^a"')),
    "patternProperties": (
        "2020", {"patternProperties": {"^a": _STRING}}, {"ab": 1}, "type", ("1",)
    ),
    "prefixItems": ("2020", {"prefixItems": [_STRING]}, [1], "type", ("1",)),
    "properties": ("2020", {"properties": {"a": _STRING}}, {"a": 1}, "type", ("1",)),
    "propertyNames": (
        "2020", {"propertyNames": {"pattern": "^[a-z]+$"}}, {"A": 1}, "pattern", ('"A"',)
    ),
    "required": ("2020", {"required": ["a"]}, {}, "required", ('["a"]',)),
    "type": ("2020", {"type": "string"}, 1, "type", ("1", '"string"')),
    "unevaluatedItems": (
        "2020", {"prefixItems": [{}], "unevaluatedItems": False}, [1, 2], "unevaluatedItems",
        ("[2]",),
    ),
    "unevaluatedProperties": (
        "2020", {"properties": {"a": {}}, "unevaluatedProperties": False}, {"a": 1, "b": 2},
        "unevaluatedProperties", ('["b"]',),
    ),
    "unevaluatedProperties-schema": (
        "2020", {"unevaluatedProperties": _STRING}, {"b": 1}, "unevaluatedProperties", ('["b"]',)
    ),
    "uniqueItems": ("2020", {"uniqueItems": True}, [1, 1], "uniqueItems", ("[1, 1]",)),
    "false": ("2020", {"properties": {"a": False}}, {"a": 1}, None, ("1",)),
    # draft-07
    "additionalItems": (
        "7", {"items": [{}], "additionalItems": False}, [1, 2], "additionalItems", ("1",)
    ),
    "dependencies": (
        "7", {"dependencies": {"a": ["b"]}}, {"a": 1}, "dependencies", ('["b"]', '"a"')
    ),
    "dependencies-schema": (
        "7", {"dependencies": {"a": {"required": ["b"]}}}, {"a": 1}, "required", ('["b"]',)
    ),
    "items-7": ("7", {"items": [_STRING]}, [1], "type", ("1",)),
    "contains-7": ("7", {"contains": _STRING}, [1], "contains", ("[1]",)),
}  # fmt: skip


def _errors(draft: str, schema: dict[str, Any], instance: Any) -> list[ValidationError]:
    kind = Draft202012Validator if draft == "2020" else Draft7Validator
    validator = kind(schema, format_checker=kind.FORMAT_CHECKER)
    return list(validator.iter_errors(instance))


def test_every_keyword_of_both_drafts_has_a_case() -> None:
    keywords = set(Draft202012Validator.VALIDATORS) | set(Draft7Validator.VALIDATORS)
    covered = {name.split("-")[0].split("+")[0] for name in CASES}
    assert keywords - covered == set()


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("gettext", [ES, JA], ids=["es", "ja"])
def test_each_check_is_said_with_its_values(case: str, gettext: Any) -> None:
    draft, schema, instance, check, values = CASES[case]
    (error,) = _errors(draft, schema, instance)
    assert error.validator == check
    said = reason(error)
    assert str(said) == error.message  # the record: jsonschema's English
    assert isinstance(said, SchemaReason)
    assert gettext(said.msgid) != said.msgid, f"no translated sentence for {check}"
    translated = say(said, gettext, labels=False)
    assert translated != error.message
    assert "%(" not in translated
    for value in values:
        assert value in translated, f"{value} not in {translated!r}"


def test_a_refused_property_name_is_named_as_such() -> None:
    draft, schema, instance, _, _ = CASES["propertyNames"]
    (error,) = _errors(draft, schema, instance)
    assert say(reason(error), ES, labels=False) == (
        'se rechaza el nombre de propiedad "A": "A" no coincide con el patrón "^[a-z]+$"'
    )
