"""The look-up's shortcuts answer as the long ways do: keys from pre-fed digests, the ranges
holding an address cut from its text, warninglists' quick refusals of names no list holds."""

from __future__ import annotations

import hashlib
import ipaddress
import random

import pytest

from accord.sharing import lookup, lookup_targets, warninglists
from tests.sharing.test_warninglists import COUNTS, _raw

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789.-_:/é\x00"


def test_keys_are_each_values_digest_whatever_its_kind() -> None:
    rng = random.Random(24)
    kinds = [*sorted(lookup.KINDS | set(lookup.NETWORK_KINDS.values())), "other", "", "ipv4\x00"]
    pairs = [
        (rng.choice(kinds), "".join(rng.choices(_ALPHABET, k=rng.randrange(0, 90))))
        for _ in range(3000)
    ]
    expected = [
        int.from_bytes(hashlib.sha256(f"{k}\x00{v}".encode()).digest()[:8], "big", signed=True)
        for k, v in pairs
    ]
    assert lookup.keys(pairs) == expected
    assert lookup.keys(pairs) == expected  # the shared digests are copied, never fed
    assert [lookup.key(k, v) for k, v in pairs] == expected


def _reference(
    asked: list[tuple[str, str]], lengths: dict[str, list[int]], hosts: dict[str, str | None]
) -> lookup_targets.Targets:
    """The targets as each value's ``related_to`` lists them, gathered in order."""
    found: lookup_targets.Targets = {}
    for pair in asked:
        for target, via in lookup_targets.related_to(*pair, lengths, hosts):
            found.setdefault(target, []).append((pair, via))
    return found


@pytest.mark.parametrize(
    "v4_lengths", [[24, 16], [16, 24, 8], [24], [], [24, 20], [8, 32], [0, 16], [31, 24]]
)
def test_targets_are_what_each_value_relates_to(v4_lengths: list[int]) -> None:
    rng = random.Random(sum(v4_lengths) + len(v4_lengths))
    values = []
    for _ in range(400):
        address = str(ipaddress.IPv4Address(rng.getrandbits(32)))
        values.append(address)
        values.append(address.rsplit(".", 1)[0] + ".7")  # shares its /24 with another
        values.append(f"http://{address}/x")
    values += ["1.2.3.4", "1.2.3.4", "2001:db8::1", "http://[2001:db8::1]/", "evil.example"]
    classified, hosts = lookup.classify_all(values)
    asked = list(dict.fromkeys(classified.values()))
    lengths = {"ipv4-net": v4_lengths, "ipv6-net": [32, 64]}
    got = lookup_targets.targets(asked, lengths, hosts)
    assert list(got.items()) == list(_reference(asked, lengths, hosts).items())
    if 24 in v4_lengths:
        assert got[("ipv4-net", "1.2.3.0/24")] == [(("ipv4", "1.2.3.4"), "1.2.3.0/24")]


def _matchers() -> list[warninglists.Lists]:
    """MISP's own lists (tests/data) with lists of host names and strings; then with a
    substring and a regular expression too (every name may then be held)."""
    misp = [warninglists.read_file(_raw(n), source=n) for n in sorted(COUNTS)]
    ours = [
        warninglists.parse(
            {"name": "cdn", "type": "hostname", "list": ["cdn.example", "Good.Test"]}
        ),
        warninglists.parse(
            {
                "name": "urls",
                "type": "string",
                "list": ["http://exact.example/path", "listed.example"],
                "matching_attributes": ["url", "domain"],
            }
        ),
        warninglists.parse(
            {
                "name": "hosts of urls",
                "type": "hostname",
                "list": ["1"],
                "matching_attributes": ["url"],
            }
        ),
    ]
    more = [
        warninglists.parse({"name": "sub", "type": "substring", "list": ["tracker"]}),
        warninglists.parse({"name": "re", "type": "regex", "list": [r"/^ads\d+\./"]}),
    ]
    empty = warninglists.Matcher([])
    return [
        warninglists.Lists(warninglists.Matcher(misp + ours), empty),
        warninglists.Lists(warninglists.Matcher(misp), warninglists.Matcher(ours + more)),
    ]


def _names(rng: random.Random) -> list[str]:
    """Domain names and URLs, many on the lists above, through their hosts or otherwise."""
    tlds = ["com", "aaa", "example", "test", "zz"]
    hosts = [
        "cdn.example", "a.cdn.example", "good.test", "x.good.test", "listed.example",
        "tracker.example", "ads12.example", "exact.example", "nowhere.zz",
        "10.1.2.3", "8.8.8.8", "192.0.2.1", "172.32.0.1", "1.1.1.1",
        "[2001:4860:4860::8888]", "[2001:db8::1]",
    ]  # fmt: skip
    names = []
    for _ in range(1500):
        host = rng.choice(hosts) if rng.random() < 0.6 else (
            f"h{rng.randrange(99)}.{rng.choice(['cdn.example', 'b.zz', 'x'])}.{rng.choice(tlds)}"
        )  # fmt: skip
        if not host[0].isdigit() and not host.startswith("["):
            names.append(host if rng.random() < 0.5 else host.upper())
        path = rng.choice(["/path", "/", "/tracker/x", "", "/a?b=c"])
        scheme = rng.choice(["http", "HTTPS", "ftp", "git"])
        names.append(f"{scheme}://{host}{path}")
        if rng.random() < 0.05:
            names.append(f"http://evil.example\\@{host}/x")
    return [*names, "http://exact.example/path", "mailto:x@y", "file:///etc/passwd", "x:////a"]


def test_warninglist_flags_are_each_values_full_match() -> None:
    # A name is refused by a few dictionary look-ups (``may_hold_name``) before the full match:
    # each value flagged must be flagged as the full match flags it alone, and no other.
    rng = random.Random(7)
    values = _names(rng)
    classified, hosts = lookup.classify_all(values)
    pairs = list(dict.fromkeys(classified.values()))
    for lists in _matchers():
        expected = {pair: lists.match(*pair) for pair in pairs}
        expected = {pair: names for pair, names in expected.items() if names}
        assert lists.flags(pairs, hosts) == expected
        # Held through each way a name can be: its host, a parent domain, a string, an
        # address's range, a host name list of URLs only.
        assert len(expected) > 150
        for value in ["a.cdn.example", "http://x.good.test/", "http://10.1.2.3/", "listed.example",
                      "https://172.32.0.1/", "http://exact.example/path"]:  # fmt: skip
            one, its_host = lookup.classify_all([value])
            assert lists.flags([one[value]], its_host), value
