"""federation pushes: collections of other TAXII servers the hub writes its new objects to

Revision ID: sharing_0012
Revises: sharing_0011
Create Date: 2026-12-06 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "sharing_0012"
down_revision = "sharing_0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sharing_push_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("api_root", sa.String(length=500), nullable=False),
        sa.Column("remote_collection", sa.String(length=100), nullable=True),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("max_tlp", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=True),
        sa.Column("token_sealed", sa.Text(), nullable=True),
        sa.Column("every_minutes", sa.Integer(), nullable=True),
        sa.Column("cursor_added", accord.db.UTCDateTime(), nullable=True),
        sa.Column(
            "cursor_row", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("pushed", sa.Integer(), nullable=False),
        sa.Column("last_push_at", accord.db.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["sharing_collections.id"],
            name=op.f("fk_sharing_push_targets_collection_id_sharing_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sharing_push_targets_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_push_targets")),
        sa.UniqueConstraint("name", name=op.f("uq_sharing_push_targets_name")),
    )
    op.create_index(
        op.f("ix_sharing_push_targets_collection_id"),
        "sharing_push_targets",
        ["collection_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sharing_push_targets_collection_id"), table_name="sharing_push_targets")
    op.drop_table("sharing_push_targets")
