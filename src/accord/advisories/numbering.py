"""The hub's own advisory ids, ``PREFIX-YYYY-NNNN``: the next number of the year.

A new draft takes the number after the highest one committed. Two drafts written at once on
PostgreSQL read the same highest number; the unique index lets one in and makes the other wait
for its commit and try again, so drafts written together took turns, each waiting for the
whole transaction of the one before (under the mixed load of bench/load.py, seconds). Here a
draft also claims its number for its transaction (a transaction-scoped advisory lock, tried
without waiting) and one already claimed by a draft under way is passed over for the next:
drafts written together get consecutive numbers at once. A draft rolled back gives its number
back, unless one after it committed meanwhile (a gap in the year's numbers, nothing more).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from accord.advisories.models import Advisory
from accord.clock import utcnow

# The namespace of the numbers' advisory locks (the two-key form).
_NUMBER_LOCK = 7170
# Numbers passed over at most, claimed by drafts under way, before one is taken anyway (the
# unique index then has it wait, as without claims).
_MOST_CLAIMED = 64
# Ids read at a time while looking for the highest number.
_PAGE = 20


def next_id(db: Session, stem: str) -> str:
    """The id of a new draft: the year's next number not claimed by a draft under way."""
    prefix = f"{stem}-{utcnow().year}-"
    number = _highest(db, prefix) + 1
    if db.get_bind().dialect.name == "postgresql":
        for candidate in range(number, number + _MOST_CLAIMED):
            if _claim(db, f"{prefix}{candidate:04d}"):
                return f"{prefix}{candidate:04d}"
    return f"{prefix}{number:04d}"


def _highest(db: Session, prefix: str) -> int:
    # The numbers with the most digits past their leading zeros first, and among those the
    # greatest: for numbers, the highest comes first (an id given by hand may be written
    # "-00001", longer than "-0042" and smaller). Read a few (an id given by hand may end
    # otherwise), in the database: reading every id of the year into Python made each draft
    # slower than the last (thousands by the end of a load test), inside the write transaction.
    taken = select(Advisory.osv_id).where(Advisory.osv_id.startswith(prefix, autoescape=True))
    digits = func.ltrim(func.substr(Advisory.osv_id, len(prefix) + 1), "0")
    for start in range(0, 1_000_000, _PAGE):
        page = db.scalars(
            taken.order_by(func.length(digits).desc(), digits.desc(), Advisory.osv_id)
            .offset(start)
            .limit(_PAGE)
        ).all()
        for osv_id in page:
            suffix = osv_id[len(prefix) :]
            if suffix.isascii() and suffix.isdigit():
                return int(suffix)
        if len(page) < _PAGE:
            break
    return 0


def _claim(db: Session, osv_id: str) -> bool:
    # Held until the transaction ends; taken again by the same transaction, it answers yes.
    key = int.from_bytes(hashlib.blake2b(osv_id.encode(), digest_size=4).digest(), "big")
    claimed = db.scalar(
        text("SELECT pg_try_advisory_xact_lock(:n, :k)"),
        {"n": _NUMBER_LOCK, "k": key - 2**31},
    )
    return bool(claimed)
