"""several vulnerabilities per case, and each vendor's status per vulnerability and product

Revision ID: disclosure_0006
Revises: disclosure_0005
Create Date: 2026-12-06 05:55:00.000000

Every opened case gets its vulnerability number 1 from what the case holds today: the report's
title as its summary and, where the case's advisory was published, that advisory's CVSS
vector and CWE ids. Each vendor's answer becomes its status for vulnerability 1 and the
case's product ("acknowledged" reads as "under investigation"; "no reply yet" stays a
missing row, never "not affected").
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "disclosure_0006"
down_revision = "disclosure_0005"
branch_labels = None
# The backfill reads the published advisory's scores and weaknesses.
depends_on = "advisories_0001"

_STATUS = sa.Enum(
    "no_reply",
    "under_investigation",
    "affected",
    "not_affected",
    "fixed",
    name="disclosure_product_status",
    native_enum=False,
    create_constraint=True,
    length=20,
)


def upgrade() -> None:
    op.create_table(
        "disclosure_vulnerabilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("cvss_vector", sa.String(length=300), nullable=True),
        sa.Column("cwe_ids", sa.JSON(), nullable=False),
        sa.Column("cve_id", sa.String(length=20), nullable=True),
        sa.Column("advisory_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["disclosure_cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "ordinal"),
    )
    op.create_table(
        "disclosure_product_statuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vulnerability_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("purl", sa.String(length=500), nullable=True),
        sa.Column("status", _STATUS, nullable=False),
        sa.Column("justification", sa.String(length=60), nullable=True),
        sa.Column("affected_versions", sa.JSON(), nullable=False),
        sa.Column("fixed_versions", sa.JSON(), nullable=False),
        sa.Column("updated_at", accord.db.UTCDateTime(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["vendor_id"], ["disclosure_vendors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["vulnerability_id"], ["disclosure_vulnerabilities.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vulnerability_id", "vendor_id", "product"),
    )
    op.create_index(
        "ix_disclosure_product_statuses_vendor",
        "disclosure_product_statuses",
        ["vendor_id"],
        unique=False,
    )
    _backfill()


def _backfill() -> None:
    # Plain SQL through the connection: the models may move on, this step must not.
    bind = op.get_bind()
    cases = bind.execute(
        sa.text(
            "SELECT c.id, c.title, c.product, c.advisory_id, c.opened_at, c.updated_at, "
            "a.cvss_v3_vector, a.cvss_v4_vector, a.cwe_ids "
            "FROM disclosure_cases c LEFT JOIN advisories a ON a.osv_id = c.advisory_id "
            "WHERE c.ref IS NOT NULL"
        )
    ).all()
    vulnerabilities = sa.table(
        "disclosure_vulnerabilities",
        sa.column("case_id", sa.Integer()),
        sa.column("ordinal", sa.Integer()),
        sa.column("summary", sa.String()),
        sa.column("cvss_vector", sa.String()),
        sa.column("cwe_ids", sa.JSON()),
        sa.column("cve_id", sa.String()),
        sa.column("advisory_id", sa.String()),
        sa.column("created_at", accord.db.UTCDateTime()),
        sa.column("updated_at", accord.db.UTCDateTime()),
        sa.column("details", sa.Text()),
    )
    statuses = sa.table(
        "disclosure_product_statuses",
        sa.column("vulnerability_id", sa.Integer()),
        sa.column("vendor_id", sa.Integer()),
        sa.column("product", sa.String()),
        sa.column("purl", sa.String()),
        sa.column("status", sa.String()),
        sa.column("justification", sa.String()),
        sa.column("affected_versions", sa.JSON()),
        sa.column("fixed_versions", sa.JSON()),
        sa.column("updated_at", accord.db.UTCDateTime()),
        sa.column("statement", sa.Text()),
    )
    for case_id, title, product, advisory, opened, updated, v3, v4, cwes in cases:
        moment = opened or updated
        bind.execute(
            vulnerabilities.insert().values(
                case_id=case_id,
                ordinal=1,
                summary=title[:200],
                cvss_vector=v4 or v3,
                cwe_ids=_list(cwes),
                cve_id=None,
                advisory_id=advisory,
                created_at=moment,
                updated_at=moment,
                details="",
            )
        )
        vulnerability_id = bind.execute(
            sa.text("SELECT id FROM disclosure_vulnerabilities WHERE case_id = :c AND ordinal = 1"),
            {"c": case_id},
        ).scalar_one()
        vendors = bind.execute(
            sa.text(
                "SELECT id, status, justification, statement, purl, affected_versions, "
                "fixed_versions, updated_at FROM disclosure_vendors "
                "WHERE case_id = :c AND status != 'no_reply'"
            ),
            {"c": case_id},
        ).all()
        for vendor_id, status, justification, statement, purl, affected, fixed, at in vendors:
            bind.execute(
                statuses.insert().values(
                    vulnerability_id=vulnerability_id,
                    vendor_id=vendor_id,
                    product=product[:200],
                    purl=purl,
                    status="under_investigation" if status == "acknowledged" else status,
                    justification=justification,
                    affected_versions=_list(affected),
                    fixed_versions=_list(fixed),
                    updated_at=at,
                    statement=statement or "",
                )
            )


def _list(value: object) -> list[str]:
    # JSON columns come back decoded on PostgreSQL and, through a plain SELECT, as text on
    # SQLite.
    if isinstance(value, str):
        value = json.loads(value)
    return [str(v) for v in value] if isinstance(value, list) else []


def downgrade() -> None:
    op.drop_index("ix_disclosure_product_statuses_vendor", table_name="disclosure_product_statuses")
    op.drop_table("disclosure_product_statuses")
    op.drop_table("disclosure_vulnerabilities")
