"""case closing: a "closed" case status, with its reason and moment

Revision ID: disclosure_0005
Revises: disclosure_0004
Create Date: 2026-12-06 03:41:34.735934
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "disclosure_0005"
down_revision = "disclosure_0004"
branch_labels = None
depends_on = None

_BEFORE = ("reported", "invalid", "spam", "duplicate", "question", "open", "published")


def _status(*values: str) -> sa.Enum:
    # The status is a string with a CHECK constraint (accord.db.str_enum): altering the type
    # drops the old constraint and creates the new one, on both databases.
    return sa.Enum(
        *values,
        name="disclosure_case_status",
        native_enum=False,
        create_constraint=True,
        length=20,
    )


def upgrade() -> None:
    with op.batch_alter_table("disclosure_cases", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=_status(*_BEFORE),
            type_=_status(*_BEFORE, "closed"),
            existing_nullable=False,
        )
        batch_op.add_column(
            sa.Column(
                "close_reason",
                sa.Enum(
                    "fixed_no_advisory",
                    "not_a_vulnerability",
                    "duplicate",
                    "withdrawn",
                    "other",
                    name="disclosure_close_reason",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("closed_at", accord.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    # A closed case goes back to open: the older schema knows no other state for it.
    op.execute("UPDATE disclosure_cases SET status = 'open' WHERE status = 'closed'")
    with op.batch_alter_table("disclosure_cases", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
        batch_op.drop_column("close_reason")
        batch_op.alter_column(
            "status",
            existing_type=_status(*_BEFORE, "closed"),
            type_=_status(*_BEFORE),
            existing_nullable=False,
        )
