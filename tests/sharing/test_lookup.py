"""Indicator look-up: the observable index, sightings, the API and ``accord check ioc``."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import random
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import InvalidInput
from accord.sharing import lookup, patterns
from accord.sharing.models import Observable
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.sharing.tlp import Tlp
from tests.cli.here import accord_here
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}
SHA = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (f"[file:hashes.'SHA-256' = '{SHA}']", {("sha256", SHA.lower())}),
        ("[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']",
         {("md5", "d41d8cd98f00b204e9800998ecf8427e")}),
        ("[ipv6-addr:value = '2001:DB8:0:0::1']", {("ipv6", "2001:db8::1")}),
        ("[ipv4-addr:value = '10.1.0.0/8']", {("ipv4-net", "10.0.0.0/8")}),  # a range
        ("[ipv6-addr:value ISSUBSET '2001:DB8::/32']", {("ipv6-net", "2001:db8::/32")}),
        ("[ipv4-addr:value = '192.0.2.1/32']", {("ipv4", "192.0.2.1")}),  # one address
        ("[domain-name:value IN ('Evil.Example', 'b.example')]",
         {("domain", "evil.example"), ("domain", "b.example")}),
        ("[url:value = 'HTTP://Evil.Example/Path'] AND [file:name = 'x.exe']",
         {("url", "http://evil.example/Path")}),
        ("[domain-name:value != 'good.example']", set()),  # not equality
        ("[email-addr:value = 'Bad@Evil.Example']", {("email", "bad@evil.example")}),
    ],
)  # fmt: skip
def test_equality_comparisons_are_indexed(pattern: str, expected: set[tuple[str, str]]) -> None:
    assert set(lookup.observables_of(patterns.check(pattern).comparisons)) == expected


def test_classify() -> None:
    assert lookup.classify(SHA) == ("sha256", SHA.lower())
    assert lookup.classify(" 198.51.100.7 ") == ("ipv4", "198.51.100.7")
    assert lookup.classify("Evil.Example.") == ("domain", "evil.example")
    assert lookup.classify("https://EVIL.example/a") == ("url", "https://evil.example/a")
    with pytest.raises(InvalidInput):
        lookup.classify("not a value at all")
    # A newline inside is no name's: "$" matched before it, and this was the domain "a.com\n".
    for broken in ("a.com\n.", "evil.example\n\t.", "d41d8cd98f00b204e9800998ecf8427e\n."):
        with pytest.raises(InvalidInput):
            lookup.classify(broken)


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("https://EVIL.example:8443/a", "evil.example"),
        ("http://[FE80::1%25ETH0]/x", "fe80::1%25eth0"),  # the zone lowered with the URL
        ("ftp://198.51.100.7/f", "198.51.100.7"),
        ("http:///no-host", None),
    ],
)
def test_classify_all_keeps_each_urls_host_as_its_normal_form_splits(
    value: str, host: str | None
) -> None:
    classified, hosts = lookup.classify_all([value, value])
    kind, normal = classified[value]
    assert kind == "url"
    assert hosts.get(normal, urlsplit(normal).hostname) == urlsplit(normal).hostname == host


def test_plain_urls_classify_as_splitting_them_does() -> None:
    # ``_classify`` writes a plain URL's normal form without splitting it: it must be what
    # ``urlsplit`` and ``urlunsplit`` make of it (``normalise``), its host what they read.
    rng = random.Random(24)
    pieces = ["", "a", "Z", "/", "//", "?", "??", "#", "##", "%41", ":", "@", "[", "]", "-", ".",
              "~", "&x=1", "é", "\t", " ", "\x7f", "'", '"', "+", ";", "!", "$", "80"]  # fmt: skip
    urls = ["HTTP://Evil.Example/A?B#C", "https://a.example?x", "https://a.example#f",
            "https://a.example/x?", "https://a.example/x#", "https://a.example/?#",
            "x://a..b", "git+ssh://Host.example/p", "http://a.example/?q?r#s#t?"]  # fmt: skip
    for _ in range(3000):
        scheme = rng.choice(["http", "HTTPS", "a+b.c-d", "1x", "x y", ""])
        odd = ["_", ":", "@", "["] if rng.random() < 0.3 else []
        host = "".join(rng.choice(["a", "B", "-", ".", "0", *odd]) for _ in range(3))
        tail = "".join(rng.choice(pieces) for _ in range(rng.randrange(5)))
        urls.append(f"{scheme}://{host}{tail}")
    plain = 0
    for url in urls:
        try:
            classified, hosts = lookup.classify_all([url])
        except InvalidInput:
            continue
        kind, normal = classified[url]
        if kind != "url":
            continue
        assert normal == lookup.normalise("url", url), url
        if normal in hosts:
            assert hosts[normal] == urlsplit(normal).hostname, url
        plain += lookup._PLAIN_URL.fullmatch(url.strip()) is not None
    assert plain > 500  # the fast path was taken often, and checked each time


def test_ranges_holding_an_address_are_its_networks() -> None:
    rng = random.Random(24)
    for _ in range(2000):
        address = str(ipaddress.IPv4Address(rng.getrandbits(32)))
        lengths = rng.sample(range(0, 34), 6)
        expected = [
            str(ipaddress.ip_network(f"{address}/{n}", strict=False)) for n in lengths if n < 32
        ]
        assert lookup.networks_of("ipv4", address, lengths) == expected


def test_a_url_alone_finds_the_range_holding_its_address(
    client: TestClient, world: SharingWorld
) -> None:
    # The ranges' prefix lengths were read only when an address was asked: a URL whose host is
    # an address, asked alone, missed the range holding it.
    _post(client, world, stixgen.indicator("203.0.113.0/24", kind="ipv4", tlp=Tlp.GREEN))
    response = client.post(
        "/api/v1/sharing/lookup",
        json={"values": ["http://203.0.113.9/x"]},
        headers=world.bearer("producer"),
    )
    assert [hit["via"] for hit in response.json()[0]["indicators"]] == ["203.0.113.0/24"]


def test_a_url_disguised_as_a_private_address_is_looked_up_by_the_host_a_browser_goes_to(
    client: TestClient, world: SharingWorld
) -> None:
    # A browser goes to evil.example; ``urlsplit`` reads 10.0.0.1 after the "@". The look-up
    # answered the range holding 10.0.0.1 "via" it, and not the indicators of evil.example.
    _post(client, world, stixgen.indicator("10.0.0.0/8", kind="ipv4", tlp=Tlp.GREEN))
    _post(client, world, stixgen.indicator("evil.example", kind="domain", tlp=Tlp.GREEN))
    response = client.post(
        "/api/v1/sharing/lookup",
        json={"values": ["http://evil.example\\@10.0.0.1/login"]},
        headers=world.bearer("producer"),
    )
    assert response.status_code == 200, response.text
    assert [hit["via"] for hit in response.json()[0]["indicators"]] == ["evil.example"]


def test_a_url_whose_normal_form_splits_no_more_is_answered(
    client: TestClient, world: SharingWorld
) -> None:
    # Read as a URL with no scheme and no host; its normal form ``//[://x`` makes ``urlsplit``
    # raise (an unclosed IPv6 bracket): the look-up answers it with no host, no error.
    response = client.post(
        "/api/v1/sharing/lookup", json={"values": ["////[\t://x"]}, headers=world.bearer("producer")
    )
    assert response.status_code == 200, response.text
    assert response.json()[0]["kind"] == "url"
    assert response.json()[0]["indicators"] == []


def _post(client: TestClient, world: SharingWorld, *objects: dict[str, object]) -> None:
    response = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*objects),
        headers={**TAXII, **world.bearer("producer")},
    )
    assert response.json()["failure_count"] == 0, response.text


def test_lookup_finds_current_visible_indicators(
    client: TestClient, world: SharingWorld, db: Session
) -> None:
    current = stixgen.indicator(SHA.lower(), tlp=Tlp.GREEN, name="dropper")
    old, new = stixgen.versions_of(stixgen.indicator("203.0.113.9", kind="ipv4", tlp=Tlp.GREEN), 2)
    new["pattern"] = "[ipv4-addr:value = '203.0.113.10']"  # the newer version changed its value
    _post(client, world, current, old, new)
    db.rollback()
    assert db.scalar(select(Observable.kind).where(Observable.value == SHA.lower())) == "sha256"
    found = client.post(
        "/api/v1/sharing/lookup",
        json={"values": [SHA, "203.0.113.9", "203.0.113.10", "nothing.example"]},
        headers=world.bearer("community"),
    )
    assert found.status_code == 200
    results = found.json()
    assert [r["kind"] for r in results] == ["sha256", "ipv4", "ipv4", "domain"]
    assert [[i["name"] for i in r["indicators"]] for r in results] == [
        ["dropper"],
        [],  # only the current version of an indicator counts
        [new["name"]],
        [],
    ]
    bad = client.post("/api/v1/sharing/lookup", json={"values": ["%%%"]})
    assert bad.status_code == 422
    assert bad.json()["field"] == "values"


def test_a_key_shared_by_another_value_finds_nothing(
    client: TestClient, world: SharingWorld, db: Session, session_factory: sessionmaker[Session]
) -> None:
    # 64-bit keys can collide (lookup.key): a producer could search for a domain whose key is
    # a hash's. A row holding the asked hash's key but another value must not answer for it.
    _post(client, world, stixgen.indicator("decoy.example", kind="domain", tlp=Tlp.GREEN))
    db.rollback()
    decoy = db.scalars(select(Observable).where(Observable.value == "decoy.example")).one()
    with unit_of_work(session_factory) as writing:
        writing.execute(
            update(Observable)
            .where(Observable.id == decoy.id)
            .values(key=lookup.key("sha256", SHA.lower()))
        )
    found = client.post(
        "/api/v1/sharing/lookup", json={"values": [SHA]}, headers=world.bearer("producer")
    )
    assert found.status_code == 200
    assert found.json()[0]["indicators"] == []


def test_keys_are_the_first_64_bits_of_the_digest() -> None:
    digest = hashlib.sha256(b"domain\x00evil.example").digest()
    assert lookup.key("domain", "evil.example") == int.from_bytes(digest[:8], "big", signed=True)
    assert -(2**63) <= lookup.key("sha256", SHA.lower()) < 2**63  # a BIGINT holds it


def test_sightings_count_and_their_producer_sees_them_all(
    client: TestClient, world: SharingWorld
) -> None:
    indicator = stixgen.indicator(SHA.lower(), tlp=Tlp.GREEN)
    _post(
        client,
        world,
        indicator,
        stixgen.sighting(indicator["id"], count=2, tlp=Tlp.GREEN),
        stixgen.sighting(indicator["id"], count=5, tlp=Tlp.AMBER_STRICT),
    )

    def sightings(reader: str) -> int:
        body = client.post(
            "/api/v1/sharing/lookup", json={"values": [SHA]}, headers=world.bearer(reader)
        ).json()
        return int(body[0]["indicators"][0]["sightings"])

    assert sightings("producer") == 7
    assert sightings("community") == 2  # the AMBER+STRICT sighting stays with its producer


@pytest.mark.slow
def test_check_ioc_command(
    client: TestClient, world: SharingWorld, settings: Settings, db: Session
) -> None:
    _post(client, world, stixgen.indicator(SHA.lower(), tlp=Tlp.CLEAR, name="wiper"))
    _post(client, world, stixgen.indicator("evil.example", kind="domain", tlp=Tlp.AMBER))
    anonymous = accord_here(settings, "check", "ioc", SHA, "evil.example")
    assert anonymous.returncode == 1, anonymous.stderr
    assert "wiper" in anonymous.stdout
    assert "evil.example\tdomain\tnot known" in anonymous.stdout
    recipient = accord_here(settings, "check", "ioc", "evil.example", "--as", "recipient")
    assert recipient.returncode == 1
    assert "TLP:AMBER" in recipient.stdout
    clean = accord_here(settings, "check", "ioc", "198.51.100.1", "--format", "json")
    assert clean.returncode == 0
    (result,) = json.loads(clean.stdout)["results"]
    assert result["value"] == "198.51.100.1"
    assert result["indicators"] == []
    broken = accord_here(settings, "check", "ioc", "%%%")
    assert broken.returncode == 2
    assert broken.stderr.startswith("error: values:")


# The domain name's pattern as one regular expression, its length a look-ahead (before the
# length was checked apart): both must take exactly the same names.
# The single pattern the labels' pattern and the length check replaced, with ``\Z`` for its
# two ``$`` (which also matched before a final newline).
_ONE_PATTERN = r"^(?=.{1,253}\Z)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\Z"


def test_domain_names_are_the_names_the_single_pattern_took() -> None:
    import re

    generator = random.Random(11)
    names = ["a.com", "a.com\n", "a.com\n\n", "\na.com", "a" * 63 + ".com", "a" * 64 + ".com"]
    for length in range(249, 257):
        name = (("a" * 60 + ".") * 5)[: length - 4] + ".com"
        names += [name, name + "\n", name[:-1] + "\n"]
    for _ in range(20_000):
        labels = [
            "".join(generator.choice("ab-_0\n") for _ in range(generator.randint(1, 66)))
            for _ in range(generator.randint(1, 6))
        ]
        names.append(".".join(labels) + generator.choice(["", "\n", ".c", ".co", "\n\n"]))
    for name in names:
        expected = re.match(_ONE_PATTERN, name) is not None
        assert (lookup._DOMAIN.match(name) is not None and len(name) <= 253) == expected, name
        if expected:
            assert lookup.classify(name) == ("domain", name.strip()), name


@examples(max_examples=400, deadline=None)
@given(
    st.sampled_from(["'SHA-256'", "MD5", "'SHA-1'", "'SHA-512'", "SSDEEP", "sha256", "'x'"]),
    st.sampled_from(["=", "!=", "ISSUBSET", "LIKE"]),
    st.one_of(
        st.text("0123456789abcdefABCDEFg \\'\t", max_size=70),
        st.sampled_from([SHA, SHA.lower(), f" {SHA} ", "a" * 32, "A" * 40, "", "\\\\" + "a" * 62]),
    ),
)
def test_one_hash_comparison_gives_what_the_loop_gives(
    selector: str, operator: str, text: str
) -> None:
    # A tuple of one comparison takes observables_of's shortcut for one hash; a list its loop.
    for value in (f"'{text}'", text, f"'{text}"):
        path = ("hashes", selector.strip("'"))
        one = patterns.Comparison("file", path, operator, value)
        assert lookup.observables_of((one,)) == lookup.observables_of([one]), value
