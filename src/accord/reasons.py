"""pydantic's own refusals (those no validator of ours wrote: "Field required", "Input should
be a valid integer") as sentences of the hub's catalog, by pydantic's error *type*, with the
numbers of the error's context (``max_length``, ``gt``...).

The machine fields of an answer (``type``, ``loc``, ``field``) are never touched: only the
sentence a person reads is said in their language. In English the API keeps pydantic's own
words, as before; pages say the plainer English sentence of the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.errors import N_, Message
from accord.parse_details import DETAILED, KEPT_AS_WRITTEN, detail_of

_URL = N_("not a web address (https://...)")
_WHOLE = N_("write a whole number")
_NUMBER = N_("write a number")
_YES_NO = N_("answer yes or no")
_DATE = N_("write a date (2026-12-31)")
_MOMENT = N_("write a date and time (2026-12-31T16:00:00Z)")
_TIME = N_("write a time (16:00:00)")
_CHOICE = N_("choose one of: %(expected)s")
_OBJECT = N_("give an object of named fields")
_LIST = N_("give a list")
_TEXT = N_("write text here")
_JSON = N_("not valid JSON")
_UUID = N_("not a UUID")
_REQUIRED = N_("this field is required")
_UNEXPECTED = N_("this field is not expected here")
_FROZEN = N_("this field cannot be changed")
_NESTED = N_("this nests too deeply")
_PAST = N_("must be in the past")
_FUTURE = N_("must be in the future")
_DURATION = N_("write a duration (P3DT4H)")
_FRACTION = N_("write a fraction (3/4)")
_COMPLEX = N_("write a complex number (1+2j)")
_IP_INTERFACE = N_("not an IP address with its prefix length (192.0.2.1/24)")
# A value of a kind no form or API body of the hub takes (a Python object, a callable):
# only a bug of ours reaches these, said plainly all the same.
_REFUSED = N_("this value is not accepted here")

# The validators' own words (``Value error, ...``): said by ``errors.Reason`` in the
# reader's language, never replaced by a sentence of their type.
OWN_WORDS = frozenset({"value_error", "assertion_error"})

# Every type pydantic-core can raise (``list_all_errors()``; a test walks it) and pydantic's
# own network types (``ip_v4_address``...). A type missing here is said as pydantic wrote it.
REASONS: dict[str, str] = {
    # presence and shape
    "missing": _REQUIRED,
    "missing_argument": _REQUIRED,
    "missing_keyword_only_argument": _REQUIRED,
    "missing_positional_only_argument": _REQUIRED,
    "extra_forbidden": _UNEXPECTED,
    "no_such_attribute": _UNEXPECTED,
    "unexpected_keyword_argument": _UNEXPECTED,
    "unexpected_positional_argument": _UNEXPECTED,
    "multiple_argument_values": N_("this field is given more than once"),
    "frozen_field": _FROZEN,
    "frozen_instance": _FROZEN,
    "invalid_key": N_("field names must be text"),
    "none_required": N_("leave this empty"),
    "recursion_loop": _NESTED,
    "recursion_depth_exceeded": _NESTED,
    "json_invalid": N_("not valid JSON (%(error)s)"),  # where it went wrong, as pydantic says
    "json_type": _JSON,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "dataclass_type": _OBJECT,
    "dataclass_exact_type": _OBJECT,
    "dict_type": _OBJECT,
    "frozen_dict_type": _OBJECT,
    "ordered_dict_type": _OBJECT,
    "counter_type": _OBJECT,
    "mapping_type": _OBJECT,
    "list_type": _LIST,
    "tuple_type": _LIST,
    "named_tuple_type": _LIST,
    "deque_type": _LIST,
    "set_type": _LIST,
    "frozen_set_type": _LIST,
    "iterable_type": _LIST,
    "set_item_not_hashable": N_("an item of this list cannot be a list or an object"),
    "too_short": N_("give at least %(min_length)s"),
    "too_long": N_("give at most %(max_length)s"),
    # text and bytes
    "string_type": _TEXT,
    "string_unicode": _TEXT,
    "bytes_type": _TEXT,
    "string_too_short": N_("write at least %(min_length)s characters"),
    "string_too_long": N_("write at most %(max_length)s characters"),
    "string_pattern_mismatch": N_("this is not in the expected form (%(pattern)s)"),
    "string_not_ascii": N_("use only unaccented Latin letters, digits and signs (ASCII)"),
    "bytes_too_short": N_("give at least %(min_length)s bytes"),
    "bytes_too_long": N_("give at most %(max_length)s bytes"),
    "bytes_invalid_encoding": N_("not valid %(encoding)s (%(encoding_error)s)"),
    "literal_error": _CHOICE,
    "enum": _CHOICE,
    # numbers
    "int_parsing": _WHOLE,
    "int_type": _WHOLE,
    "int_from_float": _WHOLE,
    "int_parsing_size": N_("this number is too large"),
    "float_parsing": _NUMBER,
    "float_type": _NUMBER,
    "finite_number": N_("write a finite number"),
    "decimal_parsing": _NUMBER,
    "decimal_type": _NUMBER,
    "decimal_max_digits": N_("write at most %(max_digits)s digits"),
    "decimal_max_places": N_("write at most %(decimal_places)s digits after the decimal point"),
    "decimal_whole_digits": N_("write at most %(whole_digits)s digits before the decimal point"),
    "fraction_type": _FRACTION,
    "fraction_parsing": _FRACTION,
    "complex_type": _COMPLEX,
    "complex_str_parsing": _COMPLEX,
    "bool_parsing": _YES_NO,
    "bool_type": _YES_NO,
    "greater_than": N_("must be more than %(gt)s"),
    "greater_than_equal": N_("must be %(ge)s or more"),
    "less_than": N_("must be less than %(lt)s"),
    "less_than_equal": N_("must be %(le)s or less"),
    "multiple_of": N_("must be a multiple of %(multiple_of)s"),
    # moments
    "date_parsing": _DATE,
    "date_type": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": N_("write a date without a time (2026-12-31)"),
    "date_past": _PAST,
    "date_future": _FUTURE,
    "time_type": _TIME,
    "time_parsing": _TIME,
    "datetime_parsing": _MOMENT,
    "datetime_type": _MOMENT,
    "datetime_from_date_parsing": _MOMENT,
    "datetime_object_invalid": _MOMENT,
    "datetime_past": _PAST,
    "datetime_future": _FUTURE,
    "timezone_aware": N_("give the time zone too (Z or +01:00)"),
    "timezone_naive": N_("leave out the time zone"),
    "timezone_offset": N_(
        "the time zone must be %(tz_expected)s seconds from UTC, not %(tz_actual)s"
    ),
    "time_delta_type": _DURATION,
    "time_delta_parsing": _DURATION,
    # addresses and identifiers
    "url_parsing": _URL,
    "url_syntax_violation": _URL,
    "url_type": _URL,
    "url_scheme": N_("the address must start with one of: %(expected_schemes)s"),
    "url_too_long": N_("this address is too long (at most %(max_length)s characters)"),
    "uuid_parsing": _UUID,
    "uuid_type": _UUID,
    "uuid_version": N_("give a version %(expected_version)s UUID"),
    "ip_any_address": N_("not an IP address (192.0.2.1 or 2001:db8::1)"),
    "ip_v4_address": N_("not an IPv4 address (192.0.2.1)"),
    "ip_v6_address": N_("not an IPv6 address (2001:db8::1)"),
    "ip_any_network": N_("not an IP network (192.0.2.0/24 or 2001:db8::/32)"),
    "ip_v4_network": N_("not an IPv4 network (192.0.2.0/24)"),
    "ip_v6_network": N_("not an IPv6 network (2001:db8::/32)"),
    "ip_any_interface": _IP_INTERFACE,
    "ip_v4_interface": _IP_INTERFACE,
    "ip_v6_interface": _IP_INTERFACE,
    "union_tag_invalid": N_("%(tag)s is not one of the kinds expected: %(expected_tags)s"),
    "union_tag_not_found": N_("say which kind it is (%(discriminator)s)"),
    # only a bug of ours: a value of a kind no body or form takes
    "needs_python_object": _REFUSED,
    "get_attribute_error": _REFUSED,
    "iteration_error": _REFUSED,
    "default_factory_not_called": _REFUSED,
    "is_instance_of": _REFUSED,
    "is_subclass_of": _REFUSED,
    "callable_type": _REFUSED,
    "arguments_type": _REFUSED,
    "missing_sentinel_error": _REFUSED,
    "ellipsis_error": _REFUSED,
}


class Problem(Message):
    """pydantic's refusal of one field: in English the words pydantic wrote, as the API
    always said them; through a catalog the sentence of its type with the same numbers.

    A date, time, duration, URL or UUID pydantic could not read comes with its English
    detail (``error``, or ``detail`` as a form keeps it): said by its sentence of
    ``accord.parse_details`` after the type's, or, not listed there, left out."""

    kind: str

    def __new__(cls, kind: str, english: str, values: Mapping[str, object]) -> Problem:
        made = str.__new__(cls, english)
        params = dict(values)
        made.msgid, made.kind = REASONS[kind], kind
        if kind in DETAILED:
            raw = params.pop("detail", params.pop("error", None))
            found = detail_of(raw)
            if found is not None:
                made.msgid, params["error"] = DETAILED[kind], found
            elif kind in KEPT_AS_WRITTEN and raw is not None:
                params["error"] = raw
        made.params = params
        return made


# Types whose context's ``error`` is pydantic's detail of what it could not read, which
# ``Problem`` says by a sentence of ``accord.parse_details`` (JSON's, not listed there, as
# written: "EOF while parsing a value at line 1 column 5").
_DETAILED = frozenset(DETAILED)


def values_of(kind: str, context: Mapping[str, Any]) -> dict[str, object]:
    """The values of a pydantic error's context that its sentence names: choices as a list
    (pydantic writes "'a', 'b' or 'c'" in English; a list reads in any language)."""
    return {
        name: str(value).replace(" or ", ", ") if name.startswith("expected") else value
        for name, value in context.items()
        if name != "error" or kind in _DETAILED
    }


def problem_of(error: Mapping[str, Any]) -> Problem | None:
    """The sentence of one pydantic error by its type, or None for a type not listed."""
    kind = str(error.get("type", ""))
    if kind not in REASONS:  # OWN_WORDS too: the validator's sentence, kept
        return None
    context = error.get("ctx") or {}
    return Problem(kind, str(error.get("msg", "invalid")), values_of(kind, context))
