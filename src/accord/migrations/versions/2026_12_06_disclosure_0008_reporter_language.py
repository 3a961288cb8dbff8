"""the language of the page a report was sent from

Revision ID: disclosure_0008
Revises: disclosure_0007
Create Date: 2026-12-06 13:40:00.000000

The reporter has no account, so no saved language: the one of the report form's page is kept
on the case and the reporter's emails are written in it. Reports sent before have none and
keep getting English.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "disclosure_0008"
down_revision = "disclosure_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("disclosure_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), not batch mode: batch mode copies
    # the table and drops the old one, and with foreign keys on that drop cascades to every
    # case's vendors, messages and statuses.
    op.drop_column("disclosure_cases", "language")
