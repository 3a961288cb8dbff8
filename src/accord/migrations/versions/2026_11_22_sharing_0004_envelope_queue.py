"""large envelopes wait in a queue, stored in batches by a drainer

Revision ID: sharing_0004
Revises: sharing_0003
Create Date: 2026-11-22 19:30:00.000000

On PostgreSQL the queue is this table of the hub database. On SQLite the hub keeps it in a
side file (``queue.db``), created there when the hub starts; the table below is then unused.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "sharing_0004"
down_revision = "sharing_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sharing_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status_uuid", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("producer_org_id", sa.Integer(), nullable=True),
        sa.Column("request_timestamp", accord.db.UTCDateTime(), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("objects", sa.Integer(), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("pendings", sa.LargeBinary(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_queue")),
        sa.UniqueConstraint("status_uuid", name=op.f("uq_sharing_queue_status_uuid")),
    )


def downgrade() -> None:
    op.drop_table("sharing_queue")
