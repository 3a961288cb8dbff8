"""translations of the accord's versions, read beside the signed English text

Revision ID: registry_0005
Revises: registry_0004
Create Date: 2026-12-06 13:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "registry_0005"
down_revision = "registry_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accord_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("accord_version_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("added_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["accord_version_id"], ["accord_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("accord_version_id", "language"),
    )


def downgrade() -> None:
    op.drop_table("accord_translations")
