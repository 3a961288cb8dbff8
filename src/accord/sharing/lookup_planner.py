"""PostgreSQL's planner settings for a look-up's statements: set for the look-up's
transaction, or, on a look-up helper's connections (``lookup_helper``), once a connection.

- No parallel workers: the planner gave the keys' bitmap scan two, whose start and gather
  cost more than they share out (10,000 values on a million indicators, two cores: 295 to
  305 ms of wall time without, 340 to 430 with; docs/benchmarks.md).
- Random pages priced near sequential ones (``random_page_cost`` 1.1 rather than 4): the
  hits' statement seeks each hit's object by its primary key, and at the default price the
  planner took some 16,000 expected hits (10,000 URLs and their hosts, answered in one
  process) for dearer than reading every object: a hash join over a sequential scan of the
  million objects, 375 to 480 ms of the server's CPU, where the seeks take 70 ms. At 1.1
  the sequential scan still wins past some 50,000 expected hits, near where it does win
  (from the measured costs, some 70,000 hits a million objects). The look-up's pages are
  the index's and the hits': seeks, not reads of a disk in order (docs/benchmarks.md,
  2026-12-08).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

SETTINGS = {"max_parallel_workers_per_gather": "0", "random_page_cost": "1.1"}
# The same for every statement of a connection (libpq's ``options``), and the key of a
# session's ``info`` saying its connections have them: a look-up helper's.
OPTIONS = " ".join(f"-c {name}={value}" for name, value in SETTINGS.items())
SET_ON_CONNECT = "accord_lookup_planner_set"
# Both in one statement (one round trip), to the end of the transaction (``is_local``).
_SET_LOCAL = text(
    "SELECT "
    + ", ".join(f"set_config('{name}', '{value}', true)" for name, value in SETTINGS.items())
)


def settle(db: Session) -> None:
    """Set the look-up's planner settings for ``db``'s transaction on PostgreSQL, unless its
    connections start with them."""
    if db.get_bind().dialect.name == "postgresql" and not db.info.get(SET_ON_CONNECT):
        db.execute(_SET_LOCAL)
