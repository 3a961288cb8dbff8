"""objects delivered to other organizations, counted per producer, reader and day

Revision ID: sharing_0002
Revises: sharing_0001
Create Date: 2026-11-22 13:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sharing_0002"
down_revision = "sharing_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sharing_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("producer_org_id", sa.Integer(), nullable=False),
        sa.Column("reader_org_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("objects", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["producer_org_id"],
            ["organizations.id"],
            name=op.f("fk_sharing_deliveries_producer_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reader_org_id"],
            ["organizations.id"],
            name=op.f("fk_sharing_deliveries_reader_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_deliveries")),
        sa.UniqueConstraint(
            "producer_org_id",
            "reader_org_id",
            "day",
            name=op.f("uq_sharing_deliveries_producer_org_id"),
        ),
    )
    with op.batch_alter_table("sharing_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_sharing_deliveries_day", ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sharing_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_sharing_deliveries_day")
    op.drop_table("sharing_deliveries")
