"""The observable-value index behind indicator look-up.

At ingest, the equality comparisons of an indicator's STIX pattern (``=`` and ``IN``) on
observable values become rows ``(kind, value)`` keyed by a 64-bit digest, so that a
look-up is an index seek per value, never a scan of patterns. Values are normalised the same
way on both sides: hashes lower-case, IP addresses in their canonical text, domain names and
e-mail addresses lower-case, URLs with a lower-case scheme and host.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
import struct
from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit, urlunsplit

from accord.errors import N_, InvalidInput, Message
from accord.sharing.pattern_hashes import hex_digits
from accord.sharing.patterns import LITERAL, Comparison, unquote
from accord.sharing.warninglist_matching import url_host

# ``\Z``, not ``$``: ``$`` also matches before a final newline, and "a.com\n." was taken as
# the domain "a.com\n".
_HEX = re.compile(r"^[0-9a-fA-F]+\Z")
# A domain name's labels. Its length, at most 253, is checked apart: as a look-ahead
# (``(?=.{1,253}$)``) it read each name twice, a tenth of classifying the values of a look-up.
_DOMAIN = re.compile(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\Z")
HASH_KINDS = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}
_HEX_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_VALUE_KINDS = {
    "ipv4-addr": "ipv4",
    "ipv6-addr": "ipv6",
    "domain-name": "domain",
    "url": "url",
    "email-addr": "email",
}
_HASH_KIND_NAMES = frozenset(HASH_KINDS.values())
KINDS = frozenset(HASH_KINDS.values()) | frozenset(_VALUE_KINDS.values())
# Address ranges an indicator names (``[ipv4-addr:value = '10.0.0.0/8']`` or ``ISSUBSET``):
# indexed as their network in CIDR form; an address looked up is keyed at each prefix length
# some stored range has (``network_keys``), so a range is found by index seeks, not a scan.
NETWORK_KINDS = {"ipv4": "ipv4-net", "ipv6": "ipv6-net"}


def key(kind: str, value: str) -> int:
    """The index key of a normalised ``(kind, value)``: the first 64 bits of its SHA-256.

    An integer rather than text: storing a million indicators adds a key at a random place of
    this index for each, and at 8 bytes a key rather than 32 characters the index has a third
    of the leaves to write back at each commit. 64 bits can collide (by chance past billions
    of values, or on purpose: a producer could search for a value whose key is another's), so
    a look-up compares the kind and value of every row it finds as well.
    """
    return int(_FIRST_64(_SHA256(f"{kind}\x00{value}".encode()).digest())[0])


def keys(pairs: Iterable[tuple[str, str]]) -> list[int]:
    """The index key of each of ``pairs`` (:func:`key`), in their order: one loop with no
    call per pair (a look-up keys some 16,000 values and ranges).

    A known kind's digest continues a copy of one already fed ``kind\x00`` (``_SEEDED``): the
    same bytes hashed, so the same key, but a copy skips what a new digest costs OpenSSL
    before its first byte (finding and setting up the algorithm), a third of a key's time."""
    sha256, first, seeded = _SHA256, _FIRST_64, _SEEDED
    found = []
    for kind, value in pairs:
        base = seeded.get(kind)
        if base is None:
            found.append(first(sha256(f"{kind}\x00{value}".encode()).digest())[0])
        else:
            digest = base.copy()
            digest.update(value.encode())
            found.append(first(digest.digest())[0])
    return found


_SHA256 = hashlib.sha256
_FIRST_64 = struct.Struct(">q").unpack_from  # the first 8 bytes as a signed big-endian integer


def observables_of(
    comparisons: Iterable[Comparison], *, valid: bool = False
) -> list[tuple[str, str]]:
    """The ``(kind, value)`` pairs a pattern tests for equality, normalised, without repeats.

    ``valid``: the comparisons are those of a pattern :func:`patterns.check` found valid, whose
    MD5, SHA-1, SHA-256 and SHA-512 values are then N hexadecimal digits, or N and a newline
    (the library's formats, ``^[a-fA-F0-9]{N}$``): hexadecimal once stripped, and not checked
    again here (ingest checks each hash once)."""
    if type(comparisons) is tuple and len(comparisons) == 1:
        # Most indicators: one hash compared to a literal without escapes. What the loop
        # below gives it, without its steps for other kinds and operators.
        one = comparisons[0]
        literal = one.value
        if one.operator == "=" and literal[:1] == "'" and "\\" not in literal:
            kind = _kind_of(one)
            if kind in _HASH_KIND_NAMES:
                text = literal[1:-1].strip()
                return [(kind, text.lower())] if valid or hex_digits(text) else []
    found: dict[tuple[str, str], None] = {}
    for comparison in comparisons:
        kind = _kind_of(comparison)
        if kind is None:
            continue
        for literal in _literals(comparison):
            text = unquote(literal)
            value = normalise(kind, text)
            if value is not None:
                found[(kind, value)] = None
            elif kind in NETWORK_KINDS:
                network = normalise_network(kind, text)
                if network is not None:
                    found[network] = None
    return list(found)


def normalise_network(kind: str, value: str) -> tuple[str, str] | None:
    """An address range as indexed: ``("ipv4-net", "10.0.0.0/8")``; a /32 (/128) is its
    address. None if ``value`` is not a range of that family."""
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None
    if (network.version == 4) != (kind == "ipv4"):
        return None
    if network.num_addresses == 1:
        return kind, str(network.network_address)
    return NETWORK_KINDS[kind], str(network)


def network_keys(kind: str, address: str, lengths: Iterable[int]) -> dict[int, str]:
    """The index keys of the ranges of ``lengths`` bits that hold ``address``, with each
    range's text: one key a prefix length stored (``sharing_observable_prefixes``)."""
    net_kind = NETWORK_KINDS[kind]
    return {key(net_kind, text): text for text in networks_of(kind, address, lengths)}


def networks_of(kind: str, address: str, lengths: Iterable[int]) -> list[str]:
    """The ranges of ``lengths`` bits that hold ``address`` (in its canonical text, as
    :func:`classify` gives it), as indexed (``10.0.0.0/8``)."""
    family, bits = (socket.AF_INET, 32) if kind == "ipv4" else (socket.AF_INET6, 128)
    value = -1
    found = []
    for length in lengths:
        if kind == "ipv4" and length in OCTETS:
            # Whole octets: the canonical text's own (four decimal octets without leading
            # zeros), as ``inet_ntop`` writes them; a look-up asks this of thousands of
            # addresses at each length stored.
            dropped, tail = OCTETS[length]
            found.append(address.rsplit(".", dropped)[0] + tail)
            continue
        if value < 0:
            value = int.from_bytes(socket.inet_pton(family, address), "big")
        if 0 <= length < bits:
            first = value & (((1 << bits) - 1) ^ ((1 << (bits - length)) - 1))
            found.append(f"{socket.inet_ntop(family, first.to_bytes(bits // 8, 'big'))}/{length}")
    return found


# A digest per kind indexed, fed its ``kind\x00`` (only ever copied, never updated: safe to
# share between threads).
_SEEDED = {kind: _SHA256(f"{kind}\x00".encode()) for kind in KINDS | set(NETWORK_KINDS.values())}


# A whole-octet prefix length: the octets the range's text drops from the address, and what
# it writes in their place.
OCTETS = {8: (3, ".0.0.0/8"), 16: (2, ".0.0/16"), 24: (1, ".0/24")}


def prefix_length(value: str) -> int:
    """The prefix length of an indexed range's text (``10.0.0.0/8``: 8)."""
    return int(value.rsplit("/", 1)[1])


def _kind_of(comparison: Comparison) -> str | None:
    # By type and path: an indicator feed repeats a few (file:hashes.'SHA-256', url:value).
    at = (comparison.object_type, comparison.path)
    if at in _KINDS_AT:
        return _KINDS_AT[at]
    kind = _kind_at(comparison)
    if len(_KINDS_AT) < 4096:
        _KINDS_AT[at] = kind
    return kind


_KINDS_AT: dict[tuple[str, tuple[object, ...]], str | None] = {}


def _kind_at(comparison: Comparison) -> str | None:
    path = comparison.path
    if len(path) == 2 and path[0] == "hashes" and isinstance(path[1], str):
        return HASH_KINDS.get(path[1].upper().replace("-", ""))
    if path == ("value",):
        return _VALUE_KINDS.get(comparison.object_type)
    return None


def _literals(comparison: Comparison) -> list[str]:
    if comparison.operator in ("=", "ISSUBSET") and comparison.value.startswith("'"):
        return [comparison.value]
    if comparison.operator == "IN":
        return LITERAL.findall(comparison.value)
    return []


def normalise(kind: str, value: str) -> str | None:
    """The canonical text of ``value`` as a ``kind``; None if it is not one."""
    value = value.strip()
    if kind in _HASH_KIND_NAMES:
        return value.lower() if _HEX.match(value) else None
    if kind in ("ipv4", "ipv6"):
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return None  # a network (10.0.0.0/8) is not one address: not indexed
        return str(address) if (address.version == 4) == (kind == "ipv4") else None
    if kind == "url":
        try:
            parts = urlsplit(value)
        except ValueError:
            return None
        return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))
    if kind == "domain":
        return value.lower().rstrip(".") or None
    return value.lower() if "@" in value else None


