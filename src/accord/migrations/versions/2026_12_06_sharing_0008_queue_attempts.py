"""queued envelopes the drainer failed to store are counted, and set aside after a few tries

Revision ID: sharing_0008
Revises: sharing_0007
Create Date: 2026-12-06 06:00:00.000000

On PostgreSQL beside the queue in the hub database. On SQLite the hub keeps both in a side
file (``queue.db``), where the table is created when the hub starts; the table below is then
unused, as ``sharing_queue`` is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "sharing_0008"
down_revision = "sharing_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sharing_queue_attempts",
        sa.Column("status_uuid", sa.String(length=36), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("set_aside_at", accord.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("status_uuid", name=op.f("pk_sharing_queue_attempts")),
    )


def downgrade() -> None:
    op.drop_table("sharing_queue_attempts")
