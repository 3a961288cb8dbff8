"""a version of everything a caller's access is read from (tokens, users, second factors,
memberships, organizations, collections, their grants, sharing groups, audiences, remotes),
bumped by triggers on every change, so that a process may keep what it read of them while
the version is unchanged; on PostgreSQL in 16 shards, so that writers do not wait on one row

Revision ID: identity_0007
Revises: identity_0006
Create Date: 2026-12-07 04:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "identity_0007"
down_revision = "identity_0006"
branch_labels = None
# The sharing tables it watches (audiences, remotes, grants) exist from these on.
depends_on = "sharing_0015"

_EVENTS = ("insert", "update", "delete")
# Every table a caller's token, its rights on a collection or a reader's TLP facts are read
# from (identity.access.token_actor, sharing.readers): a change of any row of any of them
# changes the version. Every column counts (a list of columns would miss one added later).
TABLES = (
    "api_tokens",
    "users",
    "second_factors",
    "memberships",
    "organizations",
    "sharing_collections",
    "sharing_collection_grants",
    "sharing_group_members",
    "sharing_audience_members",
    "sharing_remotes",
)

# SQLite has one writer: one row (shard 0), bumped by row triggers; an upsert, so that a
# table emptied under a running hub (the tests) is counted again from 1.
_SQLITE_BUMP = (
    "INSERT INTO access_versions (shard, version) VALUES (0, 1) ON CONFLICT (shard)"
    " DO UPDATE SET version = access_versions.version + 1;"
)
# PostgreSQL: a bumped row stays locked until its writer commits; 16 shards, and a writer
# bumps the first one no other transaction holds, from its backend's own (as sharing_0015).
# Once per statement: a statement changing many rows bumps once.
_PG_BUMP = """
CREATE FUNCTION access_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  home integer := pg_backend_pid() % 16;
  picked smallint;
BEGIN
  SELECT shard INTO picked FROM access_versions
    ORDER BY (shard - home + 16) % 16 LIMIT 1
    FOR UPDATE SKIP LOCKED;
  IF FOUND THEN
    UPDATE access_versions SET version = version + 1 WHERE shard = picked;
  ELSE
    INSERT INTO access_versions (shard, version) VALUES (home, 1)
      ON CONFLICT (shard) DO UPDATE SET version = access_versions.version + 1;
  END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "access_versions",
        sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_access_versions")),
    )
    postgres = op.get_context().dialect.name == "postgresql"
    if postgres:
        op.execute("INSERT INTO access_versions (shard, version)"
                   " SELECT shard, 0 FROM generate_series(0, 15) AS shard")  # fmt: skip
        op.execute(_PG_BUMP)
    for table in TABLES:
        for event in _EVENTS:
            name = f"access_version_{table}_{event}"
            if postgres:
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table}"
                    " FOR EACH STATEMENT EXECUTE FUNCTION access_bump_version()"
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
            name = f"access_version_{table}_{event}"
            op.execute(f"DROP TRIGGER {name} ON {table}" if postgres else f"DROP TRIGGER {name}")
    if postgres:
        op.execute("DROP FUNCTION access_bump_version()")
    op.drop_table("access_versions")
