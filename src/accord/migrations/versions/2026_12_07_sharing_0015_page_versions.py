"""a version per collection, bumped by triggers on every change of its stored objects, so
that cached TAXII pages are served only while the objects they were read from are unchanged;
on PostgreSQL in 16 shards a collection, so that its writers do not wait on one row

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

# SQLite has one writer: one row a collection (shard 0), bumped by row triggers. An update
# bumps the old and the new collection (the same one unless a row moved).
_SQLITE_BUMP = (
    "INSERT INTO sharing_page_versions (collection_id, shard, version)"
    " VALUES ({row}.collection_id, 0, 1) ON CONFLICT (collection_id, shard)"
    " DO UPDATE SET version = sharing_page_versions.version + 1;"
)
_SQLITE_ROWS = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}

# PostgreSQL: the row a transaction bumps stays locked until its commit, so one row a
# collection would make every writer of the collection wait for the one before (envelopes of
# different objects otherwise go side by side, tests/sharing/test_ingest_locks.py). A
# collection has 16 rows (shards), made with it; a writer bumps the first one no other
# transaction holds, starting from its backend's own (pg_backend_pid() % 16, so that two
# backends seldom even try the same), and waits only when every one is held (then on its
# own shard). The version is the sum of the shards (page_cache.py).
_PG_BUMP_ONE = """
CREATE FUNCTION sharing_bump_page_version(collection bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  home integer := pg_backend_pid() % 16;
  picked smallint;
BEGIN
  SELECT shard INTO picked FROM sharing_page_versions
    WHERE collection_id = collection
    ORDER BY (shard - home + 16) % 16 LIMIT 1
    FOR UPDATE SKIP LOCKED;
  IF FOUND THEN
    UPDATE sharing_page_versions SET version = version + 1
      WHERE collection_id = collection AND shard = picked;
  ELSE
    INSERT INTO sharing_page_versions (collection_id, shard, version)
      VALUES (collection, home, 1)
      ON CONFLICT (collection_id, shard)
      DO UPDATE SET version = sharing_page_versions.version + 1;
  END IF;
END $$
"""
# One statement trigger per event with its transition table, so that a COPY of thousands of
# rows (the drainer's) bumps each collection once; the collections in id order, so that two
# writers waiting on each other's shards (every shard held) cannot deadlock.
_PG_BUMP = """
CREATE FUNCTION sharing_bump_page_versions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    FOR changed IN SELECT DISTINCT collection_id FROM changed_new ORDER BY 1 LOOP
      PERFORM sharing_bump_page_version(changed);
    END LOOP;
  ELSIF TG_OP = 'DELETE' THEN
    FOR changed IN SELECT DISTINCT collection_id FROM changed_old ORDER BY 1 LOOP
      PERFORM sharing_bump_page_version(changed);
    END LOOP;
  ELSE
    FOR changed IN
      SELECT collection_id FROM changed_new UNION SELECT collection_id FROM changed_old
      ORDER BY 1
    LOOP
      PERFORM sharing_bump_page_version(changed);
    END LOOP;
  END IF;
  RETURN NULL;
END $$
"""
_PG_TABLES = {
    "insert": "NEW TABLE AS changed_new",
    "update": "OLD TABLE AS changed_old NEW TABLE AS changed_new",
    "delete": "OLD TABLE AS changed_old",
}
# A collection's shards are made with it, in the transaction that makes it: the first
# writers of a new collection then find them rather than inserting them (an insert of a key
# another transaction inserted and has not committed waits for it).
_PG_SHARDS = """
CREATE FUNCTION sharing_page_version_shards() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO sharing_page_versions (collection_id, shard, version)
    SELECT NEW.id, shard, 0 FROM generate_series(0, 15) AS shard
    ON CONFLICT (collection_id, shard) DO NOTHING;
  RETURN NULL;
END $$
"""
_PG_SHARDS_OF_EXISTING = """
INSERT INTO sharing_page_versions (collection_id, shard, version)
  SELECT id, shard, 0 FROM sharing_collections, generate_series(0, 15) AS shard
"""


def upgrade() -> None:
    op.create_table(
        "sharing_page_versions",
        sa.Column(
            "collection_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("collection_id", "shard", name=op.f("pk_sharing_page_versions")),
    )
    if op.get_context().dialect.name == "postgresql":
        # A function body referencing a transition table is checked when the trigger runs.
        op.execute(_PG_BUMP_ONE)
        op.execute(_PG_BUMP)
        for event in _EVENTS:
            op.execute(
                f"CREATE TRIGGER sharing_objects_page_{event} AFTER {event.upper()}"
                f" ON sharing_objects REFERENCING {_PG_TABLES[event]}"
                " FOR EACH STATEMENT EXECUTE FUNCTION sharing_bump_page_versions()"
            )
        op.execute(_PG_SHARDS)
        op.execute(
            "CREATE TRIGGER sharing_collections_page_shards AFTER INSERT"
            " ON sharing_collections FOR EACH ROW EXECUTE FUNCTION sharing_page_version_shards()"
        )
        op.execute(_PG_SHARDS_OF_EXISTING)
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
        op.execute("DROP TRIGGER sharing_collections_page_shards ON sharing_collections")
        op.execute("DROP FUNCTION sharing_page_version_shards()")
        op.execute("DROP FUNCTION sharing_bump_page_versions()")
        op.execute("DROP FUNCTION sharing_bump_page_version(bigint)")
    op.drop_table("sharing_page_versions")
