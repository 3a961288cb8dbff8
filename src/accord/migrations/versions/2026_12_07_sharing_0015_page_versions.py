"""a version per collection, bumped by triggers on every change of its stored objects, so
that cached TAXII pages are served only while the objects they were read from are unchanged

Revision ID: sharing_0015
Revises: sharing_0014
Create Date: 2026-12-07 01:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sharing_0015"
down_revision = "sharing_0014"
branch_labels = None
depends_on = None

_EVENTS = ("insert", "update", "delete")

# SQLite: row triggers only. An update bumps the old and the new collection (the same one
# unless a row moved).
_SQLITE_BUMP = (
    "INSERT INTO sharing_page_versions (collection_id, version) VALUES ({row}.collection_id, 1)"
    " ON CONFLICT (collection_id) DO UPDATE SET version = sharing_page_versions.version + 1;"
)
_SQLITE_ROWS = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}

# PostgreSQL: one statement trigger per event with its transition table, so that a COPY of
# thousands of rows (the drainer's) bumps each collection once.
_PG_FUNCTION = """
CREATE FUNCTION sharing_bump_page_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR TG_OP = 'UPDATE' THEN
    INSERT INTO sharing_page_versions (collection_id, version)
      SELECT DISTINCT collection_id, 1 FROM changed_new ORDER BY collection_id
      ON CONFLICT (collection_id) DO UPDATE SET version = sharing_page_versions.version + 1;
  END IF;
  IF TG_OP = 'DELETE' OR TG_OP = 'UPDATE' THEN
    INSERT INTO sharing_page_versions (collection_id, version)
      SELECT DISTINCT collection_id, 1 FROM changed_old ORDER BY collection_id
      ON CONFLICT (collection_id) DO UPDATE SET version = sharing_page_versions.version + 1;
  END IF;
  RETURN NULL;
END $$
"""
_PG_TABLES = {
    "insert": "NEW TABLE AS changed_new",
    "update": "OLD TABLE AS changed_old NEW TABLE AS changed_new",
    "delete": "OLD TABLE AS changed_old",
}


def upgrade() -> None:
    op.create_table(
        "sharing_page_versions",
        sa.Column(
            "collection_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("collection_id", name=op.f("pk_sharing_page_versions")),
    )
    if op.get_context().dialect.name == "postgresql":
        # A function body referencing a transition table is checked when the trigger runs.
        op.execute(_PG_FUNCTION)
        for event in _EVENTS:
            op.execute(
                f"CREATE TRIGGER sharing_objects_page_{event} AFTER {event.upper()}"
                f" ON sharing_objects REFERENCING {_PG_TABLES[event]}"
                " FOR EACH STATEMENT EXECUTE FUNCTION sharing_bump_page_versions()"
            )
    else:
        for event in _EVENTS:
            body = " ".join(_SQLITE_BUMP.format(row=row) for row in _SQLITE_ROWS[event])
            op.execute(
                f"CREATE TRIGGER sharing_objects_page_{event} AFTER {event.upper()}"
                f" ON sharing_objects FOR EACH ROW BEGIN {body} END"
            )


def downgrade() -> None:
    for event in _EVENTS:
        op.execute(f"DROP TRIGGER sharing_objects_page_{event} ON sharing_objects"
                   if op.get_context().dialect.name == "postgresql"
                   else f"DROP TRIGGER sharing_objects_page_{event}")  # fmt: skip
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION sharing_bump_page_versions()")
    op.drop_table("sharing_page_versions")
