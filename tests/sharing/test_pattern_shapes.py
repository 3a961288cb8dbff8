"""The one-value fast path of ``patterns.check`` gives what the general path gives.

The fast path (a pattern of one comparison whose value is a plain literal, its shape parsed
once) is a subset: whatever it takes, the general path (skeleton, ANTLR parse of the shape,
literals put back) and stix2-patterns' own validator and inspector must agree with, errors,
comparisons and the look-up observables derived from them; whatever it does not take goes
to the general path unchanged.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from stix2patterns.validator import run_validator

from accord import limits
from accord.sharing import lookup, misp_convert, pattern_hashes, patterns

DATA = Path(__file__).resolve().parent.parent / "data"
NOW = datetime(2026, 1, 1, tzinfo=UTC)

_TYPES = st.sampled_from(
    ["file", "url", "ipv4-addr", "ipv6-addr", "domain-name", "email-addr", "x-a_b", "File",
     "process", "a", "network-traffic", "windows-registry-key", "x509-certificate", ""]
)  # fmt: skip
_PATHS = st.sampled_from(
    ["value", "hashes.'SHA-256'", "hashes.MD5", "hashes.'SHA-1'", "hashes.'SHA-512'",
     "hashes.sha256", "hashes.'SHA3-256'", "hashes.SSDEEP", "hashes.'x'", "hashes.*",
     "hashes[0]", "name", "parent_ref.name", "extensions.'a b'.x", "a.'b'.c", "a .'b'",
     "n_", "hashes.", "value[*]", "x_custom", "'q'", "hashes.'§0'", "hashes.'it\\'s'",
     "hashes.'SHA-256'.x", "1abc", "a-b"]
)  # fmt: skip
_OPERATORS = st.sampled_from(
    ["=", "!=", "==", "<", ">", "<=", ">=", "LIKE", "MATCHES", "IN", "ISSUBSET", "ISSUPERSET",
     "NOT =", "NOT LIKE", "= =", "", "like"]
)  # fmt: skip
_CHARS = st.sampled_from('0123456789abcdefABCDEF .:/-_@[]()§"xz\t\né')
_VALUES = st.one_of(
    st.text(alphabet="0123456789abcdef", min_size=0, max_size=130),
    st.text(alphabet="0123456789ABCDEFabcdefg", min_size=30, max_size=66),
    st.text(alphabet=_CHARS, max_size=24),
    st.sampled_from(["10.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32", "a.example",
                     "A.Example.", "http://A.example/x", "it@a.example", " 1.2.3.4 "]),
)  # fmt: skip
_SPACES = st.sampled_from(["", " ", "  ", "\t", "\n"])
_AROUND = st.sampled_from(
    ["", " WITHIN 5 SECONDS", " REPEATS 2 TIMES", " START t'2020-01-01T00:00:00Z' STOP "
     "t'2020-01-02T00:00:00Z'", " AND [x:y = 1]", " OR [file:name = 'a']", "]", "'", " "]
)  # fmt: skip
_QUOTES = st.sampled_from(["'", "''", "\\'", "t'", "h'", "b'", '"', ""])


@st.composite
def _one_value_patterns(draw: st.DrawFn) -> str:
    """Patterns of the fast path's shape and its near misses (quotes, escapes, qualifiers,
    unknown types, spacing, several comparisons)."""
    kind, path, op, value = draw(_TYPES), draw(_PATHS), draw(_OPERATORS), draw(_VALUES)
    s1, s2, s3, s4 = draw(_SPACES), draw(_SPACES), draw(_SPACES), draw(_SPACES)
    opening = draw(st.sampled_from(["'", "'", "'", "t'", "b'", "h'", "\\'", ""]))
    closing = draw(st.sampled_from(["'", "'", "'", "\\'", "''", ""]))
    pattern = f"[{s1}{kind}:{path}{s2}{op}{s3}{opening}{value}{closing}{s4}]"
    if draw(st.booleans()):
        pattern = draw(st.sampled_from(["(", "((", " "])) + pattern
        pattern += draw(st.sampled_from([")", "))", ""]))
    if draw(st.integers(0, 3)) == 0:
        pattern += draw(_AROUND)
    if draw(st.integers(0, 4)) == 0:
        cut = draw(st.integers(0, len(pattern)))
        pattern = pattern[:cut] + draw(_QUOTES) + pattern[cut:]
    return pattern


def _general(pattern: str) -> patterns.CheckedPattern:
    return patterns._check.__wrapped__(pattern)  # the general path, uncached


def _library(pattern: str) -> tuple[list[str], set[tuple[str, tuple[Any, ...], str, str]]]:
    """stix2-patterns' own verdict and, when valid, its inspector's comparisons."""
    errors = run_validator(pattern, stix_version="2.1")
    if errors:
        return [e.split(". ")[0] for e in errors], set()
    from stix2patterns.v21.pattern import Pattern

    data = Pattern(pattern).inspect()
    return [], {(t, tuple(p), op, v) for t, items in data.comparisons.items() for p, op, v in items}


def _outcome(check: Any, pattern: str) -> Any:
    try:
        return check(pattern)
    except AttributeError as exc:
        # stix2-patterns' hash check fails on a list index after hashes ([file:hashes[0] =
        # h'00'], say), and the general path's full validation with it: the same on both.
        return type(exc)


def _agree(pattern: str) -> None:
    fast, general = _outcome(patterns.check, pattern), _outcome(_general, pattern)
    assert fast == general, pattern
    if fast is AttributeError:
        return
    # A list takes observables_of's loop, a tuple of one its shortcut for one hash: the same.
    found = lookup.observables_of(fast.comparisons)
    assert found == lookup.observables_of(list(general.comparisons)), pattern
    if fast.valid:  # ingest's call: a valid pattern's hashes are not checked again
        assert lookup.observables_of(fast.comparisons, valid=True) == found, pattern
    if not pattern.strip() or limits.pattern_problem(pattern) is not None:
        return  # the hub's own bounds, before the grammar (tests/sharing/test_input_limits.py)
    try:
        errors, comparisons = _library(pattern)
    except AttributeError:
        # The library's hash check fails on a list index after hashes (hashes[0]); the hub's
        # skips it (patterns._hash_problems), on both paths alike.
        return
    # ANTLR's "expecting {...}" tail depends on its warm DFA cache: compared up to it.
    assert [e.split(". ")[0] for e in fast.errors] == errors, pattern
    if not errors:  # an invalid pattern's comparisons are not used (nor listed by the library)
        assert set(fast.comparisons) == comparisons, pattern


@st.composite
def _plain_patterns(draw: st.DrawFn) -> str:
    """The fast path's own shape, most of them taken by it (a plain value, one comparison),
    with at most one near miss."""
    pattern = f"[{draw(_TYPES)}:{draw(_PATHS)} {draw(_OPERATORS)} '{draw(_VALUES)}']"
    if draw(st.integers(0, 2)) == 0:
        cut = draw(st.integers(0, len(pattern)))
        pattern = pattern[:cut] + draw(st.one_of(_QUOTES, _SPACES, _AROUND)) + pattern[cut:]
    return pattern


# Well-formed comparisons of the fast path's shape, their values of every kind: most pass it.
_TAKEN = st.builds(
    "[{}:{} {} '{}']".format,
    st.sampled_from(["file", "url", "ipv4-addr", "ipv6-addr", "domain-name", "x-a_b"]),
    st.sampled_from(["value", "hashes.'SHA-256'", "hashes.MD5", "hashes.'SHA-1'", "name",
                     "hashes.'SHA3-256'", "hashes.SSDEEP", "extensions.'a b'.x", "hashes.*"]),
    st.sampled_from(["=", "!=", "<", ">=", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"]),
    _VALUES,
)  # fmt: skip


@settings(max_examples=2500, deadline=None)
@given(st.one_of(_one_value_patterns(), _plain_patterns(), _TAKEN))
@example("[file:hashes.'SHA-256' = '" + "a" * 64 + "']")
@example("[file:hashes.'SHA-256' = '" + "a" * 63 + "']")  # a bad digest: the hash's error
@example("[file:hashes.MD5 = '" + "A" * 32 + "']")
@example("[file:hashes.'SHA-256' = '" + "a" * 64 + "\n']")  # the library's $: one newline
@example("[file:hashes.'SHA-1' = ' " + "a" * 40 + "']")  # a space: not a valid SHA-1
@example("[file:hashes.'SHA-256' = '" + "g" * 64 + "']")
@example("[ipv4-addr:value = '10.0.0.0/8']")
@example("[ipv4-addr:value = '10.0.0.1' ]")
@example("[ipv4-addr:value = '10.0.0.1'] WITHIN 5 SECONDS")
@example("[url:value = 'it\\'s']")  # an escape: not the fast path's shape
@example("[file:name = '§']")  # the placeholder's character: not the fast path's
@example("[file:hashes.'§0' = 'a']")
@example("[file:name = t'2020-01-01T00:00:00Z']")
@example("[file:size = 'a' OR file:name = 'b']")
@example("[x:y = 'a']")
@example("[File:name = 'a']")
@example("[file:name = 'a'")
@example("file:name = 'a']")
@example("([file:name = 'a'])")
@example("[file:hashes.'SHA-256' = '']")
@example("[" * 40 + "file:name = 'a']")
@example("[file:name = '" + "a" * 2000 + "']")  # past the quick bound: the general path's
def test_the_one_value_path_is_the_general_one(pattern: str) -> None:
    _agree(pattern)


def _misp_patterns() -> list[str]:
    """The patterns of the MISP events in tests/data, converted to STIX as an import does."""
    found: set[str] = set()
    for path in sorted((DATA / "pymisp-events").glob("*.json")):
        try:
            converted = misp_convert.convert(json.loads(path.read_text()), now=NOW)
        except misp_convert.MispInvalid:
            continue
        found.update(
            o["pattern"]
            for o in converted.objects
            if o.get("type") == "indicator" and o.get("pattern_type") == "stix"
        )
    return sorted(found)


def test_the_stored_stix_data_checks_the_same_both_ways() -> None:
    found = _misp_patterns()
    assert len(found) > 20  # the test data's events hold indicators of many kinds
    for pattern in found:
        _agree(pattern)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_one_value_patterns(), _plain_patterns(), _TAKEN), _VALUES)
@example("[file:hashes.'SHA-256' = '" + "a" * 64 + "']", "it's")
@example("[file:hashes.'SHA-256' = '" + "a" * 64 + "']", "a\\b")
@example("[file:hashes.'SHA-256' = '" + "a" * 64 + "']", "§0")
@example("[file:hashes.'SHA-256' = '" + "a" * 64 + "']", "a\n")
@example("[file:name = 'a']", "")
def test_the_one_value_split_is_the_regex_one(pattern: str, other: str) -> None:
    # The split by the last quotes, taken once the text before the value is known, gives the
    # regex's groups, for the pattern and for the same text before another value.
    patterns.check(pattern)  # fills _ONE_SHAPES as ingest does
    found = patterns._ONE_VALUE.fullmatch(pattern)
    head = found[1] if found is not None else pattern[: pattern.rfind("'", 0, len(pattern) - 2)]
    for text in (pattern, f"{head}'{other}']", f"{head}{other}']", f"{head}'{other}'"):
        one = patterns._ONE_VALUE.fullmatch(text)
        assert patterns._one_value(text) == (None if one is None else (one[1], one[2]))


class _Counting:
    """``_ONE_VALUE`` with its full matches counted."""

    def __init__(self) -> None:
        self.regex = patterns._ONE_VALUE
        self.calls = 0

    def fullmatch(self, text: str) -> Any:
        self.calls += 1
        return self.regex.fullmatch(text)


def test_a_known_text_before_the_value_is_not_matched_again(monkeypatch: Any) -> None:
    counting = _Counting()
    monkeypatch.setattr(patterns, "_ONE_VALUE", counting)
    monkeypatch.setattr(patterns, "_ONE_SHAPES", {})  # no shape met yet
    first = patterns.check("[file:hashes.'SHA-256' = '" + "a" * 64 + "']")
    assert counting.calls == 1
    assert first.valid
    # Another indicator of the same shape: the split alone, and the same outcome.
    second = patterns.check("[file:hashes.'SHA-256' = '" + "b" * 64 + "']")
    assert counting.calls == 1
    assert second.valid
    assert second.comparisons[0].value == "'" + "b" * 64 + "'"
    bad = patterns.check("[file:hashes.'SHA-256' = '" + "g" * 64 + "']")
    assert counting.calls == 1
    assert not bad.valid
    # An escape or the placeholder in the value: the regex answers (the general path's).
    patterns.check("[file:hashes.'SHA-256' = 'it\\'s']")
    patterns.check("[file:hashes.'SHA-256' = '§0']")
    assert counting.calls >= 3


_DIGESTS = st.one_of(
    st.text(alphabet="0123456789abcdefABCDEF", max_size=130),
    st.text(alphabet="0123456789abcdefABCDEFgxX_+- \t\n\u0660\u00e9", max_size=70),
    st.sampled_from([d * n + tail for d in "aF0" for n in (32, 40, 56, 64, 96, 128)
                     for tail in ("", "\n", " ", "0", "g")]),
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(_DIGESTS)
@example("0x" + "a" * 62)
@example("+" + "a" * 63)
@example("a" * 63 + "\n")
@example("a" * 64 + "\n")
@example("\u0661" * 64)  # Arabic-Indic digits: not hexadecimal
def test_the_quick_hash_reading_is_the_regex_one(digest: str) -> None:
    # binascii's reading of an even count of digits gives the regexes' answer, for the look-up's
    # plain hex and for every format of the library, whatever the digest's length.
    assert pattern_hashes.hex_digits(digest) == bool(re.match(r"^[0-9a-fA-F]+\Z", digest))
    for regex in pattern_hashes._HASHES.values():
        assert pattern_hashes.hash_matches(regex, digest) == bool(regex.match(digest))
