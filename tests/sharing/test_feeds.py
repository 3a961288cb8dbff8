"""Ranges and URLs in look-ups, lifetimes and decay, block lists and Suricata rules."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from suricataparser import parse_rule

from accord.sharing import decay
from accord.sharing.models import ObservablePrefix
from accord.sharing.tlp import Tlp
from tests.factories import Factories, csrf_of
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld
from tests.sharing.test_lookup import TAXII

NOW = datetime.now(UTC)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def indicator(
    pattern: str,
    *,
    tlp: Tlp = Tlp.GREEN,
    name: str | None = None,
    age: timedelta = timedelta(days=1),
    valid_until: datetime | None = None,
    confidence: int | None = None,
) -> dict[str, Any]:
    obj = stixgen.indicator(pattern=pattern, tlp=tlp, name=name)
    obj["valid_from"] = _stamp(NOW - age)
    if valid_until is not None:
        obj["valid_until"] = _stamp(valid_until)
    if confidence is not None:
        obj["confidence"] = confidence
    return obj


def _share(client: TestClient, world: SharingWorld, *objects: dict[str, Any]) -> None:
    response = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*objects),
        headers={**TAXII, **world.bearer("producer")},
    )
    assert response.json()["failure_count"] == 0, response.text


def _lookup(
    client: TestClient, world: SharingWorld, *values: str, reader: str = "community", **extra: Any
) -> list[dict[str, Any]]:
    found = client.post(
        "/api/v1/sharing/lookup",
        json={"values": list(values), **extra},
        headers=world.bearer(reader),
    )
    assert found.status_code == 200, found.text
    return list(found.json())


def test_decay_follows_misps_polynomial() -> None:
    start = NOW - timedelta(days=100)
    life = decay.Lifetime(valid_from=start, valid_until=None, confidence=80)
    assert decay.score(life, now=start) == 80.0
    # delta 2: a quarter of the lifetime (30 days) halves the score: 1 - (1/4) ** (1/2).
    assert decay.score(life, now=start + timedelta(days=7.5)) == 40.0
    linear = decay.score(life, now=start + timedelta(days=15), decay_speed=1.0)
    assert linear == 40.0
    assert decay.score(life, now=start + timedelta(days=30)) == 0.0
    # A sighting resets the clock.
    seen = start + timedelta(days=29)
    assert decay.score(life, now=seen, last_sighting=seen) == 80.0
    # No confidence stated: the middle of STIX's scale.
    anonymous = decay.Lifetime(valid_from=start, valid_until=None, confidence=None)
    assert decay.score(anonymous, now=start) == decay.DEFAULT_BASE_SCORE
    # valid_until sets the lifetime, and past it the score is 0.
    short = decay.Lifetime(valid_from=start, valid_until=start + timedelta(days=4), confidence=100)
    assert decay.score(short, now=start + timedelta(days=1)) == 50.0
    assert short.expired(start + timedelta(days=4))
    assert decay.score(short, now=start + timedelta(days=5)) == 0.0


def test_an_address_finds_the_ranges_that_hold_it(
    client: TestClient, world: SharingWorld, db: Session
) -> None:
    _share(
        client,
        world,
        indicator("[ipv4-addr:value = '45.95.147.0/24']", name="c2 net"),
        indicator("[ipv4-addr:value ISSUBSET '45.95.0.0/16']", name="hoster"),
        indicator("[ipv4-addr:value = '45.95.147.236']", name="c2"),
        indicator("[ipv6-addr:value = '2a0e:97c0:3e3::/48']", name="v6 net"),
    )
    db.rollback()
    stored = {(k, n) for k, n in db.execute(select(ObservablePrefix.kind, ObservablePrefix.length))}
    assert stored == {("ipv4-net", 24), ("ipv4-net", 16), ("ipv6-net", 48)}
    inside, wider, v6, outside = _lookup(
        client, world, "45.95.147.236", "45.95.200.1", "2a0e:97c0:3e3:1::5", "45.96.0.1"
    )
    assert {(i["name"], i["via"]) for i in inside["indicators"]} == {
        ("c2", None),
        ("c2 net", "45.95.147.0/24"),
        ("hoster", "45.95.0.0/16"),
    }
    assert [i["name"] for i in wider["indicators"]] == ["hoster"]
    assert [(i["name"], i["via"]) for i in v6["indicators"]] == [("v6 net", "2a0e:97c0:3e3::/48")]
    assert outside["indicators"] == []


def test_a_url_is_looked_up_by_its_host(client: TestClient, world: SharingWorld) -> None:
    _share(
        client,
        world,
        indicator("[domain-name:value = 'login-update.example']", name="phish domain"),
        indicator("[ipv4-addr:value = '45.95.147.236']", name="c2"),
        indicator("[url:value = 'http://login-update.example/a']", name="phish url"),
    )
    by_name, by_address = _lookup(
        client, world, "http://login-update.example/a", "https://45.95.147.236:8443/gate.php"
    )
    assert {(i["name"], i["via"]) for i in by_name["indicators"]} == {
        ("phish url", None),
        ("phish domain", "login-update.example"),
    }
    assert [(i["name"], i["via"]) for i in by_address["indicators"]] == [("c2", "45.95.147.236")]
    assert by_name["indicators"][0]["url"].startswith(f"/sharing/collections/{world.collection}/")


def test_expired_indicators_leave_lookups_unless_asked_for(
    client: TestClient, world: SharingWorld
) -> None:
    _share(
        client,
        world,
        indicator(
            "[domain-name:value = 'old.example']",
            name="retired",
            age=timedelta(days=10),
            valid_until=NOW - timedelta(days=1),
        ),
    )
    assert _lookup(client, world, "old.example")[0]["indicators"] == []
    (found,) = _lookup(client, world, "old.example", include_expired=True)
    (hit,) = found["indicators"]
    assert hit["expired"] is True
    assert hit["score"] == 0.0


def test_results_are_ordered_by_decay_score(client: TestClient, world: SharingWorld) -> None:
    pattern = "[domain-name:value = 'ranked.example']"
    _share(
        client,
        world,
        indicator(pattern, name="stale", age=timedelta(days=10), confidence=90),
        indicator(pattern, name="fresh, sure", age=timedelta(hours=1), confidence=90),
        indicator(pattern, name="fresh, unsure", age=timedelta(hours=1), confidence=20),
    )
    (found,) = _lookup(client, world, "ranked.example")
    names = [i["name"] for i in found["indicators"]]
    scores = [i["score"] for i in found["indicators"]]
    assert names == ["fresh, sure", "stale", "fresh, unsure"]
    assert scores == sorted(scores, reverse=True)
    assert 30 < scores[1] < 45  # 90 x (1 - (10/30) ** 0.5) = 38.0


def _feed_world(client: TestClient, world: SharingWorld) -> None:
    _share(
        client,
        world,
        indicator("[ipv4-addr:value = '45.95.147.236']", name="c2"),
        indicator("[ipv4-addr:value = '185.220.101.0/24']", name="exit nodes"),
        indicator("[ipv6-addr:value = '2a0e:97c0:3e3::1']", name="v6"),
        indicator("[ipv4-addr:value = '8.8.8.8']", name="resolver"),  # on a warninglist
        indicator("[ipv4-addr:value = '91.92.109.14']", tlp=Tlp.AMBER, name="amber"),
        indicator(
            "[ipv4-addr:value = '5.188.206.14']",
            name="expired",
            age=timedelta(days=9),
            valid_until=NOW - timedelta(days=2),
        ),
        indicator("[domain-name:value = 'evil-cdn.example']", name='say "hi"; now'),
        indicator("[url:value = 'http://evil-cdn.example/p;x|y?q=\"1\"']", name="=cmd|x"),
        indicator("[file:hashes.'SHA-256' = '" + "ab" * 32 + "']", name="dropper"),
    )


def _feed(
    client: TestClient, world: SharingWorld, name: str, reader: str = "community", **query: str
) -> str:
    response = client.get(
        f"/api/v1/sharing/collections/{world.collection}/feeds/{name}",
        params=query,
        headers=world.bearer(reader),
    )
    assert response.status_code == 200, response.text
    return response.text


def test_block_lists_keep_to_tlp_warninglists_and_lifetimes(
    client: TestClient, world: SharingWorld
) -> None:
    _feed_world(client, world)
    assert _feed(client, world, "ip.txt").splitlines() == [
        "45.95.147.236",
        "185.220.101.0/24",
        "2a0e:97c0:3e3::1",
    ]
    # The recipient named on the collection sees the AMBER one too.
    assert "91.92.109.14" in _feed(client, world, "ip.txt", reader="recipient")
    # Anonymous readers of the public collection see CLEAR only.
    assert _feed(client, world, "ip.txt", reader="anonymous") == ""
    asked = _feed(
        client, world, "ip.txt", include_warninglisted="true", include_expired="true"
    ).splitlines()
    assert {"8.8.8.8", "5.188.206.14"} <= set(asked)
    assert _feed(client, world, "sha256.txt") == "ab" * 32 + "\n"
    rows = list(csv.DictReader(io.StringIO(_feed(client, world, "url.csv"))))
    assert [(r["value"], r["type"], r["tlp"]) for r in rows] == [
        ('http://evil-cdn.example/p;x|y?q="1"', "url", "green")
    ]
    assert rows[0]["name"] == "'=cmd|x"  # not a formula when opened in a spreadsheet
    flagged = list(
        csv.DictReader(io.StringIO(_feed(client, world, "ip.csv", include_warninglisted="true")))
    )
    by_value = {r["value"]: r["warninglists"] for r in flagged}
    assert by_value["8.8.8.8"] == "List of known IPv4 public DNS resolvers"
    assert by_value["45.95.147.236"] == ""
    missing = client.get(
        f"/api/v1/sharing/collections/{world.collection}/feeds/nothing.txt",
        headers=world.bearer("community"),
    )
    assert missing.status_code == 404
    assert missing.json()["field"] == "feed"


def test_suricata_rules_load(client: TestClient, world: SharingWorld, tmp_path: Path) -> None:
    _feed_world(client, world)
    text = _feed(client, world, "suricata.rules")
    rules = [line for line in text.splitlines() if line and not line.startswith("#")]
    parsed = [parse_rule(line) for line in rules]
    assert all(p is not None for p in parsed), rules
    assert len({p.sid for p in parsed if p}) == len(rules) == 6  # 3 addresses, DNS, TLS, HTTP
    joined = "\n".join(rules)
    assert "alert ip any any <> [185.220.101.0/24] any" in joined
    assert 'dns.query; content:"evil-cdn.example"; nocase; bsize:16;' in joined
    assert 'tls.sni; content:"evil-cdn.example"' in joined
    assert 'http.uri.raw; content:"/p|3B|x|7C|y?q=|22|1|22|"; bsize:12;' in joined
    assert "8.8.8.8" not in joined
    assert 'msg:"ACCORD TLP GREEN DNS say hi now"' in joined
    # The same rules keep their sids from one download to the next.
    assert _feed(client, world, "suricata.rules").splitlines()[4:] == text.splitlines()[4:]
    suricata = shutil.which("suricata")
    if suricata is None:
        if os.environ.get("ACCORD_REQUIRE_SURICATA"):
            pytest.fail("suricata is not installed, and CI requires it (.ci/run installs it)")
        pytest.skip("suricata is not installed: the rules were checked by suricataparser only")
    path = tmp_path / "accord.rules"
    path.write_text(text)
    checked = subprocess.run(
        [suricata, "-T", "-S", str(path), "-l", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_url_rule_names_the_host_a_browser_goes_to(
    client: TestClient, world: SharingWorld
) -> None:
    # ``urlsplit`` reads the host of this URL after the "@" (10.0.0.1); a browser ends an http
    # URL's authority at the backslash and asks evil.example for /@10.0.0.1/login. A rule on
    # urlsplit's reading never fires on the request the URL makes.
    _share(client, world, indicator(r"[url:value = 'http://evil.example\\@10.0.0.1/login']"))
    rules = [
        line
        for line in _feed(client, world, "suricata.rules").splitlines()
        if line.startswith("alert http")
    ]
    assert len(rules) == 1, rules
    assert 'http.host; content:"evil.example"; bsize:12;' in rules[0]
    assert 'http.uri.raw; content:"/@10.0.0.1/login"; bsize:16;' in rules[0]
    assert parse_rule(rules[0]) is not None


def test_the_collection_page_links_its_feeds(
    client: TestClient, world: SharingWorld, make: Factories
) -> None:
    _feed_world(client, world)
    make.session(client, world.people["community"])
    page = client.get(f"/sharing/collections/{world.collection}")
    link = f"/sharing/collections/{world.collection}/feeds/ip.txt"
    assert f'href="{link}"' in page.text
    assert "likely benign):</small>" not in page.text
    assert "(likely benign): List of known IPv4 public DNS resolvers" in page.text
    assert client.get(link).text.splitlines()[0] == "45.95.147.236"


def test_the_lookup_page_sends_values_by_post(
    client: TestClient, world: SharingWorld, make: Factories
) -> None:
    _share(client, world, indicator("[domain-name:value = 'evil-cdn.example']", tlp=Tlp.CLEAR))
    form = client.get("/sharing/lookup", params={"values": "evil-cdn.example"})
    assert 'method="post"' in form.text
    assert 'name="values" rows="6" ></textarea>' in form.text  # a value in the URL is unread
    assert "Signing in may show" in form.text
    found = client.post(
        "/sharing/lookup",
        data={"values": "evil-cdn.example\n8.8.8.8", "csrf_token": csrf_of(form.text)},
    )
    assert found.status_code == 200
    assert f'href="/sharing/collections/{world.collection}/objects/indicator--' in found.text
    assert "List of known IPv4 public DNS resolvers" in found.text
    refused = client.post("/sharing/lookup", data={"values": "evil-cdn.example"})
    assert refused.status_code == 403  # no CSRF token
    make.session(client, world.people["community"])
    signed_in = client.get("/sharing/lookup")
    assert "Signing in may show" not in signed_in.text
    bad = client.post(
        "/sharing/lookup", data={"values": "%%%", "csrf_token": csrf_of(signed_in.text)}
    )
    assert bad.status_code == 422
    assert "%%%" in bad.text
