"""pydantic's own refusals (those no validator of ours wrote: "Field required", "Input should
be a valid integer") as sentences of the hub's catalog, by pydantic's error *type*, with the
numbers of the error's context (``max_length``, ``gt``...).

The machine fields of an answer (``type``, ``loc``, ``field``) are never touched: only the
sentence a person reads is said in their language. In English the API keeps pydantic's own
words, as before; pages say the plainer English sentence of the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from accord.errors import N_, Message

_URL = N_("not a web address (https://...)")
_WHOLE = N_("write a whole number")
_NUMBER = N_("write a number")
_YES_NO = N_("answer yes or no")
_DATE = N_("write a date (2026-12-31)")
_MOMENT = N_("write a date and time (2026-12-31T16:00:00Z)")
_CHOICE = N_("choose one of: %(expected)s")
_OBJECT = N_("give an object of named fields")

# A type missing here is said as pydantic wrote it, in English.
REASONS: dict[str, str] = {
    "missing": N_("this field is required"),
    "extra_forbidden": N_("this field is not expected here"),
    "string_type": N_("write text here"),
    "string_too_short": N_("write at least %(min_length)s characters"),
    "string_too_long": N_("write at most %(max_length)s characters"),
    "string_pattern_mismatch": N_("this is not in the expected form"),
    "too_short": N_("give at least %(min_length)s"),
    "too_long": N_("give at most %(max_length)s"),
    "url_parsing": _URL,
    "url_scheme": _URL,
    "url_syntax_violation": _URL,
    "url_type": _URL,
    "url_too_long": N_("this address is too long (at most %(max_length)s characters)"),
    "literal_error": _CHOICE,
    "enum": _CHOICE,
    "int_parsing": _WHOLE,
    "int_type": _WHOLE,
    "int_from_float": _WHOLE,
    "float_parsing": _NUMBER,
    "float_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "finite_number": _NUMBER,
    "bool_parsing": _YES_NO,
    "bool_type": _YES_NO,
    "greater_than": N_("must be more than %(gt)s"),
    "greater_than_equal": N_("must be %(ge)s or more"),
    "less_than": N_("must be less than %(lt)s"),
    "less_than_equal": N_("must be %(le)s or less"),
    "multiple_of": N_("must be a multiple of %(multiple_of)s"),
    "date_parsing": _DATE,
    "date_type": _DATE,
    "date_from_datetime_parsing": _DATE,
    "datetime_parsing": _MOMENT,
    "datetime_type": _MOMENT,
    "datetime_from_date_parsing": _MOMENT,
    "timezone_aware": N_("give the time zone too (Z or +01:00)"),
    "list_type": N_("give a list"),
    "dict_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "json_invalid": N_("not valid JSON"),
    "json_type": N_("not valid JSON"),
    "uuid_parsing": N_("not a UUID"),
    "uuid_type": N_("not a UUID"),
    "union_tag_invalid": N_("not one of the kinds expected: %(expected_tags)s"),
    "union_tag_not_found": N_("say which kind it is (%(discriminator)s)"),
}


class Problem(Message):
    """pydantic's refusal of one field: in English the words pydantic wrote, as the API
    always said them; through a catalog the sentence of its type with the same numbers."""

    kind: str

    def __new__(cls, kind: str, english: str, values: Mapping[str, object]) -> Problem:
        made = str.__new__(cls, english)
        made.msgid, made.params, made.kind = REASONS[kind], dict(values), kind
        return made

    def translated(self, gettext: Callable[[str], str]) -> str:
        try:
            return gettext(self.msgid) % self.params
        except (KeyError, ValueError, TypeError):  # a number the sentence names is missing
            return str(self)


def _values(context: Mapping[str, Any]) -> dict[str, object]:
    # pydantic writes choices in English ("'a', 'b' or 'c'"); a list reads in any language.
    return {
        name: str(value).replace(" or ", ", ") if name.startswith("expected") else value
        for name, value in context.items()
        if name != "error"
    }


def problem_of(error: Mapping[str, Any]) -> Problem | None:
    """The sentence of one pydantic error by its type, or None for a type not listed."""
    kind = str(error.get("type", ""))
    if kind not in REASONS:
        return None
    return Problem(kind, str(error.get("msg", "invalid")), _values(error.get("ctx") or {}))
