"""An envelope's body reads the same through orjson as through the exact parse it replaced."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from accord.errors import AccordError
from accord.sharing import envelopes

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # past 64 bits as well: kept as integers, to be refused per object
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.lists(JSON_VALUES, max_size=5))
@example([{"x_count": 2**70, "name": "a"}])
@example([{"x_count": -(2**63) - 1}, {"x_count": 2**63 - 1}])
@example([{"pattern": "[x:y = '12345678901234567890123']", "n": 1e308}])
@example([{"n": 1.5e19, "m": -9.3e18}])
def test_the_objects_read_are_those_sent(objects: list[Any]) -> None:
    for ensure_ascii in (True, False):
        body = json.dumps({"objects": objects}, ensure_ascii=ensure_ascii).encode()
        read = envelopes.parse_envelope(body)
        # Written back: an integer read as a float, or a float as an integer, would show.
        assert json.dumps(read) == json.dumps(objects)


@pytest.mark.parametrize(
    "body",
    [
        b'{"objects": [NaN]}',
        b'{"objects": [1e400]}',
        b'{"objects": [-Infinity]}',
        b'{"objects": [1] x',
        b"\xff",
        b'{"objects": ' + b"[" * 70 + b"]" * 70 + b"}",
    ],
)
def test_what_is_not_json_within_bounds_is_refused_whole(body: bytes) -> None:
    with pytest.raises(AccordError):
        envelopes.parse_envelope(body)


def test_a_lone_surrogate_and_a_byte_order_mark_read_as_before() -> None:
    assert envelopes.parse_envelope(b'{"objects": [{"name": "\\ud800"}]}') == [{"name": "\ud800"}]
    assert envelopes.parse_envelope(b'\xef\xbb\xbf{"objects": [1]}') == [1]
