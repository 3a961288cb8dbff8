"""pledge versions keep their transparency log index

Revision ID: campaigns_0002
Revises: campaigns_0001
Create Date: 2026-12-06 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "campaigns_0002"
down_revision = "campaigns_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_pledge_versions") as batch:
        batch.add_column(sa.Column("log_index", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_pledge_versions") as batch:
        batch.drop_column("log_index")
