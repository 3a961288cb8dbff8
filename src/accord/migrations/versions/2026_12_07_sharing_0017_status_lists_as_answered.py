"""a TAXII status keeps its successes and failures as the JSON its answer writes, so that a
poll splices them into the answer instead of decoding and encoding an entry for each object

A complete status of an envelope of 1,000 objects cost the web process about 2.5 ms of CPU a
poll, two thirds of it decoding the stored lists and encoding them again (docs/benchmarks.md,
"status polls"). Statuses kept before this revision keep their lists in ``details`` and are
answered from there, as before; new ones write ``{}`` there.

Revision ID: sharing_0017
Revises: sharing_0016
Create Date: 2026-12-07 16:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sharing_0017"
down_revision = "sharing_0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sharing_statuses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("successes", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("failures", sa.Text(), nullable=True))


def downgrade() -> None:
    # The lists go back into ``details``, where the earlier code reads them.
    lists = "'{\"successes\":' || successes || ',\"failures\":' || failures || '}'"
    if op.get_context().dialect.name != "sqlite":
        lists = f"CAST({lists} AS JSON)"
    op.execute(f"UPDATE sharing_statuses SET details = {lists} WHERE successes IS NOT NULL")  # noqa: S608
    with op.batch_alter_table("sharing_statuses", schema=None) as batch_op:
        batch_op.drop_column("failures")
        batch_op.drop_column("successes")
