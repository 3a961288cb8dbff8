"""What a failed JSON Schema check says, as a sentence of the hub's catalog with its values.

One sentence per keyword jsonschema raises an error for, in Draft 2020-12 (the OSV and CSAF
schemas) and draft-07 (``additionalItems``, ``dependencies``): the offending value and the
check's own value (a pattern, a type, a bound) as they are written in JSON. Keywords that only
apply a subschema (``$ref``, ``allOf``, ``if``/``then``/``else``, ``properties``,
``patternProperties``, ``prefixItems``, ``items`` as a schema, ``dependentSchemas``) raise
nothing themselves: the failed check inside them is said. ``propertyNames`` says which name
broke that inner check. jsonschema's English words stay the record (:class:`SchemaReason`).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from accord.errors import N_, Message

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

SENTENCES: dict[str, str] = {
    "pattern": N_("%(value)s does not match the pattern %(expected)s"),
    "type": N_("%(value)s is not of type %(expected)s"),
    "enum": N_("%(value)s is not one of %(expected)s"),
    "const": N_("%(value)s is not %(expected)s"),
    "required": N_("a required property is missing: %(expected)s"),
    "minLength": N_("%(value)s is shorter than %(expected)s characters"),
    "maxLength": N_("%(value)s is longer than %(expected)s characters"),
    "minItems": N_("%(value)s has fewer than %(expected)s items"),
    "maxItems": N_("%(value)s has more than %(expected)s items"),
    "additionalProperties": N_("a property is not allowed here: %(value)s"),
    "format": N_("%(value)s is not a valid %(expected)s"),
    "anyOf": N_("%(value)s matches none of the forms allowed here"),
    "oneOf": N_("%(value)s does not match exactly one of the forms allowed here"),
    "not": N_("%(value)s is of a form not allowed here"),
    "contains": N_("%(value)s does not contain an item of the form required"),
    "uniqueItems": N_("%(value)s has items that repeat"),
    # numbers
    "minimum": N_("%(value)s is less than the minimum, %(expected)s"),
    "maximum": N_("%(value)s is more than the maximum, %(expected)s"),
    "exclusiveMinimum": N_("%(value)s must be more than %(expected)s"),
    "exclusiveMaximum": N_("%(value)s must be less than %(expected)s"),
    "multipleOf": N_("%(value)s is not a multiple of %(expected)s"),
    # objects
    "minProperties": N_("%(value)s has fewer than %(expected)s properties"),
    "maxProperties": N_("%(value)s has more than %(expected)s properties"),
    "dependentRequired": N_("%(expected)s is required when %(present)s is given"),
    "dependencies": N_("%(expected)s is required when %(present)s is given"),
    "unevaluatedProperties": N_("a property is not allowed here: %(value)s"),
    # arrays
    "items": N_("%(value)s has more than the %(expected)s items allowed"),
    "additionalItems": N_("%(value)s has more than the %(expected)s items allowed"),
    "unevaluatedItems": N_("items are not allowed here: %(value)s"),
    "minContains": N_("%(value)s has fewer than %(expected)s items of the form required"),
    "maxContains": N_("%(value)s has more than %(expected)s items of the form required"),
}

# The cases of one keyword that mean another thing.
_UNMATCHED_NAMES = N_("a property is not allowed here: %(value)s (names must match %(expected)s)")
_INVALID_OTHERS = N_("a property is not of the form allowed here: %(value)s")
_FALSE = N_("%(value)s is not allowed here")
_NAME = N_("the property name %(name)s is refused: %(reason)s")

_LISTED = re.compile(r"\((?P<names>.*) (?:was|were) (?:unexpected|unevaluated and invalid)\)$")


def json_text(value: Any) -> str:
    """``value`` as JSON, cut at 120 characters."""
    written = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return written if len(written) <= 120 else written[:117] + "..."


def _listed(message: str) -> list[str]:
    """The names jsonschema lists in "(... 'a', 'b' were unexpected)"."""
    found = _LISTED.search(message)
    return re.findall(r"'((?:[^'\\]|\\.)*)'", found["names"]) if found else []


def sentence(error: ValidationError) -> tuple[str | None, dict[str, object]]:
    """The catalog's sentence of ``error``'s check and its values (None: none for it)."""
    kind = error.validator
    value: Any = error.instance
    expected: Any = error.validator_value
    schema = error.schema if isinstance(error.schema, dict) else {}
    if kind is None:  # the schema ``false``
        return _FALSE, {"value": json_text(value)}
    kind = str(kind)
    if kind not in SENTENCES:
        return None, {}
    if kind == "required" and isinstance(value, dict):
        expected = [name for name in expected if name not in value] or expected
    elif kind == "additionalProperties" and isinstance(value, dict):
        allowed = schema.get("properties", {})
        patterns = sorted(schema.get("patternProperties", {}))
        value = [
            n for n in value if n not in allowed and not any(re.search(p, n) for p in patterns)
        ]
        if patterns:
            return _UNMATCHED_NAMES, {"value": json_text(value), "expected": json_text(patterns)}
    elif kind in ("dependentRequired", "dependencies") and isinstance(value, dict):
        for present, needed in expected.items():
            missing = [name for name in needed if name not in value] if present in value else []
            if isinstance(needed, list) and missing:
                return SENTENCES[kind], {
                    "expected": json_text(missing),
                    "present": json_text(present),
                }
    elif kind == "unevaluatedProperties":
        names = _listed(error.message) or value
        if expected is not False:
            return _INVALID_OTHERS, {"value": json_text(names)}
        value = names
    elif kind == "unevaluatedItems":
        found = _LISTED.search(error.message)  # the items as jsonschema lists them
        if found is not None:
            return SENTENCES[kind], {"value": f"[{found['names']}]"}
    elif kind in ("items", "additionalItems"):
        before = schema.get("prefixItems" if kind == "items" else "items", [])
        expected = len(before) if isinstance(before, list) else 0
    return SENTENCES[kind], {"value": json_text(value), "expected": json_text(expected)}


def reason(error: ValidationError) -> str:
    """What is wrong with the value ``error`` is about: jsonschema's words in English, the
    sentence of its check in another language; a property's name refused by
    ``propertyNames`` is named as such."""
    english = error.message if len(error.message) <= 300 else error.message[:297] + "..."
    said = SchemaReason(english, *sentence(error))
    if "propertyNames" in list(error.absolute_schema_path):
        return SchemaReason(english, _NAME, {"name": json_text(error.instance), "reason": said})
    return said


class SchemaReason(Message):
    """What is wrong with a value: in English jsonschema's words, as the importer always
    wrote them; through a catalog the sentence of its check with the same values."""

    def __new__(cls, english: str, msgid: str | None, values: dict[str, object]) -> SchemaReason:
        made = str.__new__(cls, english)
        made.msgid, made.params = (msgid, values) if msgid else (english, {})
        return made
