"""witness refusals: a witnessed log keeps the last request this hub refused, and when

Revision ID: transparency_0004
Revises: transparency_0003
Create Date: 2026-12-06 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "transparency_0004"
down_revision = "transparency_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("witness_logs") as batch:
        batch.add_column(sa.Column("last_refusal", sa.Text(), nullable=True))
        batch.add_column(sa.Column("refused_at", accord.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("witness_logs") as batch:
        batch.drop_column("refused_at")
        batch.drop_column("last_refusal")
