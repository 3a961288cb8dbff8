"""The quick RFC 8785 path writes what the reference implementation writes, byte for byte."""

from __future__ import annotations

from typing import Any

import jcs
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.transparency.envelope import Envelope, canonical, make_envelope
from accord.transparency.records import _envelope

_json: Any = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_canonical_is_rfc8785(document: Any) -> None:
    assert canonical(document) == bytes(jcs.canonicalize(document))


def test_fractions_and_other_scripts_go_the_long_way() -> None:
    for document in ({"a": 1.5, "b": 1e21}, {"é": 1, "z": "\U0001f600"}):
        assert canonical(document) == bytes(jcs.canonicalize(document))


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=6), _json, max_size=4), st.text(min_size=1, max_size=20))
def test_an_envelope_reads_back_as_its_record_says(document: Any, subject: str) -> None:
    from datetime import UTC, datetime

    made = make_envelope(
        entry_type="test.entry",
        subject_id=subject,
        time=datetime(2026, 12, 6, tzinfo=UTC),
        document=document,
        document_sha256=None,
    )
    entry = made.to_entry()
    assert entry == bytes(
        jcs.canonicalize(
            {
                "type": made.type,
                "time": made.time,
                "subject": subject,
                "sha256": made.sha256,
                "document": document,
            }
        )
    )
    quick, full = _envelope(entry), Envelope.from_entry(entry)
    assert quick is not None
    said = (made.type, made.time, made.subject, made.sha256)
    assert (quick.type, quick.time, quick.subject, quick.sha256) == said
    assert (full.type, full.time, full.subject, full.sha256) == said
    assert canonical(quick.document) == canonical(full.document) == canonical(document)


def test_what_is_not_an_envelope_has_no_record() -> None:
    assert _envelope(b"raw 1") is None
    assert _envelope(b'{"type":"x"}') is None
    # Not canonical (a space): no record, whatever the keys.
    assert _envelope(b'{"sha256":"a", "subject":"s","time":"t","type":"x"}') is None
