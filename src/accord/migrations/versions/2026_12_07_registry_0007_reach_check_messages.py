"""a reach check's message kept as a message too (its id and values, as JSON), so that the
profile page says it in its reader's language

Revision ID: registry_0007
Revises: registry_0006
Create Date: 2026-12-07 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "registry_0007"
down_revision = "registry_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registry_reach_checks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_said", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registry_reach_checks", schema=None) as batch_op:
        batch_op.drop_column("message_said")
