"""a remote's and a push target's last error kept as a message too (its id and values, as
JSON), so that the federation pages say it in their reader's language

Revision ID: sharing_0014
Revises: sharing_0013
Create Date: 2026-12-07 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sharing_0014"
down_revision = "sharing_0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("sharing_remotes", "sharing_push_targets"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("last_error_said", sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in ("sharing_remotes", "sharing_push_targets"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("last_error_said")
