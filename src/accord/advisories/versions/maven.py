"""Maven version order: https://maven.apache.org/pom.html#Version_Order_Specification.

Our own, because ``univers`` (``maven.Version``) lacks the ``release`` alias of the
specification (so ``1.0.RELEASE`` sorts after ``1.0``) and hashes equal versions (``1`` and
``1.0.0``) differently, which breaks the ``versions`` sets.

A version is parsed, as Maven's ComparableVersion does, into nested lists: ``.`` separates items
of one list, ``-`` and a switch between digits and letters open a sub-list. Trailing "null"
items (``0``, ``""``, ``final``, ``ga``, ``release``) are dropped from each list. Then:
numbers compare numerically and sort after qualifiers; qualifiers follow
alpha < beta < milestone < rc = cr < snapshot < "" < sp, unknown ones after those,
alphabetically; a padded position compares as null.
"""

from __future__ import annotations

from functools import total_ordering
from typing import Union

from accord.advisories.versions.errors import InvalidVersion

_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}
_RELEASE_RANK = str(_QUALIFIERS.index(""))

Item = Union[int, str, "tuple[Item, ...]"]


def _qualifier(text: str, followed_by_digit: bool) -> str:
    if followed_by_digit and text in _SHORT:
        text = _SHORT[text]
    return _ALIASES.get(text, text)


def _rank(qualifier: str) -> str:
    # Known qualifiers by their position; unknown ones after all of them, alphabetically.
    if qualifier in _QUALIFIERS:
        return str(_QUALIFIERS.index(qualifier))
    return f"{len(_QUALIFIERS)}-{qualifier}"


def _is_null(item: Item) -> bool:
    if isinstance(item, int):
        return item == 0
    if isinstance(item, str):
        return _rank(item) == _RELEASE_RANK
    return len(item) == 0


def _normalize(items: list[Item]) -> tuple[Item, ...]:
    # Drop trailing nulls; a non-empty sub-list does not stop the scan, a number or word does.
    for index in range(len(items) - 1, -1, -1):
        if _is_null(items[index]):
            del items[index]
        elif not isinstance(items[index], tuple):
            break
    return tuple(items)


def parse(version: str) -> tuple[Item, ...]:
    """The normalized item tree of a Maven version."""
    text = version.strip().lower()
    if not text:
        raise InvalidVersion("an empty string is not a Maven version")
    stack: list[list[Item]] = [[]]
    start, digits = 0, False
    for index, char in enumerate(text):
        if char in ".-":
            stack[-1].append(0 if index == start else _item(text[start:index], digits))
            start = index + 1
            if char == "-":
                stack.append([])
        elif char.isdigit():
            if not digits and index > start:
                # "a1" reads as "alpha-1": the qualifier ends where the number starts.
                stack[-1].append(_qualifier(text[start:index], followed_by_digit=True))
                start = index
                stack.append([])
            digits = True
        else:
            if digits and index > start:
                stack[-1].append(int(text[start:index]))
                start = index
                stack.append([])
            digits = False
    if start < len(text):
        stack[-1].append(_item(text[start:], digits))
    return _close(stack)


def _item(piece: str, digits: bool) -> Item:
    return int(piece) if digits else _qualifier(piece, followed_by_digit=False)


def _close(stack: list[list[Item]]) -> tuple[Item, ...]:
    # A sub-list is always the last item of its parent: fold them from the innermost out.
    tree = _normalize(stack.pop())
    while stack:
        outer = stack.pop()
        outer.append(tree)
        tree = _normalize(outer)
    return tree


def _compare(left: Item, right: Item | None) -> int:
    """Maven's item comparison; ``right`` None stands for padding (a null item)."""
    if isinstance(left, int):
        if right is None or isinstance(right, int):
            other = 0 if right is None else right
            return (left > other) - (left < other)
        return 1  # a number sorts after a qualifier and after a sub-list
    if isinstance(left, str):
        if isinstance(right, int):
            return -1
        if isinstance(right, tuple):
            return -1
        mine, theirs = _rank(left), _RELEASE_RANK if right is None else _rank(right)
        return (mine > theirs) - (mine < theirs)
    if right is None:
        return next((r for r in (_compare(item, None) for item in left) if r), 0)
    if isinstance(right, int):
        return -1
    if isinstance(right, str):
        return 1
    for index in range(max(len(left), len(right))):
        if index >= len(left):
            result = -_compare(right[index], None)
        else:
            result = _compare(left[index], right[index] if index < len(right) else None)
        if result:
            return result
    return 0


@total_ordering
class MavenVersion:
    """A Maven version as an ordering key."""

    __slots__ = ("tree",)

    def __init__(self, version: str) -> None:
        self.tree = parse(version)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MavenVersion):
            return NotImplemented
        return _compare(self.tree, other.tree) == 0

    def __lt__(self, other: MavenVersion) -> bool:
        return _compare(self.tree, other.tree) < 0

    def __hash__(self) -> int:
        # Normalization makes equal versions share one tree ("1", "1.0", "1-ga" are all (1,)).
        return hash(self.tree)

    def __repr__(self) -> str:
        return f"MavenVersion({self.tree!r})"


def key(version: str) -> MavenVersion:
    """The ordering key of a Maven version."""
    return MavenVersion(version)
