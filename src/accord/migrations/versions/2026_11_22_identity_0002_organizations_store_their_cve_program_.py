"""organizations store their CVE Program organization id

Revision ID: identity_0002
Revises: identity_0001
Create Date: 2026-11-22 10:23:59.889475
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cve_org_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("cve_org_id")
