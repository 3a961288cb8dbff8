"""Warninglists: MISP's own lists load in their format; known-benign values are flagged on
look-ups; operators load, turn off and remove lists; bad lists are refused whole."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import InvalidInput
from accord.identity.policy import SYSTEM
from accord.sharing import lookup, warninglist_format, warninglists
from accord.sharing.models import Warninglist, WarninglistEntry
from accord.sharing.tlp import Tlp
from tests.cli.here import accord_here
from tests.factories import Factories, csrf_of
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld
from tests.sharing.test_lookup import TAXII

DATA = Path(__file__).parent.parent / "data" / "misp-warninglists"
# MISP/misp-warninglists at 84f0610a: entries in each list.json.
COUNTS = {
    "amazon-aws": 3847,
    "empty-hashes": 6,
    "google-gcp": 471,
    "public-dns-v4": 62745,
    "public-dns-v6": 269,
    "rfc1918": 3,
    "rfc5735": 15,
    "rfc6598": 1,
    "tlds": 1438,
}
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
RESOLVERS = "List of known IPv4 public DNS resolvers"
RFC1918 = "List of RFC 1918 CIDR blocks"


def _raw(name: str) -> bytes:
    folder = DATA / "lists" / name
    plain = folder / "list.json"
    return (
        plain.read_bytes()
        if plain.exists()
        else gzip.decompress((folder / "list.json.gz").read_bytes())
    )


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_every_misp_list_loads_in_its_own_format(name: str) -> None:
    raw = _raw(name)
    # MISP's own schema accepts the file (the format read is MISP's, not one of ours) ...
    jsonschema.validate(json.loads(raw), json.loads((DATA / "schema.json").read_text()))
    # ... and so does the hub, every entry kept.
    parsed = warninglists.read_file(raw, source=name)
    assert len(parsed.entries) == COUNTS[name]
    assert parsed.list_type in warninglists.TYPES


def test_the_shared_folder_holds_no_list_the_test_misses() -> None:
    assert sorted(p.name for p in (DATA / "lists").iterdir()) == sorted(COUNTS)


def test_known_benign_values_are_flagged() -> None:
    lists = [warninglists.read_file(_raw(n), source=n) for n in sorted(COUNTS)]
    matcher = warninglists.Matcher(lists)
    assert matcher.entries == sum(COUNTS.values())
    aws = "List of known Amazon AWS IP address ranges"
    assert [p.name for p in lists if p.name == aws] == [aws]
    cases: dict[tuple[str, str], list[str]] = {
        ("ipv4", "8.8.8.8"): [RESOLVERS],
        ("ipv4", "10.20.30.40"): [RFC1918, "List of RFC 5735 CIDR blocks"],
        ("ipv4", "100.64.0.1"): ["List of RFC 6598 CIDR blocks"],
        ("ipv6", "2001:4860:4860::8888"): ["List of known IPv6 public DNS resolvers"],
        ("sha256", EMPTY_SHA256): ["List of known hashes for empty files"],
        ("domain", "com"): ["TLDs as known by IANA"],
        ("ipv4", "198.51.100.77"): ["List of RFC 5735 CIDR blocks"],  # TEST-NET-2
        ("ipv4", "185.220.101.1"): [],
        ("domain", "evil.example"): [],
        ("md5", EMPTY_SHA256[:32]): [],
    }
    for (kind, value), expected in cases.items():
        assert sorted(matcher.match(kind, value)) == sorted(expected), (kind, value)
    # A list applies to the kinds its matching_attributes name: the resolvers list is for
    # addresses, so the text "8.8.8.8" as a URL's host is an address and still found.
    assert RESOLVERS in matcher.match("url", "http://8.8.8.8/dns-query")


def test_every_type_matches_as_misp_describes() -> None:
    def one(kind: str, entries: list[str], attributes: list[str]) -> warninglists.Parsed:
        return warninglists.parse(
            {"name": kind, "type": kind, "list": entries, "matching_attributes": attributes,
             "description": "", "version": 1}
        )  # fmt: skip

    matcher = warninglists.Matcher(
        [
            one("hostname", ["Example.ORG."], ["domain", "url"]),
            one("substring", ["cdn-"], ["domain"]),
            one("regex", ["/^ads[0-9]+\\./i"], ["domain"]),
            one("cidr", ["192.0.2.0/25", "2001:db8::/32"], ["ip-dst"]),
            one("string", ["Bad@Example.net"], []),  # no attributes: every kind
        ]
    )
    assert matcher.match("domain", "www.example.org") == ["hostname"]
    assert matcher.match("domain", "notexample.org") == []
    assert matcher.match("url", "https://a.example.org/x") == ["hostname"]
    assert matcher.match("domain", "img.cdn-host.example") == ["substring"]
    assert matcher.match("domain", "ADS12.tracker.example") == ["regex"]
    assert matcher.match("ipv4", "192.0.2.127") == ["cidr"]
    assert matcher.match("ipv4", "192.0.2.128") == []
    assert matcher.match("ipv6", "2001:db8:ffff::1") == ["cidr"]
    assert matcher.match("email", "bad@example.net") == ["string"]
    assert matcher.match("sha256", "cdn-" + "0" * 60) == []  # substring is for domains only


def test_nested_and_overlapping_ranges_answer_every_list() -> None:
    lists = [
        warninglists.parse({"name": "wide", "type": "cidr", "list": ["10.0.0.0/8"]}),
        warninglists.parse({"name": "narrow", "type": "cidr", "list": ["10.1.0.0/16", "10.1.2.3"]}),
        warninglists.parse({"name": "edge", "type": "cidr", "list": ["10.255.255.255/32"]}),
    ]
    matcher = warninglists.Matcher(lists)
    assert matcher.match("ipv4", "10.1.2.3") == ["wide", "narrow"]
    assert matcher.match("ipv4", "10.2.0.0") == ["wide"]
    assert matcher.match("ipv4", "10.255.255.255") == ["wide", "edge"]
    assert matcher.match("ipv4", "11.0.0.0") == []
    assert matcher.match("ipv4", "9.255.255.255") == []


def test_the_lists_in_force_answer_as_their_two_matchers_did() -> None:
    # ``Lists`` joins the shipped lists' matcher and the stored lists' into one: each value
    # must be held by the same lists, named in the same order, as when each was asked apart.
    shipped = warninglists.shipped_matcher()

    def one(name: str, kind: str, entries: list[str], attributes: list[str]) -> Any:
        return warninglists.parse(
            {"name": name, "type": kind, "list": entries, "matching_attributes": attributes}
        )

    stored = warninglists.Matcher(
        [
            one("ours", "cidr", ["8.8.0.0/16", "10.1.0.0/16", "2001:4860::/32"], []),
            one("hosts", "hostname", ["example.com", "Google.com"], ["domain", "url"]),
            one("strings", "string", ["8.8.8.8", EMPTY_SHA256, "a@b.example"], []),
            one("parts", "substring", ["tracker"], ["domain", "url"]),
            one("patterns", "regex", ["/^ads[0-9]+\\./i"], ["domain"]),
        ]
    )
    joined = warninglists.Lists(shipped, stored)
    values = [("ipv4", "8.8.8.8"), ("ipv4", "8.8.4.4"), ("ipv4", "10.1.2.3"), ("ipv4", "10.2.0.1"),
              ("ipv4", "203.0.113.9"), ("ipv6", "2001:4860:4860::8888"), ("ipv6", "2001:db8::1"),
              ("domain", "www.example.com"), ("domain", "com"), ("domain", "ads1.tracker.example"),
              ("domain", "google.com"), ("url", "http://8.8.8.8/q"), ("url", "https://google.com/x"),
              ("url", "http://tracker.example/"), ("url", "http://[2001:4860::1]/"),
              ("sha256", EMPTY_SHA256), ("email", "a@b.example"), ("md5", "0" * 32)]  # fmt: skip
    flagged = joined.flags(values, {})
    for kind, value in values:
        expected = shipped.match(kind, value) + stored.match(kind, value)
        assert joined.match(kind, value) == expected, value
        assert flagged.get((kind, value), []) == expected, value
    assert len(flagged) >= 12
    assert joined.entries == shipped.entries + stored.entries


def test_the_matcher_is_built_again_exactly_when_a_list_changes(db: Session) -> None:
    def hosts(name: str, entries: list[str]) -> warninglists.Parsed:
        return warninglists.parse({"name": name, "type": "hostname", "list": entries})

    first = warninglists.matcher(db)
    assert warninglists.matcher(db) is first  # nothing changed: the same, not built again
    changes = [
        lambda: warninglists.load(db, actor=SYSTEM, parsed=hosts("ours", ["a.example"])),
        lambda: warninglists.load(db, actor=SYSTEM, parsed=hosts("ours", ["b.example"])),
        lambda: warninglists.set_enabled(db, actor=SYSTEM, name="ours", enabled=False),
        lambda: warninglists.set_enabled(db, actor=SYSTEM, name="ours", enabled=True),
        lambda: warninglists.set_enabled(db, actor=SYSTEM, name=RFC1918, enabled=False),
        lambda: warninglists.set_enabled(db, actor=SYSTEM, name=RFC1918, enabled=True),
        lambda: warninglists.remove(db, actor=SYSTEM, name="ours"),
    ]
    answers = [
        (["ours"], []), ([], ["ours"]), ([], []), ([], ["ours"]),
        ([], ["ours"]), ([], ["ours"]), ([], []),
    ]  # fmt: skip
    rfc1918 = [True, True, True, True, False, True, True]
    before = first
    for change, (on_a, on_b), shipped_on in zip(changes, answers, rfc1918, strict=True):
        change()
        db.flush()
        after = warninglists.matcher(db)
        assert after is not before
        assert after.match("domain", "a.example") == on_a
        assert after.match("domain", "b.example") == on_b
        assert (RFC1918 in after.match("ipv4", "10.0.0.1")) == shipped_on
        assert warninglists.matcher(db) is after
        before = after


def test_a_change_stamped_by_a_clock_behind_is_seen(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each process keeps its matcher while the stored lists' signature (count, latest change,
    # latest id) stays the same. A list turned off by another process (a web worker or the
    # command line on a host) whose clock is behind the last change's left that signature as
    # it was: every process kept flagging values with the list turned off.
    def hosts(name: str, entries: list[str]) -> warninglists.Parsed:
        return warninglists.parse({"name": name, "type": "hostname", "list": entries})

    warninglists.load(db, actor=SYSTEM, parsed=hosts("ours", ["a.example"]))
    warninglists.load(db, actor=SYSTEM, parsed=hosts("theirs", ["b.example"]))
    db.flush()
    assert warninglists.matcher(db).match("domain", "a.example") == ["ours"]
    behind = utcnow() - timedelta(hours=1)
    monkeypatch.setattr(warninglists, "utcnow", lambda: behind)
    warninglists.set_enabled(db, actor=SYSTEM, name="ours", enabled=False)
    db.flush()
    assert warninglists.matcher(db).match("domain", "a.example") == []
    warninglists.load(db, actor=SYSTEM, parsed=hosts("theirs", ["c.example"]))  # same size
    db.flush()
    assert warninglists.matcher(db).match("domain", "c.example") == ["theirs"]
    assert warninglists.matcher(db).match("domain", "b.example") == []


def test_a_url_is_matched_by_the_host_a_browser_goes_to() -> None:
    # A browser ends an http(s) URL's authority at a backslash: the first goes to
    # evil.example, not to the private address ``urlsplit`` reads after the "@". Flagged as on
    # the private ranges' list, it was left out of the block-list feeds.
    lists = warninglists.Lists(warninglists.shipped_matcher(), warninglists.Matcher([]))
    disguised = "http://evil.example\\@10.0.0.1/login"
    private = "HTTPS://10.0.0.1\\@evil.example/login"
    classified, hosts = lookup.classify_all([disguised, private])
    pairs = [classified[disguised], classified[private]]
    assert lists.match(*pairs[0]) == []
    assert RFC1918 in lists.match(*pairs[1])
    assert list(lists.flags(pairs, hosts)) == [pairs[1]]
    # Other schemes keep the backslash in the authority, as browsers do.
    assert RFC1918 in lists.match("url", "git://a\\@10.0.0.1/x")


def test_a_bad_list_is_refused_with_each_mistake_and_nothing_stored(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    bad = {
        "name": "Broken",
        "type": "cidr",
        "list": ["10.0.0.0/8", "10.0.0.0/33", "not an address", 7, "192.0.2.1"],
        "colour": "red",
    }
    with pytest.raises(InvalidInput) as caught:
        warninglists.parse(bad)
    message = caught.value.message
    assert "unknown keys: colour" in message
    assert "list[1]: '10.0.0.0/33' is not an address or CIDR range" in message
    assert "list[2]: 'not an address' is not an address or CIDR range" in message
    assert "list[3]: an entry must be a text" in message
    assert "list[0]" not in message
    assert "list[4]" not in message
    many = {"name": "Many", "type": "regex", "list": [f"([a-z]{i}" for i in range(50)]}
    with pytest.raises(InvalidInput, match="and 30 more entries like these"):
        warninglists.parse(many)
    with pytest.raises(InvalidInput, match="type: one of string, substring"):
        warninglists.parse({"name": "x", "type": "glob", "list": []})
    with pytest.raises(InvalidInput, match="not JSON"):
        warninglists.read_file(b"{", source="upload")
    assert db.scalar(select(func.count()).select_from(Warninglist)) == 0


def test_a_huge_list_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # The limit is read where the format is checked.
    monkeypatch.setattr(warninglist_format, "MAX_ENTRIES", 1000)
    with pytest.raises(InvalidInput, match="1,001 entries, more than the 1,000 allowed"):
        warninglists.parse({"name": "big", "type": "string", "list": [str(i) for i in range(1001)]})


def _share(client: TestClient, world: SharingWorld, *objects: dict[str, Any]) -> None:
    response = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*objects),
        headers={**TAXII, **world.bearer("producer")},
    )
    assert response.json()["failure_count"] == 0, response.text


def _lookup(client: TestClient, world: SharingWorld, *values: str) -> list[dict[str, Any]]:
    found = client.post(
        "/api/v1/sharing/lookup", json={"values": list(values)}, headers=world.bearer("community")
    )
    assert found.status_code == 200, found.text
    return list(found.json())


def test_lookup_names_the_lists_holding_a_value(client: TestClient, world: SharingWorld) -> None:
    _share(client, world, stixgen.indicator("8.8.8.8", kind="ipv4", tlp=Tlp.GREEN, name="dns"))
    resolver, private, clean = _lookup(client, world, "8.8.8.8", "10.9.8.7", "203.0.113.200")
    assert resolver["warninglists"] == [RESOLVERS]
    assert [i["name"] for i in resolver["indicators"]] == ["dns"]  # flagged, still shown
    assert RFC1918 in private["warninglists"]
    assert clean["warninglists"] == ["List of RFC 5735 CIDR blocks"]  # TEST-NET-3


def test_operators_load_turn_off_and_remove_lists(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session], db: Session
) -> None:
    make.session(client, make.user("oper", operator=True))
    page = client.get("/admin/sharing/warninglists")
    assert page.status_code == 200
    assert RESOLVERS in page.text
    document = {
        "name": "Our mail relays",
        "type": "cidr",
        "list": ["203.0.113.0/28"],
        "description": "",
        "version": 3,
        "matching_attributes": ["ip-src", "ip-dst"],
    }
    loaded = client.post(
        "/admin/sharing/warninglists",
        data={"document": json.dumps(document), "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert loaded.status_code == 303
    with unit_of_work(session_factory) as reading:
        assert warninglists.matcher(reading).match("ipv4", "203.0.113.5") == [
            "List of RFC 5735 CIDR blocks",
            "Our mail relays",
        ]
    # A broken list comes back with its mistake beside the field, the text kept.
    page = client.get("/admin/sharing/warninglists")
    refused = client.post(
        "/admin/sharing/warninglists",
        data={"document": '{"name": "x", "type": "cidr", "list": ["300.0.0.1"]}',
              "csrf_token": csrf_of(page.text)},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "list[0]: &#39;300.0.0.1&#39; is not an address or CIDR range" in refused.text
    assert "300.0.0.1" in refused.text
    token = csrf_of(refused.text)
    off = client.post(
        f"/admin/sharing/warninglists/{RFC1918}/disable", data={"csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert off.status_code == 303
    with unit_of_work(session_factory) as reading:
        assert RFC1918 not in warninglists.matcher(reading).match("ipv4", "10.0.0.1")
    client.post("/admin/sharing/warninglists/Our mail relays/remove", data={"csrf_token": token})
    client.post(f"/admin/sharing/warninglists/{RFC1918}/enable", data={"csrf_token": token})
    with unit_of_work(session_factory) as reading:
        matcher = warninglists.matcher(reading)
        assert matcher.match("ipv4", "203.0.113.5") == ["List of RFC 5735 CIDR blocks"]
        assert RFC1918 in matcher.match("ipv4", "10.0.0.1")
    db.rollback()
    assert db.scalar(select(func.count()).select_from(WarninglistEntry)) == 0


def test_members_may_not_change_lists(client: TestClient, make: Factories) -> None:
    member = make.user("someone")
    make.session(client, member)
    assert client.get("/admin/sharing/warninglists").status_code == 403


@pytest.mark.slow
def test_cli_loads_replaces_and_refuses(settings: Settings, tmp_path: Path, db: Session) -> None:
    shipped = tmp_path / "aws.json.gz"
    shipped.write_bytes(gzip.compress(_raw("amazon-aws")))
    newer = tmp_path / "rfc1918.json"
    newer.write_bytes(_raw("rfc1918").replace(b'"10.0.0.0/8",', b""))
    done = accord_here(settings, "sharing", "warninglists", "load", str(shipped), str(newer))
    assert done.returncode == 0, done.stderr
    assert "List of known Amazon AWS IP address ranges: 3,847 entries (cidr)" in done.stdout
    listed = accord_here(settings, "sharing", "warninglists", "list")
    assert f"{RFC1918}\tcidr\t2\ton\tdefault, replaced" in listed.stdout
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"name": "b", "type": "cidr", "list": ["10.0.0.0/99"]}))
    refused = accord_here(settings, "sharing", "warninglists", "load", str(shipped), str(broken))
    assert refused.returncode != 0
    assert refused.stderr.count("\n") == 1
    assert "list[0]: '10.0.0.0/99' is not an address or CIDR range" in refused.stderr
    gone = accord_here(settings, "sharing", "warninglists", "remove", "nothing by this name")
    assert gone.returncode != 0
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Warninglist)) == 2  # broken: none stored


def test_the_defaults_ship_with_their_source(db: Session) -> None:
    notice = Path(warninglists.__file__).parent / "data" / "warninglists" / "NOTICE"
    assert "CC0-1.0" in notice.read_text()
    names = {info.name for info in warninglists.listing(db)}
    assert {RESOLVERS, RFC1918, "List of known hashes for empty files"} <= names


def test_loading_needs_an_operator(db: Session) -> None:
    parsed = warninglists.parse({"name": "n", "type": "string", "list": ["a"]})
    from accord.errors import Forbidden
    from accord.identity.policy import Actor

    with pytest.raises(Forbidden):
        warninglists.load(db, actor=Actor(user_id=5, username="x"), parsed=parsed)
    warninglists.load(db, actor=SYSTEM, parsed=parsed)
    db.rollback()
