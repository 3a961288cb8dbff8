"""``decay.judge``, the look-up's one call a hit, answers as ``lifetime_of``, ``expired`` and
``score`` do, to the float, whatever the body holds."""

from __future__ import annotations

import itertools
import math
import random
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


def test_tenths_is_round_to_one_digit() -> None:
    """The same float as ``round(value, 1)``: scores at random, and the floats nearest each
    tie (x.x5), where the shortcut must give way to ``round``."""
    generator = random.Random(24)
    values = [generator.uniform(0.0, 100.0) for _ in range(200_000)]
    for tenth in range(2001):
        value = (tenth + 0.5) / 20  # every tie from 0.025 to 100.025, and the x.x5 between
        for _ in range(20):
            value = math.nextafter(value, 0.0)
        for _ in range(40):
            values.append(value)
            value = math.nextafter(value, 200.0)
    values += [0.0, -0.0, 5e-324, 0.05, 0.25, 2.675, 99.95, 100.0, -1.25, 1e12, math.inf]
    for value in values:
        got, expected = decay.tenths(value), round(value, 1)
        assert (got, math.copysign(1.0, got)) == (expected, math.copysign(1.0, expected)), value
