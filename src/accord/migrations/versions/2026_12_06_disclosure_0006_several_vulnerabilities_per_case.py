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
    # Tables as this revision knows them (the models may move on, this step must not), typed
    # so that times and JSON read back the same on both databases.
    bind = op.get_bind()
    moment = accord.db.UTCDateTime()
    cases = sa.table(
        "disclosure_cases",
        sa.column("id", sa.Integer()),
        sa.column("ref", sa.String()),
        sa.column("title", sa.String()),
        sa.column("product", sa.String()),
        sa.column("advisory_id", sa.String()),
        sa.column("opened_at", moment),
        sa.column("updated_at", moment),
    )
    advisories = sa.table(
        "advisories",
        sa.column("osv_id", sa.String()),
        sa.column("cvss_v3_vector", sa.String()),
        sa.column("cvss_v4_vector", sa.String()),
        sa.column("cwe_ids", sa.JSON()),
    )
    vendors = sa.table(
        "disclosure_vendors",
        sa.column("id", sa.Integer()),
        sa.column("case_id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("justification", sa.String()),
        sa.column("statement", sa.Text()),
        sa.column("purl", sa.String()),
        sa.column("affected_versions", sa.JSON()),
        sa.column("fixed_versions", sa.JSON()),
        sa.column("updated_at", moment),
    )
    vulnerabilities = sa.table(
        "disclosure_vulnerabilities",
        sa.column("id", sa.Integer()),
        sa.column("case_id", sa.Integer()),
        sa.column("ordinal", sa.Integer()),
        sa.column("summary", sa.String()),
        sa.column("cvss_vector", sa.String()),
        sa.column("cwe_ids", sa.JSON()),
        sa.column("cve_id", sa.String()),
        sa.column("advisory_id", sa.String()),
        sa.column("created_at", moment),
        sa.column("updated_at", moment),
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
        sa.column("updated_at", moment),
        sa.column("statement", sa.Text()),
    )
    opened = bind.execute(
        sa.select(
            cases.c.id,
            cases.c.title,
            cases.c.product,
            cases.c.advisory_id,
            sa.func.coalesce(cases.c.opened_at, cases.c.updated_at, type_=moment),
            advisories.c.cvss_v3_vector,
            advisories.c.cvss_v4_vector,
            advisories.c.cwe_ids,
        )
        .select_from(cases.outerjoin(advisories, advisories.c.osv_id == cases.c.advisory_id))
        .where(cases.c.ref.is_not(None))
    ).all()
    for case_id, title, product, advisory, at, v3, v4, cwes in opened:
        vulnerability_id = bind.execute(
            vulnerabilities.insert()
            .values(
                case_id=case_id,
                ordinal=1,
                summary=title[:200],
                cvss_vector=v4 or v3,
                cwe_ids=_list(cwes),
                cve_id=None,
                advisory_id=advisory,
                created_at=at,
                updated_at=at,
                details="",
            )
            .returning(vulnerabilities.c.id)
        ).scalar_one()
        answered = bind.execute(
            sa.select(
                vendors.c.id,
                vendors.c.status,
                vendors.c.justification,
                vendors.c.statement,
                vendors.c.purl,
                vendors.c.affected_versions,
                vendors.c.fixed_versions,
                vendors.c.updated_at,
            ).where(vendors.c.case_id == case_id, vendors.c.status != "no_reply")
        ).all()
        for vendor_id, status, justification, statement, purl, affected, fixed, when in answered:
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
                    updated_at=when,
                    statement=statement or "",
                )
            )


def _list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def downgrade() -> None:
    op.drop_index("ix_disclosure_product_statuses_vendor", table_name="disclosure_product_statuses")
    op.drop_table("disclosure_product_statuses")
    op.drop_table("disclosure_vulnerabilities")
