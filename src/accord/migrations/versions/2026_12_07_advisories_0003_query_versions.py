"""a version of everything an OSV query reads (advisories, their package and commit rows),
bumped by triggers on every change, so that a process may keep the answers it computed while
the version is unchanged; on PostgreSQL in 16 shards, so that writers do not wait on one row

Revision ID: advisories_0003
Revises: advisories_0002
Create Date: 2026-12-07 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "advisories_0003"
down_revision = "advisories_0002"
branch_labels = None
depends_on = None

_EVENTS = ("insert", "update", "delete")
# Every table ``advisories.querying`` and ``osv_api.documents`` read: a change of any row of
# any of them changes the version. Every column counts (a list of columns would miss one
# added later).
TABLES = ("advisories", "advisory_packages", "advisory_commits")

# SQLite has one writer: one row (shard 0), bumped by row triggers; an upsert, so that a
# table emptied under a running hub (the tests) is counted again from 1.
_SQLITE_BUMP = (
    "INSERT INTO advisory_query_versions (shard, version) VALUES (0, 1) ON CONFLICT (shard)"
    " DO UPDATE SET version = advisory_query_versions.version + 1;"
)
# PostgreSQL: a bumped row stays locked until its writer commits; 16 shards, and a writer
# bumps the first one no other transaction holds, from its backend's own (as identity_0007).
# Once per statement: a statement changing many rows bumps once.
_PG_BUMP = """
CREATE FUNCTION advisory_query_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  home integer := pg_backend_pid() % 16;
  picked smallint;
BEGIN
  SELECT shard INTO picked FROM advisory_query_versions
    ORDER BY (shard - home + 16) % 16 LIMIT 1
    FOR UPDATE SKIP LOCKED;
  IF FOUND THEN
    UPDATE advisory_query_versions SET version = version + 1 WHERE shard = picked;
  ELSE
    INSERT INTO advisory_query_versions (shard, version) VALUES (home, 1)
      ON CONFLICT (shard) DO UPDATE SET version = advisory_query_versions.version + 1;
  END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "advisory_query_versions",
        sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_advisory_query_versions")),
    )
    postgres = op.get_context().dialect.name == "postgresql"
    if postgres:
        op.execute("INSERT INTO advisory_query_versions (shard, version)"
                   " SELECT shard, 0 FROM generate_series(0, 15) AS shard")  # fmt: skip
        op.execute(_PG_BUMP)
    for table in TABLES:
        for event in _EVENTS:
            name = f"advisory_query_version_{table}_{event}"
            if postgres:
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table}"
                    " FOR EACH STATEMENT EXECUTE FUNCTION advisory_query_bump_version()"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table}"
                    f" FOR EACH ROW BEGIN {_SQLITE_BUMP} END"
                )


def downgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    for table in TABLES:
        for event in _EVENTS:
            name = f"advisory_query_version_{table}_{event}"
            op.execute(f"DROP TRIGGER {name} ON {table}" if postgres else f"DROP TRIGGER {name}")
    if postgres:
        op.execute("DROP FUNCTION advisory_query_bump_version()")
    op.drop_table("advisory_query_versions")
