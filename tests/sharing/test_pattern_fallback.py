"""A pattern the fast path cannot take apart goes to stix2-patterns' own validator, whose hash
check raised on a list index after ``hashes`` (``'int' object has no attribute 'upper'``): such
a pattern is checked as the fast path checks one, and its envelope is answered, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient
from stix2patterns.validator import run_validator

from accord.sharing import patterns
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

# The placeholder character in a literal sends a pattern past the fast path (patterns._MARK).
FALLS_BACK = "[file:hashes[0] = 'x' AND file:name = '\u00a7']"
TAKEN_APART = "[file:hashes[0] = 'x' AND file:name = 'a']"


def test_the_library_raises_where_the_fallback_answers() -> None:
    try:
        run_validator(FALLS_BACK, stix_version="2.1")
    except AttributeError:
        pass
    else:  # a release of stix2-patterns that checks it: this fallback is then unused
        raise AssertionError("stix2-patterns now checks a list index after hashes")
    fell_back, taken_apart = patterns.check(FALLS_BACK), patterns.check(TAKEN_APART)
    assert fell_back.errors == taken_apart.errors == ()
    assert [c.path for c in fell_back.comparisons] == [c.path for c in taken_apart.comparisons]
    assert fell_back.comparisons[1].value == "'\u00a7'"
    bad_hash = patterns.check(FALLS_BACK[:-1] + " AND file:hashes.MD5 = 'zz']")
    assert bad_hash.errors == ("FAIL: 'zz' is not a valid MD5 hash",)


def test_an_envelope_holding_it_is_answered(client: TestClient, world: SharingWorld) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    headers = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}
    headers.update(world.bearer("producer"))
    # Built with a plain pattern, then given this one (the stix2 library would raise too).
    envelope = stixgen.envelope({**stixgen.indicator(), "pattern": FALLS_BACK})
    posted = client.post(url, json=envelope, headers=headers)
    assert posted.status_code == 202, posted.text
    assert posted.json()["success_count"] == 1
