"""csaf refusals remembered by URL with what the feed said, not downloaded again unchanged

Revision ID: aggregation_0002
Revises: aggregation_0001
Create Date: 2026-12-06 12:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "aggregation_0002"
down_revision = "aggregation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "csaf_refusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("changed_at", accord.db.UTCDateTime(), nullable=True),
        sa.Column("published_sha256", sa.String(length=128), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("at", accord.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["csaf_providers.id"],
            name=op.f("fk_csaf_refusals_provider_id_csaf_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csaf_refusals")),
        sa.UniqueConstraint("provider_id", "url", name=op.f("uq_csaf_refusals_provider_id")),
    )

    with op.batch_alter_table("csaf_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refused_unchanged", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("csaf_runs", schema=None) as batch_op:
        batch_op.drop_column("refused_unchanged")
    op.drop_table("csaf_refusals")
