"""``decay.judge``, the look-up's one call a hit, answers as ``lifetime_of``, ``expired`` and
``score`` do, to the float, whatever the body holds."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from accord.sharing import decay

NOW = datetime(2026, 12, 5, 12, 0, 0, 123456, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


STARTS: list[dict[str, Any]] = [
    {},
    {"valid_from": _stamp(NOW - timedelta(days=7, microseconds=3))},
    {"valid_from": _stamp(NOW - timedelta(days=29, hours=23, seconds=59))},
    {"valid_from": _stamp(NOW - timedelta(days=30))},  # at the end of its lifetime
    {"valid_from": _stamp(NOW - timedelta(days=45))},
    {"valid_from": _stamp(NOW + timedelta(days=2))},  # not yet valid
    {"valid_from": _stamp(NOW)},
    {"valid_from": "2026-11-20T00:00:00"},  # no zone: UTC
    {"valid_from": "not a time"},
    {"valid_from": 17},
    {"created": _stamp(NOW - timedelta(days=3))},
    {"valid_from": "", "created": _stamp(NOW - timedelta(days=1))},
]
CONFIDENCES: list[Any] = [None, 0, 1, 37, 100, 101, -5, True, False, 40.5, "60"]
ENDS: list[Any] = [None, _stamp(NOW + timedelta(days=3)), _stamp(NOW - timedelta(seconds=1)), "x"]
SIGHTINGS = [None, NOW - timedelta(days=2), NOW - timedelta(days=60), NOW + timedelta(hours=1)]


def test_judge_is_lifetime_expired_and_score() -> None:
    judged = 0
    for start, confidence, end, last in itertools.product(STARTS, CONFIDENCES, ENDS, SIGHTINGS):
        body = {"type": "indicator", **start}
        if confidence is not None:
            body["confidence"] = confidence
        if end is not None:
            body["valid_until"] = end
        life = decay.lifetime_of(body)
        expected = (life.expired(NOW), decay.score(life, now=NOW, last_sighting=last))
        found = decay.judge(body, NOW, last)
        assert found == expected, (body, last)
        assert [type(v) for v in found] == [bool, float], (body, last)
        judged += 1
    assert judged == len(STARTS) * len(CONFIDENCES) * len(ENDS) * len(SIGHTINGS)
