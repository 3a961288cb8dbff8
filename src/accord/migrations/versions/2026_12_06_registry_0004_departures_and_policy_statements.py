"""registry keeps signatories' departures and what each fetched policy page states

Revision ID: registry_0004
Revises: registry_0003
Create Date: 2026-12-06 08:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "registry_0004"
down_revision = "registry_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_departures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "left",
                "removed",
                name="departure_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("departed_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_registry_departures_decided_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_registry_departures_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_departures")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_registry_departures_organization_id")),
    )
    with op.batch_alter_table("registry_reach_checks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("statements", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registry_reach_checks", schema=None) as batch_op:
        batch_op.drop_column("statements")
    op.drop_table("registry_departures")
