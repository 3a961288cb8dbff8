"""pydantic's free-text detail of a date, time, duration, URL, UUID or JSON text it could not
read, as a sentence of the hub's catalog with its values.

pydantic-core writes what went wrong in English in the error's context (``ctx["error"]``):
speedate's documentation of its ``ParseError`` ("input is too short", "month value is outside
expected range of 1-12"), the ``url`` crate's ``ParseError`` and ``SyntaxViolation`` ("relative
URL without a base", "expected //"), the ``uuid`` crate's errors ("invalid group count:
expected 5, found 4"), jiter's JSON errors ("EOF while parsing a value at line 1 column 5")
and a few of pydantic-core's own ("NaN values not permitted"). Each known text has
a sentence here, its numbers and characters kept; a text not listed (a later pydantic-core's
new wording) is left out, and the reader gets the plain sentence of the error's type
(``accord.reasons``), never English free text; JSON's alone keeps it as written, since the
position it names is what the reader needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from accord.errors import N_, Message

# The error types whose context carries such a detail, with the sentence that says the type
# and then the detail (``%(error)s``: one of the sentences below, in the same language).
DETAILED: dict[str, str] = {
    "date_parsing": N_("write a date (2026-12-31): %(error)s"),
    "date_from_datetime_parsing": N_("write a date (2026-12-31): %(error)s"),
    "time_parsing": N_("write a time (16:00:00): %(error)s"),
    "datetime_parsing": N_("write a date and time (2026-12-31T16:00:00Z): %(error)s"),
    "datetime_from_date_parsing": N_("write a date and time (2026-12-31T16:00:00Z): %(error)s"),
    "time_delta_parsing": N_("write a duration (P3DT4H): %(error)s"),
    "url_parsing": N_("not a web address (https://...): %(error)s"),
    "url_syntax_violation": N_("not a web address (https://...): %(error)s"),
    "uuid_parsing": N_("not a UUID: %(error)s"),
    "json_invalid": N_("not valid JSON: %(error)s"),
}
# Types whose detail, not listed here, is still said as pydantic wrote it (JSON's position
# is worth more than the type's plain sentence); the others fall back to that sentence.
KEPT_AS_WRITTEN = frozenset({"json_invalid"})

# Exact texts: speedate (``ParseError``'s documentation, this version's and earlier ones'),
# pydantic-core's own, and the url crate's.
_EXACT: dict[str, str] = {
    # speedate: dates, times, date-times
    "input is too short": N_("it is too short"),
    "unexpected extra characters at the end of the input": N_(
        "there are extra characters at the end"
    ),
    "invalid datetime separator, expected `T`, `t`, `_` or space": N_(
        "separate the date from the time with T or a space"
    ),
    "invalid date separator, expected `-`": N_("separate the year, month and day with -"),
    "Timestamp is not an exact date": N_("the timestamp is not an exact date"),
    "invalid character in year": N_("the year must be written in digits"),
    "invalid character in month": N_("the month must be written in digits"),
    "invalid character in day": N_("the day must be written in digits"),
    "invalid time separator, expected `:`": N_("separate the hours, minutes and seconds with :"),
    "invalid character in hour": N_("the hour must be written in digits"),
    "invalid character in minute": N_("the minutes must be written in digits"),
    "invalid character in second": N_("the seconds must be written in digits"),
    "invalid character in second fraction": N_(
        "the fraction of a second must be written in digits"
    ),
    "invalid timezone sign": N_("the time zone must be Z or start with + or -"),
    "invalid timezone hour": N_("the time zone's hours must be written in digits"),
    "invalid timezone minute": N_("the time zone's minutes must be written in digits"),
    "timezone minute value is outside expected range of 0-59": N_(
        "the time zone's minutes must be from 0 to 59"
    ),
    "timezone offset must be less than 24 hours": N_(
        "the time zone must be less than 24 hours from UTC"
    ),
    "timezone is required to adjust to a new timezone": N_("give the time zone too (Z or +01:00)"),
    "Error getting system time": N_("the hub could not read its clock"),
    "month value is outside expected range of 1-12": N_("the month must be from 1 to 12"),
    "day value is outside expected range": N_("that month has no such day"),
    "hour value is outside expected range of 0-23": N_("the hour must be from 0 to 23"),
    "minute value is outside expected range of 0-59": N_("the minutes must be from 0 to 59"),
    "second value is outside expected range of 0-59": N_("the seconds must be from 0 to 59"),
    "second fraction value is more than 6 digits long": N_(
        "write at most 6 digits after the seconds' decimal point"
    ),
    "second fraction must contain 6 digits of fewer": N_(
        "write at most 6 digits after the seconds' decimal point"
    ),
    "second fraction digits missing after `.`": N_("write digits after the seconds' decimal point"),
    "millisecond fraction value is more than 3 digits long": N_(
        "write at most 3 digits of milliseconds"
    ),
    "numeric times may not exceed 86,399 seconds": N_(
        "a time in seconds may not be more than 86,399"
    ),
    "time in seconds should be positive": N_("a time in seconds may not be negative"),
    "time in seconds must be positive": N_("a time in seconds may not be negative"),
    "NaN values not permitted": N_("NaN is not a number that can be read here"),
    # speedate: durations
    "invalid digit in duration": N_("the duration has a character that is not a digit"),
    "`t` character repeated in duration": N_("T appears more than once in the duration"),
    "quantity fraction invalid in duration": N_("a fraction in the duration is not valid"),
    "quantity invalid in time part of duration": N_(
        "a quantity of the duration's time part is not valid"
    ),
    "quantity invalid in date part of duration": N_(
        "a quantity of the duration's date part is not valid"
    ),
    '"day" identifier in duration not correctly formatted': N_(
        'the word "day" of the duration is not written as expected'
    ),
    "a numeric value in the duration is too large": N_("a number in the duration is too large"),
    "durations may not exceed 999,999,999 hours": N_(
        "a duration may not be longer than 999,999,999 hours"
    ),
    "durations may not exceed 999,999,999 days": N_(
        "a duration may not be longer than 999,999,999 days"
    ),
    # the url crate's ParseError, and pydantic-core's own
    "input is empty": N_("it is empty"),
    "empty host": N_("the host name is missing"),
    "invalid international domain name": N_("the host name is not a valid domain name"),
    "invalid port number": N_("the port number is not valid"),
    "invalid IPv4 address": N_("the IPv4 address is not valid"),
    "invalid IPv6 address": N_("the IPv6 address is not valid"),
    "invalid domain character": N_("the host name has a character that is not allowed"),
    "relative URL without a base": N_("it does not start with a scheme such as https://"),
    "relative URL with a cannot-be-a-base base": N_(
        "a relative address cannot be read against the address given as its base"
    ),
    "a cannot-be-a-base URL doesn\u2019t have a host to set": N_(
        "an address of this kind has no host name"
    ),
    "a cannot-be-a-base URL doesn't have a host to set": N_(
        "an address of this kind has no host name"
    ),
    "URLs more than 4 GB are not supported": N_("the address is longer than 4 GB"),
    # the url crate's SyntaxViolation (strict URLs)
    "backslash": N_("it has a backslash (\\) where a slash (/) belongs"),
    "leading or trailing control or space character are ignored in URLs": N_(
        "it starts or ends with a space or a control character"
    ),
    "embedding authentication information (username or password) in an URL is not recommended": N_(
        "it carries a user name or a password"
    ),
    "expected //": N_("write // after the scheme"),
    "expected // after file:": N_("write // after file:"),
    "file: with host and Windows drive letter": N_(
        "a file: address has both a host and a Windows drive letter"
    ),
    "non-URL code point": N_("it has a character that a web address cannot hold"),
    "NULL characters are ignored in URL fragment identifiers": N_(
        "the part after # has a NUL character"
    ),
    "expected 2 hex digits after %": N_("write two hexadecimal digits after a percent sign"),
    "tabs or newlines are ignored in URLs": N_("it has a tab or a line break"),
    "unencoded @ sign in username or password": N_(
        "the user name or password has an @ that is not encoded"
    ),
    # the uuid crate
    "non-UTF8 input": N_("it is not valid UTF-8"),
    "the UUID is nil": N_("the UUID is nil (all zeros)"),
}

# jiter's JSON errors, each followed by " at line N column M".
_JSON: dict[str, str] = {
    "EOF while parsing a list": N_("the text ends inside a list"),
    "EOF while parsing an object": N_("the text ends inside an object"),
    "EOF while parsing a string": N_("the text ends inside a string"),
    "EOF while parsing a value": N_("the text ends where a value was expected"),
    "expected `:`": N_("a colon (:) is expected"),
    "expected `,` or `]`": N_("a comma or ] is expected"),
    "expected `,` or `}`": N_("a comma or } is expected"),
    "expected ident": N_("true, false or null is expected"),
    "expected value": N_("a value is expected"),
    'expected `"`': N_('a double quote (") is expected'),
    "invalid escape": N_("a backslash escape is not valid"),
    "invalid number": N_("a number is not valid"),
    "number out of range": N_("a number is too large"),
    "invalid unicode code point": N_("a \\u escape is not a valid character"),
    "control character (\\u0000-\\u001F) found while parsing a string": N_(
        "a string holds a control character"
    ),
    "key must be a string": N_("a key must be a string in double quotes"),
    "invalid value: expected key to be a number in quotes": N_(
        "a key must be a number in double quotes"
    ),
    "float key must be finite (got NaN or +/-inf)": N_("a key must be a finite number"),
    "lone leading surrogate in hex escape": N_("a \\u escape is half of a surrogate pair"),
    "trailing comma": N_("a comma comes just before the end of a list or an object"),
    "trailing characters": N_("more text follows the JSON value"),
    "unexpected end of hex escape": N_("a \\u escape ends too early"),
    "recursion limit exceeded": N_("it nests too deeply"),
}
_JSON_AT = re.compile(r"(?P<what>.+) at line (?P<line>\d+) column (?P<column>\d+)")
_POSITION = N_("line %(line)s, column %(column)s: %(problem)s")

_CHARACTER = N_("%(character)s, character %(position)s, is not a hexadecimal digit or a hyphen")
_LENGTH = N_("a UUID has 32 hexadecimal digits, not %(length)s")

# Texts with values: (pattern, sentence). A group named ``index0`` counts from 0 (the uuid
# crate's current texts) and is said as ``position``, counted from 1 as a reader counts.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), sentence)
    for pattern, sentence in (
        # speedate's timestamps (the year changed between versions)
        (
            r"dates before (?P<year>\d+) are not supported as unix timestamps",
            N_("a timestamp may not be of a date before the year %(year)s"),
        ),
        (
            r"dates after (?P<year>\d+) are not supported as unix timestamps",
            N_("a timestamp may not be of a date after the year %(year)s"),
        ),
        (r"years before (?P<year>\d+) are not supported", N_("write a year from %(year)s on")),
        # Python's own date, which pydantic-core builds: "year 0 is out of range"
        (r"year (?P<year>-?\d+) is out of range", N_("there is no year %(year)s")),
        # the uuid crate, current texts and earlier ones
        (r"invalid character: found `(?P<character>.+)` at (?P<index0>\d+)", _CHARACTER),
        (
            r"invalid character: expected an optional prefix of `urn:uuid:` followed by "
            r"\[0-9a-fA-F-\], found `(?P<character>.+)` at (?P<position>\d+)",
            _CHARACTER,
        ),
        (r"invalid length: found (?P<length>\d+)", _LENGTH),
        (r"invalid length: expected length 32 for simple format, found (?P<length>\d+)", _LENGTH),
        (
            r"invalid length: expected 16 bytes, found (?P<length>\d+)",
            N_("a UUID is 16 bytes long, not %(length)s"),
        ),
        (
            r"invalid group count: expected 5, found (?P<count>\d+)",
            N_("a UUID has 5 groups of digits separated by hyphens, not %(count)s"),
        ),
        (
            r"invalid group length in group (?P<group0>\d+): expected (?P<expected>\d+), "
            r"found (?P<length>\d+)",
            N_("group %(group)s of the UUID must have %(expected)s digits, not %(length)s"),
        ),
    )
)

# pydantic's sentence before the detail, where a validator re-raised it as its own message
# ("Input should be a valid URL, relative URL without a base").
_PREFIXES = re.compile(
    r"^(?:Input should be a valid URL|Input violated strict URL syntax rules"
    r"|Input should be a valid (?:date|datetime|UUID|timedelta)(?: or (?:date|datetime))?"
    r"(?: in the format YYYY-MM-DD)?|Input should be in a valid time format), "
)


def detail_of(text: object) -> Message | None:
    """The catalog's sentence of pydantic's detail ``text``, with its values; None for a
    text not listed."""
    if not isinstance(text, str):
        return None
    text = _PREFIXES.sub("", text.strip(), count=1)
    if text in _EXACT:
        return Message(_EXACT[text])
    at = _JSON_AT.fullmatch(text)
    if at is not None and at["what"] in _JSON:
        problem = Message(_JSON[at["what"]])
        return Message(_POSITION, line=at["line"], column=at["column"], problem=problem)
    for pattern, sentence in _PATTERNS:
        found = pattern.fullmatch(text)
        if found is not None:
            return Message(sentence, **_counted(found.groupdict()))
    return None


def _counted(groups: Mapping[str, str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, value in groups.items():
        if name == "index0":
            values["position"] = int(value) + 1
        elif name == "group0":
            values["group"] = int(value) + 1
        else:
            values[name] = value
    return values


def sentences() -> tuple[str, ...]:
    """Every detail sentence (the tests hold each to a translation)."""
    patterns = (sentence for _, sentence in _PATTERNS)
    return (*_EXACT.values(), *_JSON.values(), _POSITION, *patterns)
