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

from antlr4 import CommonTokenStream, InputStream, ParseTreeWalker
from stix2patterns.exceptions import STIXPatternErrorListener
from stix2patterns.helpers import brackets_check
from stix2patterns.inspector import INDEX_STAR, _PatternData
from stix2patterns.v21 import object_validator
from stix2patterns.v21.grammars.STIXPatternLexer import STIXPatternLexer
from stix2patterns.v21.grammars.STIXPatternParser import STIXPatternParser
from stix2patterns.v21.inspector import InspectionListener
from stix2patterns.v21.validator import DuplicateQualifierTypeError, ValidationListener
from stix2patterns.validator import run_validator

# A string literal as the grammar's StringLiteral token: quotes, with \' and \\ escapes only.
_LITERAL = re.compile(r"'(?:[^'\\]|\\['\\])*'")
_MARK = "\u00a7"  # placeholder text: no STIX keyword or identifier can contain it
_PLACEHOLDER = re.compile(_MARK + r"(\d+)")

PathPart = str | int | object  # a property name, a list index, or INDEX_STAR


@dataclass(frozen=True)
class Comparison:
    """One comparison of a pattern: ``object_type:path op value`` (value as written)."""

    object_type: str
    path: tuple[PathPart, ...]
    operator: str
    value: str


@dataclass(frozen=True)
class CheckedPattern:
    """The outcome of checking one pattern: its errors (none if valid) and its comparisons."""

    errors: tuple[str, ...]
    comparisons: tuple[Comparison, ...]

    @property
    def valid(self) -> bool:
        """Whether the pattern passed every check."""
        return not self.errors


def check(pattern: str) -> CheckedPattern:
    """Check a STIX 2.1 pattern and list its comparisons with their real literal values."""
    skeleton = _skeleton(pattern)
    if skeleton is None:
        return _full(pattern)
    shape, literals = skeleton
    errors, comparisons = _parse_shape(shape)
    if errors or not brackets_check(pattern):
        return _full(pattern)
    real = tuple(_restore(c, literals) for c in comparisons)
    problems = object_validator.verify_object(_as_pattern_data(real))
    if problems:
        return CheckedPattern(errors=tuple(problems), comparisons=real)
    return CheckedPattern(errors=(), comparisons=real)


def unquote(literal: str) -> str:
    """The text of a STIX string literal (``'it\\'s'`` -> ``it's``)."""
    return literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")


def _skeleton(pattern: str) -> tuple[str, tuple[str, ...]] | None:
    if _MARK in pattern:
        return None
    parts: list[str] = []
    literals: list[str] = []
    pos = 0
    while (quote := pattern.find("'", pos)) >= 0:
        match = _LITERAL.match(pattern, quote)
        if match is None:
            return None
        before = pattern[quote - 1] if quote else " "
        if before.isascii() and (before.isalnum() or before == "_"):
            # t'...', b'...', h'...': typed literals whose content the grammar checks.
            parts.append(pattern[pos : match.end()])
        else:
            parts.append(pattern[pos:quote])
            parts.append(f"'{_MARK}{len(literals)}'")
            literals.append(match.group())
        pos = match.end()
    parts.append(pattern[pos:])
    return "".join(parts), tuple(literals)


@functools.lru_cache(maxsize=4096)
def _parse_shape(shape: str) -> tuple[tuple[str, ...], tuple[Comparison, ...]]:
    # The library's run_validator, without the value checks (they run on the real values).
    listener = STIXPatternErrorListener()
    lexer = STIXPatternLexer(InputStream(shape))
    lexer.removeErrorListeners()
    parser = STIXPatternParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    tree = parser.pattern()
    if listener.err_strings:
        return tuple(listener.err_strings), ()
    inspection = InspectionListener()
    ParseTreeWalker.DEFAULT.walk(inspection, tree)
    try:
        ParseTreeWalker.DEFAULT.walk(ValidationListener(), tree)
    except DuplicateQualifierTypeError as exc:
        return (f"FAIL: {exc.args[0]}",), ()
    comparisons = tuple(
        Comparison(object_type=obj_type, path=tuple(path), operator=op, value=value)
        for obj_type, items in inspection.pattern_data().comparisons.items()
        for path, op, value in items
    )
    return (), comparisons


def _full(pattern: str) -> CheckedPattern:
    errors = run_validator(pattern, stix_version="2.1")
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


def _restore(comparison: Comparison, literals: tuple[str, ...]) -> Comparison:
    def in_value(match: re.Match[str]) -> str:
        return literals[int(match.group(1))][1:-1]

    def in_path(part: PathPart) -> PathPart:
        if isinstance(part, str):
            return _PLACEHOLDER.sub(lambda m: unquote(literals[int(m.group(1))]), part)
        return part

    return Comparison(
        object_type=comparison.object_type,
        path=tuple(in_path(p) for p in comparison.path),
        operator=comparison.operator,
        value=_PLACEHOLDER.sub(in_value, comparison.value),
    )


def _as_pattern_data(comparisons: tuple[Comparison, ...]) -> _PatternData:
    grouped: dict[str, list[tuple[list[PathPart], str, str]]] = {}
    for c in comparisons:
        grouped.setdefault(c.object_type, []).append((list(c.path), c.operator, c.value))
    return _PatternData(grouped, set(), set())


__all__ = ["INDEX_STAR", "CheckedPattern", "Comparison", "check", "unquote"]
