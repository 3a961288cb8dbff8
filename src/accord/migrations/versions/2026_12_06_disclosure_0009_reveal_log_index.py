"""a published case keeps the log index of the entry that revealed its key

Revision ID: disclosure_0009
Revises: disclosure_0008
Create Date: 2026-12-06 21:50:00.000000

Every publication answers where it sits in the log (``LogPlace``); the entry that reveals a
published case's key was the one that did not. Cases published before keep none: their
entry is found by its subject, ``disclosure:<ref>``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "disclosure_0009"
down_revision = "disclosure_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("disclosure_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reveal_log_index", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN, not batch mode: batch mode copies the table and drops the
    # old one, and with foreign keys on that drop cascades to every case's vendors.
    op.drop_column("disclosure_cases", "reveal_log_index")
