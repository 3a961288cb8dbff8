"""cadence: the tree's tiles lag the entries until the next checkpoint; the log's key history

Revision ID: transparency_0003
Revises: transparency_0002
Create Date: 2026-12-06 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "transparency_0003"
down_revision = "transparency_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("log_head") as batch:
        batch.add_column(
            sa.Column("tree_size", sa.BigInteger(), nullable=False, server_default="0")
        )
    # Until now every append built the tree: the tiles cover every entry.
    op.execute("UPDATE log_head SET tree_size = size")
    op.create_table(
        "log_keys",
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("verifier_key", sa.Text(), nullable=False),
        sa.Column("from_size", sa.BigInteger(), nullable=False),
        sa.Column("announcement", sa.Text(), nullable=True),
        sa.Column("added_at", accord.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_log_keys")),
    )


def downgrade() -> None:
    op.drop_table("log_keys")
    with op.batch_alter_table("log_head") as batch:
        batch.drop_column("tree_size")
