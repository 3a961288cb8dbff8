"""index of a case's messages by thread (audience, vendor) and id

Revision ID: disclosure_0007
Revises: disclosure_0006
Create Date: 2026-12-06 07:10:00.000000

The case page reads the newest messages of each thread (a window over audience and vendor,
newest first): with this index PostgreSQL reads them in order instead of sorting a case's
messages, which was the page's largest query at 5,000 messages.
"""

from __future__ import annotations

from alembic import op

revision = "disclosure_0007"
down_revision = "disclosure_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("disclosure_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_disclosure_messages_thread",
            ["case_id", "audience", "vendor_org_id", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("disclosure_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_disclosure_messages_thread")
