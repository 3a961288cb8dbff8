"""the sighting_of index holds sightings only (a partial index)

Revision ID: sharing_0003
Revises: sharing_0002
Create Date: 2026-11-22 17:30:00.000000

Every stored object had an entry, NULL for all but sightings: a million useless keys in a
collection of indicators, and one more B-tree insert per object at ingest. Every query on
``sighting_of`` compares it with values, which implies it is not NULL, so the partial index
serves them all.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sharing_0003"
down_revision = "sharing_0002"
branch_labels = None
depends_on = None

_WHERE = sa.text("sighting_of IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_sharing_objects_sighting_of", table_name="sharing_objects")
    op.create_index(
        "ix_sharing_objects_sighting_of",
        "sharing_objects",
        ["sighting_of"],
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_sharing_objects_sighting_of", table_name="sharing_objects")
    op.create_index("ix_sharing_objects_sighting_of", "sharing_objects", ["sighting_of"])
