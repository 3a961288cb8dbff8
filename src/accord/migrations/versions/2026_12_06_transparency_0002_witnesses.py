"""witnesses: logs this hub witnesses, its own witnesses and their cosignatures

Revision ID: transparency_0002
Revises: transparency_0001
Create Date: 2026-12-06 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "transparency_0002"
down_revision = "transparency_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "witness_logs",
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("verifier_key", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("checkpoint", sa.Text(), nullable=True),
        sa.Column("added_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", accord.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("origin", name=op.f("pk_witness_logs")),
    )
    op.create_table(
        "log_witnesses",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("verifier_key", sa.Text(), nullable=False),
        sa.Column("allow_private", sa.Boolean(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("added_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", accord.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_log_witnesses")),
    )
    op.create_table(
        "log_cosignatures",
        sa.Column(
            "size",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("witness", sa.String(length=300), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("size", "witness", name=op.f("pk_log_cosignatures")),
    )


def downgrade() -> None:
    op.drop_table("log_cosignatures")
    op.drop_table("log_witnesses")
    op.drop_table("witness_logs")
