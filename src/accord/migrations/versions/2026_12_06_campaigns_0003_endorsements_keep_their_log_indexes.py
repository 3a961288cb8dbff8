"""endorsements keep the transparency log indexes of their endorsement and withdrawal

Revision ID: campaigns_0003
Revises: campaigns_0002
Create Date: 2026-12-06 20:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "campaigns_0003"
down_revision = "campaigns_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_endorsements") as batch:
        batch.add_column(sa.Column("endorsed_log_index", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("withdrawn_log_index", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_endorsements") as batch:
        batch.drop_column("withdrawn_log_index")
        batch.drop_column("endorsed_log_index")
