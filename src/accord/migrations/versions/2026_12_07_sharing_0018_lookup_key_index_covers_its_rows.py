"""on PostgreSQL the look-up's key index holds each entry's object id, kind and value, so that
a look-up reads the index alone (an index-only scan) rather than a heap page of
``sharing_observables`` for each hit

A look-up of 10,000 values against a million indicators sought some 11,700 keys; PostgreSQL 15
then read the 6,200 entries found from 4,800 heap pages, a fifth of the statement's buffers
and of its server's CPU (docs/benchmarks.md, "2026-12-07 (18:40 to 19:40 UTC)"). SQLite keeps
the index on the key alone: a covering index was measured there and not worth its size.

Pages whose rows are all visible (the visibility map, kept by (auto)vacuum) are answered from
the index; entries on other pages are checked against the heap, as before.

Revision ID: sharing_0018
Revises: sharing_0017
Create Date: 2026-12-07 18:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "sharing_0018"
down_revision = "sharing_0017"
branch_labels = None
depends_on = None

_INDEX = "ix_sharing_observables_key"
_TABLE = "sharing_observables"


def _replace(include: list[str]) -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    # Built under another name first, so that the key is never without an index.
    op.create_index(f"{_INDEX}_new", _TABLE, ["key"], unique=False, postgresql_include=include)
    op.drop_index(_INDEX, table_name=_TABLE)
    op.execute(f"ALTER INDEX {_INDEX}_new RENAME TO {_INDEX}")


def upgrade() -> None:
    _replace(["object_id", "kind", "value"])


def downgrade() -> None:
    _replace([])
