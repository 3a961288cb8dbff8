"""pledges beside the accord, their endorsements, and campaigns with daily snapshots

Revision ID: campaigns_0001
Revises:
Create Date: 2026-12-06 09:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "campaigns_0001"
down_revision = None
branch_labels = ("campaigns",)
depends_on = "registry_0004"


def upgrade() -> None:
    op.create_table(
        "campaign_pledges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("created_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_pledges")),
        sa.UniqueConstraint("slug", name=op.f("uq_campaign_pledges_slug")),
    )
    op.create_table(
        "campaign_pledge_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["pledge_id"],
            ["campaign_pledges.id"],
            name=op.f("fk_campaign_pledge_versions_pledge_id_campaign_pledges"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_pledge_versions")),
        sa.UniqueConstraint(
            "pledge_id", "number", name=op.f("uq_campaign_pledge_versions_pledge_id")
        ),
    )
    op.create_table(
        "campaign_endorsements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("endorsed_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("endorsed_by", sa.String(length=200), nullable=False),
        sa.Column("withdrawn_at", accord.db.UTCDateTime(), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_campaign_endorsements_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"],
            ["campaign_pledges.id"],
            name=op.f("fk_campaign_endorsements_pledge_id_campaign_pledges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["campaign_pledge_versions.id"],
            name=op.f("fk_campaign_endorsements_version_id_campaign_pledge_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_endorsements")),
    )
    with op.batch_alter_table("campaign_endorsements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_endorsements_pledge_org", ["pledge_id", "organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaign_endorsements_organization_id"),
            ["organization_id"],
            unique=False,
        )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "goal",
            sa.Enum(
                "disclosure_policy",
                "security_txt",
                "csaf_provider",
                "safe_harbour",
                name="campaign_goal",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("slug", name=op.f("uq_campaigns_slug")),
    )
    op.create_table(
        "campaign_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("taken_at", accord.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_snapshots_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_snapshots")),
        sa.UniqueConstraint("campaign_id", "day", name=op.f("uq_campaign_snapshots_campaign_id")),
    )


def downgrade() -> None:
    op.drop_table("campaign_snapshots")
    op.drop_table("campaigns")
    with op.batch_alter_table("campaign_endorsements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_endorsements_organization_id"))
        batch_op.drop_index("ix_campaign_endorsements_pledge_org")
    op.drop_table("campaign_endorsements")
    op.drop_table("campaign_pledge_versions")
    op.drop_table("campaign_pledges")
