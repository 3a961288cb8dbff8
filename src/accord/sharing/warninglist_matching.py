"""Warninglists matched in memory: a :class:`Matcher` per set of lists, built once and kept.

Ranges are cut into disjoint segments, each with the lists that hold it, so an address is one
binary search however many ranges there are; strings and host names are dictionary look-ups.
Here too are the readers of an entry that both the matcher and ``warninglists.parse`` use
(``span``, ``range_text``, ``compile_entry``). The lists themselves, their storage and the
cache of matchers are in ``warninglists.py``.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

from accord.errors import N_, Message

if TYPE_CHECKING:
    from accord.sharing.warninglists import Parsed

MAX_REGEX_LENGTH = 500

_IP = {"ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "domain|ip", "ip"}
ATTRIBUTES: dict[str, frozenset[str]] = {
    "ipv4": frozenset(_IP),
    "ipv6": frozenset(_IP),
    "domain": frozenset(
        {"domain", "hostname", "domain|ip", "hostname|port", "whois-registrant-email"}
    ),
    "url": frozenset({"url", "uri", "link"}),
    "email": frozenset({"email", "email-src", "email-dst", "target-email", "email-reply-to"}),
    **{h: frozenset({h, f"filename|{h}"}) for h in ("md5", "sha1", "sha256", "sha512")},
}


def span(entry: str) -> tuple[int, int, int]:
    """An address or CIDR range as (IP version, first address, prefix length); ValueError if
    it is neither. ``socket.inet_pton`` rather than ``ipaddress``: a list of 60,000 resolvers
    is read in a tenth of the time."""
    address, slash, length = entry.partition("/")
    family, bits = (socket.AF_INET6, 128) if ":" in address else (socket.AF_INET, 32)
    try:
        value = int.from_bytes(socket.inet_pton(family, address), "big")
    except OSError:
        raise ValueError(entry) from None
    if slash and not (length.isdigit() and int(length) <= bits):
        raise ValueError(entry)
    prefix = int(length) if slash else bits
    value &= ((1 << bits) - 1) ^ ((1 << (bits - prefix)) - 1)
    return (6 if bits == 128 else 4), value, prefix


def range_text(version: int, first: int, prefix: int) -> str:
    family, bits = (socket.AF_INET6, 128) if version == 6 else (socket.AF_INET, 32)
    address = socket.inet_ntop(family, first.to_bytes(bits // 8, "big"))
    return address if prefix == bits else f"{address}/{prefix}"


def compile_entry(entry: str) -> re.Pattern[str]:
    if len(entry) > MAX_REGEX_LENGTH:
        raise ValueError(
            Message(
                N_("a regular expression longer than %(count)s characters"),
                count=MAX_REGEX_LENGTH,
            )
        )
    source, flags = entry, 0
    delimited = re.fullmatch(r"/(.*)/([a-z]*)", entry, re.DOTALL)
    if delimited:
        source = delimited.group(1)
        for flag in delimited.group(2):
            flags |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}.get(
                flag, 0
            )
    try:
        return re.compile(source, flags)
    except re.error as exc:
        raise ValueError(
            Message(
                N_("%(entry)s is not a regular expression (%(detail)s)"),
                entry=repr(entry[:60]),
                detail=exc.msg,
            )
        ) from None


@dataclass
class _Ranges:
    starts: list[int] = field(default_factory=list)
    holders: list[tuple[int, ...]] = field(default_factory=list)


class Matcher:
    """Every enabled list, ready to answer which of them hold a value."""

    def __init__(self, lists: Sequence[Parsed]) -> None:
        self.names = [p.name for p in lists]
        self._applies: dict[str, frozenset[int]] = {
            kind: frozenset(
                i
                for i, p in enumerate(lists)
                if not p.matching_attributes or attributes & set(p.matching_attributes)
            )
            for kind, attributes in ATTRIBUTES.items()
        }
        self._strings: dict[str, tuple[int, ...]] = {}
        self._hosts: dict[str, tuple[int, ...]] = {}
        self._substrings: list[tuple[str, int]] = []
        self._regexes: list[tuple[re.Pattern[str], int]] = []
        spans: dict[int, list[tuple[int, int, int]]] = {4: [], 6: []}
        for index, parsed in enumerate(lists):
            kind = parsed.list_type
            for entry in parsed.entries:
                if kind == "string":
                    self._strings[entry] = (*self._strings.get(entry, ()), index)
                elif kind == "hostname":
                    self._hosts[entry] = (*self._hosts.get(entry, ()), index)
                elif kind == "substring":
                    self._substrings.append((entry, index))
                elif kind == "regex":
                    self._regexes.append((compile_entry(entry), index))
                else:
                    version, first, prefix = span(entry)
                    size = 1 << ((128 if version == 6 else 32) - prefix)
                    spans[version].append((first, first + size - 1, index))
        self._spans = spans
        self._ranges = {version: _segments(found) for version, found in spans.items()}
        self.entries = sum(len(p.entries) for p in lists)
        self._by_kind()

    @classmethod
    def joined(cls, first: Matcher, second: Matcher) -> Matcher:
        """One matcher answering what ``first`` then ``second`` answer (their names in that
        order), built from what each already holds: the shipped lists' 60,000 ranges are
        read once a process, not again each time an operator changes a stored list."""
        joined = cls([])
        offset = len(first.names)
        joined.names = first.names + second.names
        joined._applies = {
            kind: first._applies[kind] | {i + offset for i in second._applies[kind]}
            for kind in ATTRIBUTES
        }
        for name in ("_strings", "_hosts"):
            merged = dict(getattr(first, name))
            for entry, held in getattr(second, name).items():
                merged[entry] = (*merged.get(entry, ()), *(i + offset for i in held))
            setattr(joined, name, merged)
        joined._substrings = first._substrings + [(e, i + offset) for e, i in second._substrings]
        joined._regexes = first._regexes + [(r, i + offset) for r, i in second._regexes]
        for version in (4, 6):
            more = [(a, b, i + offset) for a, b, i in second._spans[version]]
            joined._spans[version] = first._spans[version] + more
            # Without ranges of its own, the second leaves the first's segments as they are.
            joined._ranges[version] = (
                _segments(joined._spans[version]) if more else first._ranges[version]
            )
        joined.entries = first.entries + second.entries
        joined._by_kind()
        return joined

    def _by_kind(self) -> None:
        # Substrings and regular expressions are tried one by one: each kind keeps only those
        # of the lists that apply to it.
        self._substrings_of = {
            kind: [(e, i) for e, i in self._substrings if i in applies]
            for kind, applies in self._applies.items()
        }
        self._regexes_of = {
            kind: [(r, i) for r, i in self._regexes if i in applies]
            for kind, applies in self._applies.items()
        }

    def applies_to(self, kind: str) -> bool:
        """Whether some list may hold a value of ``kind`` (for a URL, or its host)."""
        if kind == "url":
            return any(self._applies.get(k) for k in ("url", "domain", "ipv4", "ipv6"))
        return bool(self._applies.get(kind))

    def match(self, kind: str, value: str, host: str | None = None) -> list[str]:
        """The names of the lists that hold ``value``, a normalised value of ``kind``; a
        URL's ``host`` (``url_host``) if it was read already."""
        found: set[int] = set()
        if kind == "url" and host is None:
            host = url_host(value)
        self._match(kind, value, found, host)
        if host:
            address = _address(host)
            if address is None:
                self._match("domain", host, found, host)
            else:
                self._match(*address, found, None)
        return [self.names[i] for i in sorted(found)] if found else []

    def _match(self, kind: str, value: str, found: set[int], host: str | None) -> None:
        # Called for every value looked up (10,000 in one request): no generator or list is
        # made unless something is held.
        applies = self._applies.get(kind)
        if not applies:
            return
        lowered = value.lower()
        held = self._strings.get(lowered)
        if held:
            found.update(i for i in held if i in applies)
        if kind in ("ipv4", "ipv6"):
            held = self._in_ranges(value)
            if held:
                found.update(i for i in held if i in applies)
        if kind == "domain":
            host = lowered
        elif kind == "email":
            host = lowered.rpartition("@")[2]
        elif kind != "url":
            host = None
        if host and self._hosts:
            # The host and each of its parent domains: a.b.example, b.example, example.
            start = 0
            while True:
                held = self._hosts.get(host[start:] if start else host)
                if held:
                    found.update(i for i in held if i in applies)
                start = host.find(".", start) + 1
                if not start:
                    break
        for entry, i in self._substrings_of[kind]:
            if entry in lowered:
                found.add(i)
        for pattern, i in self._regexes_of[kind]:
            if pattern.search(value):
                found.add(i)

    def may_hold(self, kind: str, value: str) -> bool:
        """Whether some list may hold ``value``, a normalised address or hash (a kind of
        ``PLAIN_KINDS``): False only if :meth:`match` would find nothing. Most values asked
        are held by none; this answers them with two look-ups, without :meth:`match`'s
        set and its checks of host names."""
        return bool(
            self._strings.get(value.lower())
            or (kind in _ADDRESSES and self._in_ranges(value))
            or self._substrings_of[kind]
            or self._regexes_of[kind]
        )

    def may_hold_name(self, kind: str, value: str, host: str | None) -> bool:
        """Whether some list may hold ``value``, a normalised domain name or URL (``host``:
        the URL's, as :meth:`match` is given it): False only if :meth:`match` would find
        nothing. Most names asked are held by none; this answers them with the dictionary
        look-ups :meth:`match` makes, without its set, its calls and the lists' kinds."""
        if self._substrings_of[kind] or self._regexes_of[kind] or self._strings.get(value.lower()):
            return True
        if kind == "domain":
            return self._holds_host(value.lower())
        if host is None:  # as :meth:`match` reads it
            host = url_host(value)
        if not host:
            return False
        if self._holds_host(host):  # the URL's own host walk (``_match`` of the URL)
            return True
        address = _address(host)
        if address is not None:
            return self.may_hold(*address)
        lowered = host.lower()
        return bool(
            self._substrings_of["domain"]
            or self._regexes_of["domain"]
            or self._strings.get(lowered)
            or (lowered != host and self._holds_host(lowered))
        )

    def _holds_host(self, host: str) -> bool:
        """Whether a list of host names holds ``host`` or one of its parent domains."""
        hosts = self._hosts
        if not host or not hosts:
            return False
        start = 0
        while True:
            if hosts.get(host[start:] if start else host):
                return True
            start = host.find(".", start) + 1
            if not start:
                return False

    def _in_ranges(self, value: str) -> tuple[int, ...]:
        version, family = (6, socket.AF_INET6) if ":" in value else (4, socket.AF_INET)
        try:
            number = int.from_bytes(socket.inet_pton(family, value), "big")
        except OSError:
            return ()
        ranges = self._ranges[version]
        position = bisect.bisect_right(ranges.starts, number) - 1
        return ranges.holders[position] if position >= 0 else ()


