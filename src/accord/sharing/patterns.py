"""STIX 2.1 patterns, checked by ``stix2-patterns`` and taken apart for the look-up index.

The grammar (STIX 2.1, section 9) is checked by the library's ANTLR parser, which costs about
0.4 ms a pattern: too slow to ingest ten thousand indicators a second. Most indicators share a
few shapes (``[file:hashes.'SHA-256' = '...']``) and differ only in their string literals, and a
string literal is one token whatever its content. So each plain string literal is replaced by
a numbered placeholder, the library parses that *skeleton* once per shape (cached), and the
checks that read literal values (the hash formats of ``object_validator``) run on the real
values. Anything unusual (typed literals, a stray quote, the placeholder character) goes to
the library's full validator, which is also what explains a failure.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

from antlr4 import CommonTokenStream, InputStream, ParseTreeWalker
from stix2patterns.exceptions import STIXPatternErrorListener
from stix2patterns.helpers import brackets_check
from stix2patterns.inspector import INDEX_STAR
from stix2patterns.v21.grammars.STIXPatternLexer import STIXPatternLexer
from stix2patterns.v21.grammars.STIXPatternParser import STIXPatternParser
from stix2patterns.v21.inspector import InspectionListener
from stix2patterns.v21.validator import DuplicateQualifierTypeError, ValidationListener
from stix2patterns.validator import run_validator

from accord import limits
from accord.errors import N_, Message
from accord.sharing.pattern_hashes import HASH_OF, hash_matches, hash_of

# A string literal as the grammar's StringLiteral token: quotes, with \' and \\ escapes only.
# Written as an unrolled loop (a run of plain characters, then escape and run again) rather than
# an alternation per character, which Python's engine tries character by character: five times
# faster on a 64-digit hash, and the same strings (tests/sharing/test_validation.py).
_LITERAL_TEXT = r"'[^'\\]*(?:\\['\\][^'\\]*)*'"
LITERAL = re.compile(_LITERAL_TEXT)
_SPLIT = re.compile(f"({_LITERAL_TEXT})")  # the same, kept by re.split
_MARK = "\u00a7"  # placeholder text: no STIX keyword or identifier can contain it
_PLACEHOLDER = re.compile(_MARK + r"(\d+)")

PathPart = str | int | object  # a property name, a list index, or INDEX_STAR


class Comparison(NamedTuple):
    """One comparison of a pattern: ``object_type:path op value`` (value as written); a named
    tuple, made once per indicator checked."""

    object_type: str
    path: tuple[PathPart, ...]
    operator: str
    value: str


class CheckedPattern(NamedTuple):
    """The outcome of checking one pattern: its errors (none if valid) and its comparisons (a
    named tuple: made once per distinct pattern ingested)."""

    errors: tuple[str, ...]
    comparisons: tuple[Comparison, ...]

    @property
    def valid(self) -> bool:
        """Whether the pattern passed every check."""
        return not self.errors


def check(pattern: str) -> CheckedPattern:
    """Check a STIX 2.1 pattern and list its comparisons with their real literal values."""
    # Most indicators: one comparison whose value is a plain literal ([file:hashes.'SHA-256' =
    # '...']). Its shape (the text before the value) was parsed once; what the general path
    # below would give is then the shape's comparison with this value, and its hash format
    # checked (tests/sharing/test_pattern_shapes.py holds the two to the same outcome).
    one = _one_value(pattern)
    if one is not None and limits.pattern_problem(pattern) is None:
        head, value = one
        shape = _ONE_SHAPES[head] if head in _ONE_SHAPES else _one_shape(head)
        if shape is not None:
            comparison = Comparison(shape[0], shape[1], shape[2], value)
            regex = shape[3]
            # _hash_problems of this one comparison, its selector's format found with its
            # shape: the value is a plain literal, so its quotes are its first and last
            # characters only, and value[1:-1] is what that function would match.
            if regex is not None and not hash_matches(regex, value[1:-1]):
                problem = f"FAIL: '{value[1:-1]}' is not a valid {shape[1][-1]} hash"
                return CheckedPattern((problem,), (comparison,))
            return CheckedPattern((), (comparison,))
    return _check(pattern)


@functools.lru_cache(maxsize=16_384)
def _check(pattern: str) -> CheckedPattern:
    # Cached by the whole text: an indicator's every version repeats its pattern. About
    # 0.5 kB an entry with its key, 9 MB a process when full (docs/benchmarks.md, the soak).
    if not pattern.strip():
        return CheckedPattern(errors=(N_("the pattern is empty"),), comparisons=())
    # The grammar's parser recurses and backtracks with nesting and length: bounded first.
    too_much = limits.pattern_problem(pattern)
    if too_much is not None:
        return CheckedPattern(
            errors=(Message(N_("the pattern %(problem)s"), problem=too_much),), comparisons=()
        )
    skeleton = _skeleton(pattern)
    if skeleton is None:
        return _full(pattern)
    shape, literals = skeleton
    parsed = _parse_shape(shape)
    if parsed.errors or not brackets_check(pattern):
        return _full(pattern)
    templates = parsed.templates
    if len(templates) == 1:  # most indicators: one comparison
        one = templates[0]
        real: tuple[Comparison, ...] = (one.restore(literals),)
        hashes = one.hashes
    else:
        real = tuple([t.restore(literals) for t in templates])
        hashes = any(t.hashes for t in templates)
    # The hash formats are looked at only when a comparison names hashes.
    return CheckedPattern(_hash_problems(real) if hashes else (), real)


def unquote(literal: str) -> str:
    """The text of a STIX string literal (``'it\\'s'`` -> ``it's``)."""
    return literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")


# The shape most indicators have: one comparison whose value is the pattern's last literal,
# plain (no escapes), with quoted path parts only after a dot: [file:hashes.'SHA-256' = '...'].
# Its skeleton in one match; :func:`_split_skeleton` gives the same (a property test holds it).
_ONE_VALUE = re.compile(
    rf"(\[[^'{_MARK}]*(?:\.'[^'\\{_MARK}]*'[^'{_MARK}]*)*[^.'a-zA-Z0-9_{_MARK}])"
    rf"('[^'\\{_MARK}]*')(\])"
)


def _one_value(pattern: str) -> tuple[str, str] | None:
    """The text before the value and the value (quotes included) of a one-value pattern, as
    ``_ONE_VALUE``'s groups 1 and 2; None if it is not one.

    The value is the pattern's last literal, closed by its last bracket, and holds no quote:
    its opening quote is the pattern's last but one, so the split is found with ``rfind``.
    A text before it met already (a key of ``_ONE_SHAPES``, which only the regex's group 1
    fills) needs no match again; any other pattern is matched by the regex. A feed's
    indicators share a few such texts, and the regex counted some 130 characters an indicator
    class by class (6,700 instructions; a 64-digit hash in most of them).
    """
    if pattern[-2:] == "']":
        start = pattern.rfind("'", 0, len(pattern) - 2)
        if start > 0:
            head = pattern[:start]
            if head in _ONE_SHAPES:
                value = pattern[start:-1]
                if "\\" not in value and _MARK not in value:
                    return head, value
    one = _ONE_VALUE.fullmatch(pattern)
    return None if one is None else (one[1], one[2])


# Per text before the value of a one-value pattern: the shape's one comparison (its type, path
# and operator) and the hash format its value must have (None: it names no hashes, or a
# selector without a known format); None when the shape is anything else (an error, several
# comparisons, a placeholder in the path), which the general path then takes.
_OneShape = tuple[str, tuple[PathPart, ...], str, re.Pattern[str] | None]
_ONE_SHAPES: dict[str, _OneShape | None] = {}


def _one_shape(head: str) -> _OneShape | None:
    # The skeleton _skeleton gives a one-value pattern, parsed as the general path parses it.
    # brackets_check needs no call: such a pattern starts with its bracket.
    parsed = _parse_shape(f"{head}'{_MARK}0']")
    found: _OneShape | None = None
    if not parsed.errors and len(parsed.templates) == 1:
        template = parsed.templates[0]
        c = template.comparison
        if template.value_slot == 0 and not template.marked_path:
            found = (c.object_type, c.path, c.operator, _one_hash_format(template))
    if len(_ONE_SHAPES) < 4096:
        _ONE_SHAPES[head] = found
    return found


def _one_hash_format(template: _Template) -> re.Pattern[str] | None:
    # What _hash_problems would match a one-value shape's value against: the format of the
    # path's last part when the path names hashes and that part is a selector.
    path = template.comparison.path
    if not template.hashes or "hashes" not in path:
        return None
    selector = path[-1]
    if selector is INDEX_STAR or not isinstance(selector, str):
        return None
    return HASH_OF[selector] if selector in HASH_OF else hash_of(selector)


def _skeleton(pattern: str) -> tuple[str, tuple[str, ...]] | None:
    one = _ONE_VALUE.fullmatch(pattern)  # no part of it may hold the placeholder character
    if one is not None:
        return f"{one[1]}'{_MARK}0'{one[3]}", (one[2],)
    return _split_skeleton(pattern)


def _split_skeleton(pattern: str) -> tuple[str, tuple[str, ...]] | None:
    if _MARK in pattern:
        return None
    # re.split keeps the literals at odd positions; a quote left between them is stray.
    parts = _SPLIT.split(pattern)
    literals: list[str] = []
    for index in range(1, len(parts), 2):
        if "'" in parts[index - 1]:
            return None
        before = parts[index - 1][-1:] or ("'" if index > 1 else " ")
        if before.isascii() and (before.isalnum() or before == "_"):
            continue  # t'...', b'...', h'...': typed literals whose content the grammar checks.
        if before == ".":
            # A quoted path part (hashes.'SHA-256'), never a value: kept, so that the shape
            # names it and restoring a comparison has only its value to put back.
            continue
        literals.append(parts[index])
        parts[index] = f"'{_MARK}{len(literals) - 1}'"
    if "'" in parts[-1]:
        return None
    return "".join(parts), tuple(literals)


@dataclass(frozen=True)
class _Template:
    """A comparison of a skeleton, and where its placeholders are (found once per shape)."""

    comparison: Comparison
    marked_path: bool  # a path part holds a placeholder (hashes.'SHA-256')
    path_slots: tuple[int, ...] | None  # per part, the literal it is alone, or -1 (kept as is)
    value_slot: int | None  # the literal the value is, when it is one placeholder alone
    hashes: bool  # a path part holds "hashes", or may once its placeholders are restored

    def restore(self, literals: tuple[str, ...]) -> Comparison:
        c = self.comparison
        if self.value_slot is not None:
            value = literals[self.value_slot]
        else:
            value = _PLACEHOLDER.sub(lambda m: literals[int(m.group(1))][1:-1], c.value)
        path = c.path
        if self.path_slots is not None:
            path = tuple(
                p if i < 0 else unquote(literals[i])
                for p, i in zip(path, self.path_slots, strict=True)
            )
        elif self.marked_path:
            path = tuple(
                _PLACEHOLDER.sub(lambda m: unquote(literals[int(m.group(1))]), p)
                if isinstance(p, str)
                else p
                for p in path
            )
        return Comparison(c.object_type, path, c.operator, value)


@dataclass(frozen=True)
class _Shape:
    errors: tuple[str, ...]
    templates: tuple[_Template, ...]


def _template(comparison: Comparison) -> _Template:
    value = comparison.value
    quoted = len(value) >= 2 and value[0] == value[-1] == "'"
    alone = _PLACEHOLDER.fullmatch(value, 1, len(value) - 1) if quoted else None
    marked = [isinstance(p, str) and _MARK in p for p in comparison.path]
    slots: list[int] | None = []
    for part, has_mark in zip(comparison.path, marked, strict=True):
        whole = _PLACEHOLDER.fullmatch(part) if has_mark and isinstance(part, str) else None
        if has_mark and whole is None:
            slots = None  # a placeholder inside a longer part: substituted in place
            break
        if slots is not None:
            slots.append(-1 if whole is None else int(whole.group(1)))
    return _Template(
        comparison=comparison,
        marked_path=any(marked),
        path_slots=tuple(slots) if slots is not None and any(marked) else None,
        value_slot=int(alone.group(1)) if alone is not None else None,
        hashes="hashes" in comparison.path or any(marked),
    )


@functools.lru_cache(maxsize=4096)
def _parse_shape(shape: str) -> _Shape:
    # The library's run_validator, without the value checks (they run on the real values).
    listener = STIXPatternErrorListener()
    lexer = STIXPatternLexer(InputStream(shape))
    lexer.removeErrorListeners()
    parser = STIXPatternParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    tree = parser.pattern()
    if listener.err_strings:
        return _Shape(tuple(listener.err_strings), ())
    inspection = InspectionListener()
    ParseTreeWalker.DEFAULT.walk(inspection, tree)
    try:
        ParseTreeWalker.DEFAULT.walk(ValidationListener(), tree)
    except DuplicateQualifierTypeError as exc:
        return _Shape((f"FAIL: {exc.args[0]}",), ())
    templates = tuple(
        _template(Comparison(object_type=obj_type, path=tuple(path), operator=op, value=value))
        for obj_type, items in inspection.pattern_data().comparisons.items()
        for path, op, value in items
    )
    return _Shape((), templates)


def _hash_problems(comparisons: tuple[Comparison, ...]) -> tuple[str, ...]:
    """``object_validator.verify_object`` of stix2-patterns, with its regexes compiled once."""
    problems = []
    for c in comparisons:
        if "hashes" not in c.path:
            continue
        selector = c.path[-1]
        if selector is INDEX_STAR or not isinstance(selector, str):
            continue
        regex = HASH_OF[selector] if selector in HASH_OF else hash_of(selector)
        digest = c.value.replace("'", "")
        if regex is not None and not regex.match(digest):
            problems.append(f"FAIL: '{digest}' is not a valid {selector} hash")
    return tuple(problems)


def _full(pattern: str) -> CheckedPattern:
    try:
        errors = run_validator(pattern, stix_version="2.1")
    except (AttributeError, TypeError):
        # The library's hash check takes every selector after ``hashes`` for text; a list
        # index ([file:hashes[0] = ...]) made it raise, and the envelope answer 500. Checked
        # as the fast path checks a skeleton: the grammar, then the hash formats.
        return _whole(pattern)
    if errors:
        return CheckedPattern(errors=tuple(errors), comparisons=())
    # Valid, but the fast path could not take it apart (typed literals around a quote, say):
    # the comparisons come from the library's own inspector.
    from stix2patterns.v21.pattern import Pattern

    data = Pattern(pattern).inspect()
    return CheckedPattern(
        errors=(),
        comparisons=tuple(
            Comparison(object_type=t, path=tuple(p), operator=op, value=v)
            for t, items in data.comparisons.items()
            for p, op, v in items
        ),
    )


def _whole(pattern: str) -> CheckedPattern:
    parsed = _parse_shape(pattern)
    if parsed.errors:
        return CheckedPattern(errors=parsed.errors, comparisons=())
    comparisons = tuple(t.comparison for t in parsed.templates)
    return CheckedPattern(_hash_problems(comparisons), comparisons)


__all__ = ["INDEX_STAR", "LITERAL", "CheckedPattern", "Comparison", "check", "unquote"]
