"""embargo proposals apart from the embargo in force, log keys, vendor advisories

Until now ``disclosure_cases.embargo_at`` held the last *proposed* moment, and publication read
it as the embargo. From here it holds the embargo in force, and a proposal waits in
``embargo_proposed_at`` until every vendor that may be affected accepts it. An open case's
stored moment stays in force only where every such vendor had accepted it; otherwise it
becomes a pending proposal and the case has no embargo in force (so nothing publishes
early without every vendor's agreement).

Each case gains a random key for its entries in the transparency log, and each vendor the id
of the advisory it published itself.

Revision ID: disclosure_0004
Revises: disclosure_0003
Create Date: 2026-12-06 02:42:58.070387
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "disclosure_0004"
down_revision = "disclosure_0003"
branch_labels = None
depends_on = None

_NOT_ACCEPTED = """
UPDATE disclosure_cases SET embargo_proposed_at = embargo_at, embargo_at = NULL
WHERE status = 'open' AND embargo_at IS NOT NULL AND EXISTS (
    SELECT 1 FROM disclosure_vendors v
    WHERE v.case_id = disclosure_cases.id AND v.status <> 'not_affected'
    AND (v.embargo_accepted_at IS NULL OR v.embargo_accepted_at <> disclosure_cases.embargo_at)
)
"""


def upgrade() -> None:
    with op.batch_alter_table("disclosure_cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("embargo_proposed_at", accord.db.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("log_key", sa.String(length=64), nullable=True))

    with op.batch_alter_table("disclosure_vendors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("advisory_id", sa.String(length=128), nullable=True))

    bind = op.get_bind()
    bind.execute(sa.text(_NOT_ACCEPTED))
    ids = bind.execute(sa.text("SELECT id FROM disclosure_cases")).scalars().all()
    if ids:
        bind.execute(
            sa.text("UPDATE disclosure_cases SET log_key = :key WHERE id = :id"),
            [{"id": i, "key": secrets.token_hex(32)} for i in ids],
        )
    with op.batch_alter_table("disclosure_cases", schema=None) as batch_op:
        batch_op.alter_column("log_key", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE disclosure_cases SET embargo_at = embargo_proposed_at "
            "WHERE embargo_proposed_at IS NOT NULL"
        )
    )
    with op.batch_alter_table("disclosure_vendors", schema=None) as batch_op:
        batch_op.drop_column("advisory_id")

    with op.batch_alter_table("disclosure_cases", schema=None) as batch_op:
        batch_op.drop_column("log_key")
        batch_op.drop_column("embargo_proposed_at")