def classify(value: str) -> tuple[str, str]:
    """What a value someone looks up is (a hash, an address, a domain, a URL) and its form."""
    return _classify(value, {})


def classify_all(values: Iterable[str]) -> tuple[dict[str, tuple[str, str]], dict[str, str | None]]:
    """Each distinct value's :func:`classify`, and the host of each URL among them by its
    normal form (``urlsplit(url).hostname``): a URL is split once, not again for its host's
    look-up and for the warninglists."""
    classified: dict[str, tuple[str, str]] = {}
    hosts: dict[str, str | None] = {}
    for value in values:
        if value not in classified:
            classified[value] = _classify(value, hosts)
    return classified, hosts


# A URL whose normal form is plain to write: a scheme, a host name of letters, digits, dots
# and hyphens (no port, user or brackets), then a path, a non-empty query and a non-empty
# fragment of printable ASCII. For such a URL, ``urlsplit`` and ``urlunsplit`` (below) give
# the scheme and host lower-cased and the rest as it is; ``tests/sharing/test_lookup.py``
# checks the two agree. Splitting cost more than the rest of classifying a URL, and the
# attempt to read it as an IPv6 address (it holds a colon) as much again.
_PLAIN_URL = re.compile(
    r"([A-Za-z][A-Za-z0-9+.-]*)://([A-Za-z0-9.-]+)"
    r"((?:/[!-\"$->@-~]*)?(?:\?[!-\"$-~]+)?(?:#[!-~]+)?)"
)


