"""warninglists of known-benign values, and the prefix lengths of indexed address ranges

Revision ID: sharing_0009
Revises: sharing_0008
Create Date: 2026-12-06 09:00:00.000000

Indicators naming an address range (``[ipv4-addr:value = '10.0.0.0/8']``) are indexed from
this version on; those stored before are not (share them again to index them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "sharing_0009"
down_revision = "sharing_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sharing_observable_prefixes",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("length", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("kind", "length", name=op.f("pk_sharing_observable_prefixes")),
    )
    op.create_table(
        "sharing_warninglists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("list_type", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("matching_attributes", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("changed_at", accord.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_warninglists")),
        sa.UniqueConstraint("name", name=op.f("uq_sharing_warninglists_name")),
    )
    op.create_table(
        "sharing_warninglist_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["sharing_warninglists.id"],
            name=op.f("fk_sharing_warninglist_entries_list_id_sharing_warninglists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_warninglist_entries")),
    )
    with op.batch_alter_table("sharing_warninglist_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_warninglist_entries_list_id"), ["list_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sharing_warninglist_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_warninglist_entries_list_id"))
    op.drop_table("sharing_warninglist_entries")
    op.drop_table("sharing_warninglists")
    op.drop_table("sharing_observable_prefixes")