# The kinds whose values :meth:`Matcher.match` tries without host names: addresses and
# hashes (not domains, e-mail addresses or URLs).
_ADDRESSES = frozenset({"ipv4", "ipv6"})
PLAIN_KINDS = _ADDRESSES | {"md5", "sha1", "sha256", "sha512"}


def _segments(spans: list[tuple[int, int, int]]) -> _Ranges:
    """Ranges (first, last, list) cut into disjoint segments, each with the lists holding it."""
    events: list[tuple[int, int, int]] = []  # (point, +1 opens / -1 closes, list)
    for first, last, index in spans:
        events.append((first, 1, index))
        events.append((last + 1, -1, index))
    events.sort()
    ranges = _Ranges()
    open_counts: dict[int, int] = {}
    position = 0
    while position < len(events):
        point = events[position][0]
        while position < len(events) and events[position][0] == point:
            _, step, index = events[position]
            open_counts[index] = open_counts.get(index, 0) + step
            if not open_counts[index]:
                del open_counts[index]
            position += 1
        holders = tuple(sorted(open_counts))
        if ranges.holders and ranges.holders[-1] == holders:
            continue
        ranges.starts.append(point)
        ranges.holders.append(holders)
    return ranges


def _address(host: str) -> tuple[str, str] | None:
    """A URL's host as an address ``(kind, canonical text)``, or None for a host name. Only a
    host that ends in a digit or holds a colon can be one: names skip the parse."""
    if not host or not (host[-1].isdigit() or ":" in host):
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return ("ipv4" if address.version == 4 else "ipv6"), str(address)


def browser_split(url: str) -> SplitResult:
    """``url`` split as a browser reads it (WHATWG URL): for the special schemes, a backslash
    before the query ends the authority and the path's segments as a slash does. The host of
    ``http://evil.example\\@10.0.0.1/`` is evil.example, where ``urlsplit`` alone reads
    10.0.0.1. Raises ValueError as ``urlsplit`` does."""
    parts = urlsplit(url)
    if "\\" not in url or parts.scheme.lower() not in _SPECIAL_SCHEMES:
        return parts
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    return urlsplit(url[:cut].replace("\\", "/") + url[cut:])


def url_host(url: str) -> str | None:
    """A URL's host as the lists are matched against it (the host a browser goes to, so that
    a URL disguised as a private address's is not flagged as one, and left out of the
    block-list feeds that leave out what a warninglist holds); None if it has none."""
    try:
        host = browser_split(url).hostname
    except ValueError:
        return None
    return host.strip("[]").rstrip(".") if host else None


# The schemes whose URLs browsers read with a backslash as a slash (WHATWG URL: "special").
_SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
