"""The warninglists in force, matched against the values of a look-up (``Lists``).

The shipped lists' matcher and the stored lists' are joined into one (``Matcher.joined``), and
each value asked is answered first by the few dictionary look-ups that tell whether any list
may hold it (``Matcher.may_hold``, ``Matcher.may_hold_name``): most values are held by none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from accord.sharing.warninglist_matching import ATTRIBUTES, PLAIN_KINDS, Matcher, url_host

# The kinds answered by ``Matcher.may_hold_name`` before the full match.
_NAME_KINDS = frozenset({"domain", "url"})


class Lists:
    """The lists in force: the shipped defaults' matcher (built once a process for each set
    of defaults in force, shared by every database) joined with the stored lists' (built
    again when a stored list changes, ``warninglists.matcher``), so that each value asked is
    matched once, not once against each."""

    def __init__(self, shipped: Matcher, stored: Matcher) -> None:
        self._matcher = Matcher.joined(shipped, stored) if stored.names else shipped
        self.entries = self._matcher.entries
        self._kinds = frozenset(k for k in ATTRIBUTES if self._matcher.applies_to(k))

    def flags(
        self, pairs: Iterable[tuple[str, str]], hosts: Mapping[str, str | None]
    ) -> dict[tuple[str, str], list[str]]:
        """For each normalised ``(kind, value)``, the names of the lists that hold it (only
        those held): :meth:`match` for many values. ``hosts``: URLs' hosts as
        ``urlsplit(url).hostname`` read them, by URL, for those already split."""
        found: dict[tuple[str, str], list[str]] = {}
        kinds, match, held = self._kinds, self._matcher.match, self._matcher.may_hold
        named = self._matcher.may_hold_name
        for pair in pairs:
            kind, value = pair
            if kind not in kinds:
                continue
            if kind in PLAIN_KINDS and not held(kind, value):
                continue
            host = None
            if kind == "url":
                # A host given for a URL with a backslash is read again, whoever read it.
                if value in hosts and "\\" not in value:
                    host = hosts[value]
                    host = host.strip("[]").rstrip(".") if host else None
                else:
                    host = url_host(value)
            if kind in _NAME_KINDS and not named(kind, value, host):
                continue
            names = match(kind, value, host)
            if names:
                found[pair] = names
        return found

    def match(self, kind: str, value: str) -> list[str]:
        """The names of the lists that hold ``value`` (see :meth:`Matcher.match`)."""
        return self._matcher.match(kind, value)
