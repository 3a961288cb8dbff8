"""declared products

Revision ID: registry_0002
Revises: registry_0001
Create Date: 2026-11-22 11:15:41.768975
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "registry_0002"
down_revision = "registry_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "declared_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("purl", sa.String(length=500), nullable=False),
        sa.Column("ecosystem", sa.String(length=100), nullable=False),
        sa.Column("package", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_declared_products_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declared_products")),
        sa.UniqueConstraint(
            "organization_id",
            "ecosystem",
            "package",
            name=op.f("uq_declared_products_organization_id"),
        ),
    )
    with op.batch_alter_table("declared_products", schema=None) as batch_op:
        batch_op.create_index(
            "ix_declared_products_package",
            ["ecosystem", "package", "organization_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("declared_products", schema=None) as batch_op:
        batch_op.drop_index("ix_declared_products_package")

    op.drop_table("declared_products")
