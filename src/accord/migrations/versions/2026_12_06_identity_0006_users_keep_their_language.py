"""users keep their language: emails are written in it

Revision ID: identity_0006
Revises: identity_0005
Create Date: 2026-12-06 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "identity_0006"
down_revision = "identity_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
