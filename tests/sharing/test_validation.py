"""Objects are checked before they are stored, and the OASIS validator agrees with the hub.

Each invalid object below is also rejected by ``stix2-validator`` 3.2.0, so the hub's checks
are not our own reading of the spec alone; each valid one passes it.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Any

import pytest
import stix2
from antlr4 import InputStream
from fastapi.testclient import TestClient
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stix2patterns.v21.grammars.STIXPatternLexer import STIXPatternLexer
from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_instance

from accord.sharing import patterns, stix_validation
from accord.sharing.models import Observable, StixObject
from accord.sharing.stix_validation import (
    StixInvalid,
    check_identifier,
    check_object,
    format_timestamp,
    parse_timestamp,
    stix_text,
)
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


def _valid_objects() -> list[dict[str, Any]]:
    identity = stix2.v21.Identity(name="ACME CSIRT", identity_class="organization")
    malware = stix2.v21.Malware(name="Emotet", is_family=True, created_by_ref=identity)
    indicator = stix2.v21.Indicator(
        pattern="[url:value = 'http://evil.example/x'] OR [domain-name:value = 'evil.example']",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00Z",
        created_by_ref=identity,
        confidence=80,
        external_references=[{"source_name": "acme", "url": "https://acme.example/r/1"}],
    )
    yara = stix2.v21.Indicator(
        pattern="rule x { condition: true }", pattern_type="yara", valid_from="2024-01-01T00:00:00Z"
    )
    relation = stix2.v21.Relationship(indicator, "indicates", malware)
    seen = stix2.v21.Sighting(sighting_of_ref=indicator, count=3)
    address = stix2.v21.IPv4Address(value="198.51.100.3")
    report = stix2.v21.Report(
        name="Q1", published="2024-02-01T00:00:00Z", object_refs=[indicator, malware]
    )
    objs = [identity, malware, indicator, yara, relation, seen, address, report]
    return [stixgen.as_dict(o) for o in objs]


def test_valid_objects_pass_both() -> None:
    objects = _valid_objects()
    stixgen.assert_valid_stix(objects)
    for obj in objects:
        check_object(obj)


def _broken(field: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    obj = dict(base or stixgen.indicator())
    if value is _DROP:
        obj.pop(field)
    else:
        obj[field] = value
    return obj


_DROP = object()
INVALID = [
    ("id", lambda: _broken("id", _DROP)),
    ("id", lambda: _broken("id", f"malware--{uuid.uuid4()}")),
    ("id", lambda: _broken("id", "indicator--not-a-uuid")),
    ("modified", lambda: _broken("modified", "2024-01-01 00:00:00")),
    ("modified", lambda: _broken("modified", "2023-12-31T00:00:00.000Z")),
    ("spec_version", lambda: _broken("spec_version", "2.2")),
    ("spec_version", lambda: _broken("spec_version", _DROP)),
    ("pattern", lambda: _broken("pattern", "[file:hashes.'SHA-256' = 'abc']")),
    ("pattern", lambda: _broken("pattern", "file:name = 'x'")),
    ("pattern_type", lambda: _broken("pattern_type", _DROP)),
    ("confidence", lambda: _broken("confidence", 101)),
    ("external_references", lambda: _broken("external_references", [{"url": "https://x.example"}])),
    ("valid_until", lambda: _broken("valid_until", "2023-01-01T00:00:00Z")),
    ("lang", lambda: _broken("lang", "not a lang tag!")),
    ("lang", lambda: _broken("lang", "en-")),
]


# The spec says more than the validator checks (STIX 2.1, section 3.2: created_by_ref "MUST be
# an identifier of an identity object", object_marking_refs "MUST be ... marking-definition"):
# the hub refuses these, stix2-validator 3.2.0 lets them through.
STRICTER = [
    ("created_by_ref", lambda: _broken("created_by_ref", f"malware--{uuid.uuid4()}")),
    ("object_marking_refs", lambda: _broken("object_marking_refs", [f"identity--{uuid.uuid4()}"])),
    (
        "granular_markings",
        lambda: _broken("granular_markings", [{"lang": "not a lang tag!", "selectors": ["name"]}]),
    ),
]


# From OASIS's example bundles (cti-stix2-json-schemas): an identifier whose UUID has
# upper-case hex digits, which the OASIS identifier schema and stix2-validator accept.
UPPER_CASE_ID = "relationship--81f12913-1372-4c96-85ec-E9034ac98aba"


def _oasis_relationship() -> dict[str, Any]:
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "id": UPPER_CASE_ID,
        "created": "2016-04-06T20:06:37.000Z",
        "modified": "2016-04-06T20:06:37.000Z",
        "relationship_type": "indicates",
        "source_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "target_ref": "malware--31B940D4-6F7F-459A-80EA-9C1F17B5891B",
        "lang": "en-US",
    }


def test_upper_case_uuids_are_stored_as_received(
    client: TestClient, world: SharingWorld, db: Session
) -> None:
    obj = _oasis_relationship()
    stixgen.assert_valid_stix([obj])
    assert check_object(obj).stix_id == UPPER_CASE_ID
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    auth = {**TAXII, **world.bearer("producer")}
    status = client.post(url, json=stixgen.envelope(obj), headers=auth).json()
    assert (status["success_count"], status["failure_count"]) == (1, 0), status
    assert status["successes"][0]["id"] == UPPER_CASE_ID
    got = client.get(f"{url}{UPPER_CASE_ID}/", headers=auth)
    assert got.status_code == 200, got.text
    assert got.json()["objects"] == [obj]
    listed = client.get(url, params={"match[id]": UPPER_CASE_ID}, headers=auth).json()
    assert listed["objects"] == [obj]


@pytest.mark.parametrize(
    "tag",
    ["en", "EN-us", "pt-BR", "zh-Hant-TW", "de-CH-1901", "sl-IT-nedis", "x-private",
     "qaa-Qaaa-QM-x-southern", "en-US-u-islamcal", "zh-yue-HK", "i-klingon", "de-419"],
)  # fmt: skip
def test_well_formed_language_tags_pass(tag: str) -> None:
    # RFC 5646, Appendix A's examples among them; well-formed is what STIX 2.1 asks.
    check_object({**stixgen.indicator(), "lang": tag})
    check_object(
        {**stixgen.indicator(), "granular_markings": [{"lang": tag, "selectors": ["name"]}]}
    )


@pytest.mark.parametrize(("field", "make"), STRICTER, ids=[f for f, _ in STRICTER])
def test_spec_rules_the_validator_does_not_check(field: str, make: Any) -> None:
    with pytest.raises(StixInvalid) as caught:
        check_object(make())
    assert caught.value.field == field


@pytest.mark.parametrize(("field", "make"), INVALID, ids=[f for f, _ in INVALID])
def test_invalid_objects_are_refused_by_both(field: str, make: Any) -> None:
    obj = make()
    with pytest.raises(StixInvalid) as caught:
        check_object(obj)
    assert caught.value.field == field
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [obj]}
    assert not validate_instance(bundle, ValidationOptions(version="2.1")).is_valid


def test_envelope_stores_the_valid_and_reports_the_invalid(
    client: TestClient, world: SharingWorld, db: Session
) -> None:
    good = _valid_objects()
    bad = [make() for _, make in INVALID + STRICTER]
    sent = [x for pair in zip(good, bad, strict=False) for x in pair] + bad[len(good) :]
    response = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*sent, "not an object"),
        headers={**TAXII, **world.bearer("producer")},
    )
    assert response.status_code == 202
    status = response.json()
    assert status["total_count"] == len(sent) + 1
    assert status["success_count"] == len(good)
    assert status["failure_count"] == len(bad) + 1
    assert all(f["message"] for f in status["failures"])
    db.rollback()
    stored = set(db.scalars(select(StixObject.stix_id)))
    assert stored == {o["id"] for o in good}
    # The indicator with two equality comparisons is indexed by both values.
    assert db.scalar(select(func.count(Observable.id))) == 2

    again = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*good),
        headers={**TAXII, **world.bearer("producer")},
    ).json()
    assert again["success_count"] == len(good)
    assert {s["message"] for s in again["successes"]} == {"already stored"}
    db.rollback()
    assert db.scalar(select(func.count(StixObject.id))) == len(good)


def test_what_cannot_be_stored_as_sent_is_refused_alone(
    client: TestClient, world: SharingWorld, db: Session
) -> None:
    good = stixgen.indicator()
    surrogate = {**stixgen.indicator(), "name": "\ud800"}  # a lone surrogate is not Unicode
    huge = {**stixgen.indicator(), "x_count": 2**70}  # STIX integers fit in 54 bits
    body = json.dumps({"objects": [surrogate, good, huge]})  # ASCII, \ud800 escaped
    response = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        content=body.encode(),
        headers={**TAXII, **world.bearer("producer")},
    )
    assert response.status_code == 202
    status = response.json()
    assert (status["success_count"], status["failure_count"]) == (1, 2)
    assert {f["id"] for f in status["failures"]} == {surrogate["id"], huge["id"]}
    db.rollback()
    stored = db.scalars(select(StixObject.body)).all()
    assert [json.loads(b)["id"] for b in stored] == [good["id"]]
    assert json.loads(stored[0]) == good  # kept as received


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", "indicator--0b4f1c2e-6a55-4d1b-9a0e-3c2d1e0f9a8b\n"),
     ("created", "2024-01-01T00:00:00Z\n"),
     ("pattern", ""), ("pattern", "   ")],
)  # fmt: skip
def test_trailing_newlines_and_empty_patterns_are_refused(field: str, value: str) -> None:
    with pytest.raises(StixInvalid) as caught:
        check_object(_broken(field, value))
    assert caught.value.field == field


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.sampled_from(["", ".0", ".12", ".123", ".1230", ".123000", ".000000", ".1234567"]),
    st.integers(0, 999_999),
)
def test_a_version_keeps_its_text_when_it_has_the_stix_form(
    moment: datetime, fraction: str, micro: int
) -> None:
    digits = fraction[1:]
    if digits:  # the fraction's width from the sample, its digits from the draw
        fraction = "." + str(micro).rjust(6, "0")[: len(digits)].ljust(len(digits), "0")
    text = moment.strftime("%Y-%m-%dT%H:%M:%S").rjust(19, "0") + fraction + "Z"
    value = parse_timestamp(text, "modified")
    assert stix_text(text, value) == format_timestamp(value)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.text(alphabet="0123456789", max_size=9),
)
def test_timestamps_read_as_their_parts_say(moment: datetime, digits: str) -> None:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S").rjust(19, "0") + ("." + digits if digits else "")
    match = stix_validation._TIMESTAMP.match(text + "Z")
    assert match is not None
    assert parse_timestamp(text + "Z", "created") == stix_validation._from_groups(match)


# The identifier form of STIX 2.1 section 2.9, as one regular expression: the reference below.
_IDENTIFIER = re.compile(
    r"[a-z0-9][a-z0-9-]{1,248}[a-z0-9]--"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)
_KINDS = st.one_of(
    st.sampled_from(["indicator", "x-a", "a--b", "ab", "a-", "-ab", "Abc", "abc\n", "a_b"]),
    st.text(alphabet="ab0-\n", max_size=8),
)
_UUIDISH = st.builds(
    lambda u, cut, extra: str(u)[:cut] + extra + str(u)[cut:],
    st.uuids(),
    st.sampled_from([0, 1, 14, 19, 35, 36]),
    st.sampled_from(["", "-", "--", "A", "\n", "g", "--x"]),
)


@settings(max_examples=400, deadline=None)
@given(_KINDS, _UUIDISH)
@example("a--b", "9e6a7bd4-1c63-4b2a-8d4e-5f6a7b8c9d0e")  # a type may hold "--"
@example("indicator", "9e6a7bd4-1c63-4b2a-8d4e-5f6a7b8c9d0e\n")
@example("indicator", "9e6a7bd4-1c63-4b2a-cd4e-5f6a7b8c9d0e")  # not the RFC 4122 variant
def test_identifiers_have_the_spec_form(kind: str, unique: str) -> None:
    value = f"{kind}--{unique}"
    expected = _IDENTIFIER.fullmatch(value) is not None
    try:
        check_identifier(value, "id")
    except StixInvalid:
        assert not expected, value
    else:
        assert expected, value


# -- the pattern fast path says exactly what stix2-patterns says ---------------------------

_TEXT = st.text(alphabet=st.sampled_from("ab'\\ .-0f9§\"x"), max_size=12)
_HEX = st.text(alphabet="0123456789abcdef", min_size=30, max_size=66)
_TERM = st.one_of(
    st.builds(lambda v: f"file:hashes.'SHA-256' = '{v}'", _HEX),
    st.builds(lambda v: f"file:hashes.MD5 = '{v}'", _HEX),
    st.builds(lambda v: f"ipv4-addr:value = '{v}'", _TEXT),
    st.builds(lambda v: f"url:value = '{v}'", _TEXT),
    st.builds(lambda v: f"domain-name:value IN ('{v}', 'b')", _TEXT),
    st.builds(lambda v: f"file:name MATCHES '{v}'", _TEXT),
    st.builds(lambda v: f"file:created > t'{v}'", st.sampled_from(["2020-01-01T00:00:00Z", "x"])),
    st.builds(lambda v: f"artifact:payload_bin = b'{v}'", st.sampled_from(["aGk=", "!"])),
    st.just("x_custom:field = 12"),
    _TEXT,
)


@st.composite
def _patterns(draw: st.DrawFn) -> str:
    terms = draw(st.lists(_TERM, min_size=1, max_size=3))
    joiner = draw(st.sampled_from([" AND ", " OR "]))
    body = f"[{joiner.join(terms)}]"
    if draw(st.booleans()):
        body += draw(st.sampled_from([" WITHIN 5 SECONDS", " REPEATS 2 TIMES", " AND [x:y = 1]"]))
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(body)))
        body = body[:cut] + draw(st.sampled_from(["", "'", "]", "\\", " "])) + body[cut:]
    return body


@settings(max_examples=400, deadline=None)
@given(_patterns())
def test_fast_path_agrees_with_stix2_patterns(pattern: str) -> None:
    checked = patterns.check(pattern)
    expected = run_validator(pattern, stix_version="2.1")
    # Same verdict, same errors at the same places. ANTLR's "expecting {...}" tail depends on
    # the parser's warm DFA cache, so two runs of the library itself can word it differently.
    assert [e.split(". ")[0] for e in checked.errors] == [e.split(". ")[0] for e in expected]


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        _patterns(),
        st.builds(
            "[{}:{}{} = {}]".format,
            st.sampled_from(["file", "url", "x-a_b"]),
            st.sampled_from(["value", "hashes.", "a.'b'.", "a .'b'", "n_"]),
            st.sampled_from(["", "'SHA-256'", "'x'", "'§0'", "'\\''", "d"]),
            st.sampled_from(["'v'", "'v\\''", "t'v'", "''", "'§'", "'a'b'", "'a' "]),
        ),
    )
)
@example("[file:hashes.'SHA-256']")  # a quoted path part last: kept, not a value
@example("[file:name = h'00']")  # a typed literal last
def test_the_one_value_skeleton_is_the_general_one(pattern: str) -> None:
    assert patterns._skeleton(pattern) == patterns._split_skeleton(pattern)


@settings(max_examples=400, deadline=None)
@given(st.builds("'{}'".format, st.text(alphabet=st.sampled_from("'\\a §\n"), max_size=12)))
def test_a_literal_is_what_the_grammar_lexes_as_one(text: str) -> None:
    # The oracle is stix2-patterns' own ANTLR lexer: its StringLiteral token, whole.
    lexer = STIXPatternLexer(InputStream(text))
    lexer.removeErrorListeners()
    tokens = lexer.getAllTokens()
    one_literal = [(t.type, t.text) for t in tokens] == [(STIXPatternLexer.StringLiteral, text)]
    assert (patterns.LITERAL.fullmatch(text) is not None) == one_literal


def test_fast_path_keeps_the_real_literals() -> None:
    checked = patterns.check("[url:value = 'http://a.example/it\\'s' AND file:hashes.MD5 = '"
                             + "a" * 32 + "']")  # fmt: skip
    values = {(c.object_type, c.path, c.value) for c in checked.comparisons}
    assert ("url", ("value",), "'http://a.example/it\\'s'") in values
    assert ("file", ("hashes", "MD5"), "'" + "a" * 32 + "'") in values