def _classify(value: str, hosts: dict[str, str | None]) -> tuple[str, str]:
    text = value.strip()
    if len(text) in _HEX_LENGTHS and _HEX.match(text):
        return _HEX_LENGTHS[len(text)], text.lower()
    # Only a URL holds "://": an address or a name is not tried as one (the attempt reads it
    # to its end as a scheme, then again from each of its characters).
    plain = _PLAIN_URL.fullmatch(text) if "://" in text else None
    if plain is not None:
        host = plain[2].lower()
        normal = f"{plain[1].lower()}://{host}{plain[3]}"
        hosts[normal] = host
        return "url", normal
    address = _address(text)
    if address is not None:
        return address
    if "://" in text:
        try:
            parts = urlsplit(text)
        except ValueError:
            parts = None
        if parts is not None:
            # As ``normalise("url", text)``. With a host, the normal form splits into the same
            # host; without one, a path of ``//a`` may become one (``x:////a``): split again.
            lowered = SplitResult(
                parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment
            )
            normal = urlunsplit(lowered)
            if normal:
                if lowered.netloc:
                    # The host a browser goes to (a backslash ends an http URL's authority),
                    # the one the URL's look-up and the warninglists read alike.
                    hosts[normal] = url_host(normal) if "\\" in normal else lowered.hostname
                return "url", normal
    elif "@" in text:
        return "email", text.lower()
    else:
        domain = text.lower().rstrip(".")
        if len(domain) <= 253 and _DOMAIN.match(domain):
            return "domain", domain
    raise InvalidInput(
        Message(
            N_("values: %(value)r is not a hash, IP address, domain name, URL or e-mail address"),
            value=value[:80],
        ),
        field="values",
    )


def _address(text: str) -> tuple[str, str] | None:
    """``text`` as an IP address in its canonical form, or None.

    An IPv4 address is read by ``inet_pton``, which takes exactly what ``ipaddress`` takes
    (four decimal octets, no leading zeros) and whose canonical text is the input itself:
    a look-up of thousands of values spent more in ``ipaddress`` and its exceptions than in
    the database. Text with a colon is left to ``ipaddress`` (IPv6 and its zones)."""
    if ":" in text:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return None
        return ("ipv4" if address.version == 4 else "ipv6"), str(address)
    if not text or not text[-1].isdigit():
        return None
    try:
        socket.inet_pton(socket.AF_INET, text)
    except OSError:
        return None
    return "ipv4", text
