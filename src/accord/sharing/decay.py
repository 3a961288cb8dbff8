"""Lifetimes and decay of indicators.

**Lifetime.** An indicator's ``valid_until`` (STIX 2.1) ends it: past it, it leaves look-ups
and feeds unless the reader asks for expired ones (``include_expired``). TAXII itself still
serves it as stored: it is the producer's record.

**Decay.** How much an indicator is still worth, 0 to 100, after MISP's polynomial decay
model (https://www.misp-project.org/2019/09/12/Decaying-Of-Indicators.html/)::

    score = base_score * (1 - (t / tau) ** (1 / delta))      for t < tau, else 0

- ``base_score``: the indicator's STIX ``confidence`` (0-100) if it has one, else
  ``DEFAULT_BASE_SCORE`` (50, "no confidence stated": STIX's own middle);
- ``t``: time since the indicator was last seen: its ``valid_from`` (else ``created``), or
  its latest sighting the reader may see, whichever is later. A sighting resets the clock,
  as in MISP;
- ``tau`` (lifetime): ``LIFETIME`` (30 days); an indicator with a ``valid_until`` lives until
  then instead (``tau`` = ``valid_until`` - ``valid_from``);
- ``delta`` (decay speed): ``DECAY_SPEED`` (2.0). Above 1 the score falls fast at first,
  then slowly: with 2.0 it halves after a quarter of the lifetime (7.5 days). 1 is linear.

Below ``THRESHOLD`` (20) MISP calls an indicator decayed; the hub shows the score, orders
look-up results by it, and leaves nothing out on the score alone (feeds can ask
``min_score``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

LIFETIME = timedelta(days=30)
DECAY_SPEED = 2.0
DEFAULT_BASE_SCORE = 50.0
THRESHOLD = 20.0


class Lifetime(NamedTuple):
    """What decay and expiry read of an indicator's body. (A named tuple: a look-up builds
    one for each of thousands of hits, at a third of a frozen dataclass's cost.)"""

    valid_from: datetime | None
    valid_until: datetime | None
    confidence: int | None

    def expired(self, now: datetime) -> bool:
        """Whether ``valid_until`` has passed."""
        return self.valid_until is not None and self.valid_until <= now


def lifetime_of(body: str | dict[str, Any]) -> Lifetime:
    """The lifetime fields of a stored STIX object (its JSON text, or parsed)."""
    obj = json.loads(body) if isinstance(body, str) else body
    confidence = obj.get("confidence")
    return Lifetime(
        valid_from=parse_time(obj.get("valid_from") or obj.get("created")),
        valid_until=parse_time(obj.get("valid_until")),
        confidence=confidence if isinstance(confidence, int) else None,
    )


def parse_time(value: Any) -> datetime | None:
    """A STIX timestamp as an aware datetime; None if absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)  # Python 3.11 reads the "Z" of UTC itself
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def score(
    life: Lifetime,
    *,
    now: datetime,
    last_sighting: datetime | None = None,
    lifetime: timedelta = LIFETIME,
    decay_speed: float = DECAY_SPEED,
) -> float:
    """The decay score, 0 to 100, rounded to one decimal (see the module's text)."""
    valid_from, valid_until, confidence = life
    return _score(confidence, valid_from, valid_until, now, last_sighting, lifetime, decay_speed)


def judge(obj: dict[str, Any], now: datetime, last_sighting: datetime | None) -> tuple[bool, float]:
    """Whether a stored indicator (its parsed body) has expired at ``now``, and its score
    with the default model: :func:`lifetime_of`, :meth:`Lifetime.expired` and :func:`score`
    in one call, for the thousands of hits of one look-up."""
    # :func:`_score`'s arithmetic, step for step (the same floats), in the common case of no
    # ``valid_until``, without its call and keyword defaults: a look-up judges thousands.
    get = obj.get
    until = get("valid_until")
    confidence = get("confidence")
    if until is None and confidence.__class__ is int and 0 <= confidence <= 100:
        # The commonest case of all (a confidence, checked at ingest, and no end): no clamp,
        # and an int times a float is the float of the int times it.
        start = parse_time(get("valid_from") or get("created")) or now
        if last_sighting is not None and last_sighting > start:
            start = last_sighting
        t = (now - start).total_seconds()
        ratio = t / _LIFETIME_SECONDS if t > 0.0 else 0.0
        if ratio >= 1:
            return False, 0.0
        return False, tenths(confidence * (1.0 - ratio**_EXPONENT))
    valid_from = parse_time(get("valid_from") or get("created"))
    confidence = confidence if isinstance(confidence, int) else None
    if until is not None:
        valid_until = parse_time(until)
        if valid_until is not None:
            expired = valid_until <= now
            return expired, _score(
                confidence, valid_from, valid_until, now, last_sighting, LIFETIME, DECAY_SPEED
            )
    base = float(confidence) if confidence is not None else DEFAULT_BASE_SCORE
    base = min(max(base, 0.0), 100.0)
    start = valid_from or now
    if last_sighting is not None and last_sighting > start:
        start = last_sighting
    t = max((now - start).total_seconds(), 0.0)
    ratio = t / _LIFETIME_SECONDS
    if ratio >= 1:
        return False, 0.0
    return False, round(base * (1.0 - float(ratio**_EXPONENT)), 1)


def tenths(value: float) -> float:
    """``round(value, 1)``, the same float, for the scores' range without its decimal
    conversion (``round`` with digits writes and reads back a decimal: 2,700 instructions, a
    look-up's hits cost 17 M). Ten times the value is rounded to the integer nearest it,
    which is ``round``'s when that product is not within a ten-millionth of a half: its
    rounding error is below 1e-9 under 2**20, and an integer over ten is the nearest float
    to the decimal it stands for, as ``round`` gives it. Others (ties and near ties, zeros,
    negatives, large values) go to ``round``."""
    scaled = value * 10.0
    if 0.0 < scaled < _TENTHS_BELOW:
        whole = int(scaled)
        rest = scaled - whole
        if rest < 0.4999999:
            return whole / 10
        if rest > 0.5000001:
            return (whole + 1) / 10
    return round(value, 1)


_TENTHS_BELOW = 2.0**20  # ten times the largest score is 1,000


def _score(
    confidence: int | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
    now: datetime,
    last_sighting: datetime | None,
    lifetime: timedelta,
    decay_speed: float,
) -> float:
    base = float(confidence) if confidence is not None else DEFAULT_BASE_SCORE
    base = min(max(base, 0.0), 100.0)
    start = valid_from or now
    if last_sighting is not None and last_sighting > start:
        start = last_sighting
    tau = lifetime
    if valid_until is not None:
        if valid_until <= now:  # expired
            return 0.0
        if valid_from is not None:
            tau = valid_until - valid_from
    if tau <= _NOTHING:
        return 0.0
    t = max((now - start).total_seconds(), 0.0)
    ratio = t / tau.total_seconds()
    if ratio >= 1:
        return 0.0
    return round(base * (1.0 - float(ratio ** (1.0 / decay_speed))), 1)


_NOTHING = timedelta(0)
_LIFETIME_SECONDS = LIFETIME.total_seconds()
_EXPONENT = 1.0 / DECAY_SPEED
