"""registry keeps reachability checks of disclosure policies and CSAF provider metadata

Revision ID: registry_0003
Revises: registry_0002
Create Date: 2026-11-22 13:26:53.721932
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "registry_0003"
down_revision = "registry_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_reach_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "policy",
                "csaf",
                name="reach_check_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("final_url", sa.String(length=2000), nullable=True),
        sa.Column("fetched_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("problem", sa.String(length=50), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_registry_reach_checks_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_reach_checks")),
    )
    with op.batch_alter_table("registry_reach_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_reach_checks_fetched_at"), ["fetched_at"], unique=False
        )
        batch_op.create_index(
            "ix_registry_reach_checks_org_kind", ["organization_id", "kind", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("registry_reach_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_reach_checks_org_kind")
        batch_op.drop_index(batch_op.f("ix_registry_reach_checks_fetched_at"))

    op.drop_table("registry_reach_checks")
