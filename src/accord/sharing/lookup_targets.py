"""Which index entries answer which values asked: a value's own ``(kind, value)``, the
ranges holding an address at each prefix length stored, a URL's host (and the ranges holding
it when it is an address), each with what it was found through (``via``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import InvalidInput
from accord.sharing import lookup
from accord.sharing.models import ObservablePrefix

Pair = tuple[str, str]
Targets = dict[Pair, list[tuple[Pair, str | None]]]


def prefix_lengths(db: Session) -> dict[str, list[int]]:
    """The prefix lengths of the ranges stored, by kind (``ipv4-net``, ``ipv6-net``)."""
    found: dict[str, list[int]] = {}
    for kind, length in db.execute(select(ObservablePrefix.kind, ObservablePrefix.length)):
        found.setdefault(kind, []).append(length)
    return found


# The kinds whose values may lie in a stored range: addresses, and URLs whose host is one
# (a URL asked alone, without an address beside it, missed the range holding its host).
ADDRESS_KINDS = frozenset(lookup.NETWORK_KINDS) | {"url"}


def targets(
    asked: Iterable[Pair],
    lengths: dict[str, list[int]],
    hosts: Mapping[str, str | None],
    stored: frozenset[Pair] | None = None,
) -> Targets:
    """Each indexed (kind, value) to find, and the values asked it answers, with how
    (``via``: the range or host it was found through, None for the value itself): what
    :func:`related_to` lists for each value asked, gathered in one loop without a list a value
    (a look-up asks thousands, most of them one address or one host). ``stored``: the ranges
    stored (``lookup_ranges``), when known: no other range is sought."""
    targets: Targets = {}
    v4_lengths = lengths.get("ipv4-net", ())
    networks_of = lookup.networks_of
    # When every IPv4 range stored is of whole octets (/8, /16, /24: what feeds hold), the
    # ranges holding an address are cut from its text here, in ``networks_of``'s order,
    # without a call and a list an address (a look-up asks thousands of addresses).
    octets = (
        [lookup.OCTETS[n] for n in v4_lengths]
        if all(n in lookup.OCTETS for n in v4_lengths)
        else None
    )
    get = targets.get
    for pair in asked:
        kind = pair[0]
        listed = get(pair)
        if listed is None:
            targets[pair] = [(pair, None)]
        else:
            listed.append((pair, None))
        related: list[tuple[Pair, str | None]]
        if kind == "ipv4" and octets is not None:
            address = pair[1]
            for dropped, tail in octets:
                text = address.rsplit(".", dropped)[0] + tail
                found = ("ipv4-net", text)
                if stored is not None and found not in stored:
                    continue
                listed = get(found)
                if listed is None:
                    targets[found] = [(pair, text)]
                else:
                    listed.append((pair, text))
            continue
        if kind == "ipv4":
            related = [
                (("ipv4-net", text), text) for text in networks_of(kind, pair[1], v4_lengths)
            ]
        elif kind == "url":
            related = host_related(pair[1], lengths, hosts)
        elif kind == "ipv6":
            related = related_to(*pair, lengths, hosts)[1:]
        else:
            continue
        for found, via in related:
            if stored is not None and found[0] in _RANGE_KINDS and found not in stored:
                continue
            listed = targets.get(found)
            if listed is None:
                targets[found] = [(pair, via)]
            else:
                listed.append((pair, via))
    return targets


_RANGE_KINDS = frozenset(lookup.NETWORK_KINDS.values())


def related_to(
    kind: str, normal: str, lengths: dict[str, list[int]], hosts: Mapping[str, str | None]
) -> list[tuple[tuple[str, str], str | None]]:
    """The indexed values that answer a value asked: itself, ranges, a URL's host (``hosts``:
    the hosts of URLs already split, by their normal form)."""
    related: list[tuple[tuple[str, str], str | None]] = [((kind, normal), None)]
    if kind in lookup.NETWORK_KINDS:
        net_kind = lookup.NETWORK_KINDS[kind]
        for text in lookup.networks_of(kind, normal, lengths.get(net_kind, ())):
            related.append(((net_kind, text), text))
    elif kind == "url":
        related.extend(host_related(normal, lengths, hosts))
    return related


def host_related(
    url: str, lengths: dict[str, list[int]], hosts: Mapping[str, str | None]
) -> list[tuple[tuple[str, str], str | None]]:
    """The indexed values that answer a URL through its host (a domain name, or an address
    and the ranges holding it), each with what it was found through."""
    if url in hosts:
        host = hosts[url]
    else:
        try:
            host = urlsplit(url).hostname
        except ValueError:  # a normal form that splits no more (``//[``): no host
            host = None
    if not host:
        return []
    try:
        host_kind, host_normal = lookup.classify(host.strip("[]"))
    except InvalidInput:  # a host that is no domain or address: nothing more
        return []
    if host_kind == "domain":  # most hosts: no ranges to add
        return [((host_kind, host_normal), host_normal)]
    if host_kind in ("ipv4", "ipv6"):
        return [
            (found, via or host_normal)
            for found, via in related_to(host_kind, host_normal, lengths, hosts)
        ]
    return []
