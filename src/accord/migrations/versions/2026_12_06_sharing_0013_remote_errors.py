"""federation pulls set up from the pages: a remote's last error, and a remote whose
collection is not chosen yet (the remote's own list is offered on the next step)

Revision ID: sharing_0013
Revises: sharing_0012
Create Date: 2026-12-06 18:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sharing_0013"
down_revision = "sharing_0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sharing_remotes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.alter_column(
            "remote_collection", existing_type=sa.String(length=100), nullable=True
        )


def downgrade() -> None:
    op.execute("DELETE FROM sharing_remotes WHERE remote_collection IS NULL")
    with op.batch_alter_table("sharing_remotes", schema=None) as batch_op:
        batch_op.alter_column(
            "remote_collection", existing_type=sa.String(length=100), nullable=False
        )
        batch_op.drop_column("last_error")
