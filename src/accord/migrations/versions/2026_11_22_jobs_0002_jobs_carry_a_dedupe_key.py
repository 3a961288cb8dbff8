"""jobs carry a dedupe key, unique among queued jobs

Revision ID: jobs_0002
Revises: jobs_0001
Create Date: 2026-11-22 13:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "jobs_0002"
down_revision = "jobs_0001"
branch_labels = None
depends_on = None

QUEUED_WITH_KEY = "state = 'queued' AND dedupe_key IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=200), nullable=True))
        batch_op.create_index(
            "ux_jobs_queued_dedupe_key",
            ["dedupe_key"],
            unique=True,
            sqlite_where=sa.text(QUEUED_WITH_KEY),
            postgresql_where=sa.text(QUEUED_WITH_KEY),
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ux_jobs_queued_dedupe_key")
        batch_op.drop_column("dedupe_key")
