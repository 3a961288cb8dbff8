"""signatures and departures keep their transparency log index

Revision ID: registry_0006
Revises: registry_0005
Create Date: 2026-12-06 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "registry_0006"
down_revision = "registry_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signatures") as batch:
        batch.add_column(sa.Column("log_index", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("registry_departures") as batch:
        batch.add_column(sa.Column("log_index", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registry_departures") as batch:
        batch.drop_column("log_index")
    with op.batch_alter_table("signatures") as batch:
        batch.drop_column("log_index")
