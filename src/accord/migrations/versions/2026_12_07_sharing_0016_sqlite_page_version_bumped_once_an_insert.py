"""on SQLite, the page version of a collection is bumped once by each insert of its objects
(``ingest_rows.insert``, the one place objects are inserted) rather than by a row trigger

A row trigger on SQLite runs a sub-program for every row, and an INSERT with a trigger writes
more than one table, so SQLite gives each row's statement a statement journal: every page the
row changes is copied there first. Callgrind put the two at about a sixth of the drainer's
instructions an object. Updates and deletes keep their row triggers (any writer, a few rows);
PostgreSQL's statement triggers, once a statement, stay as they are.

Revision ID: sharing_0016
Revises: sharing_0015
Create Date: 2026-12-07 10:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "sharing_0016"
down_revision = "sharing_0015"
branch_labels = None
depends_on = None

_INSERT_TRIGGER = (
    "CREATE TRIGGER sharing_objects_page_insert AFTER INSERT ON sharing_objects FOR EACH ROW"
    " BEGIN INSERT INTO sharing_page_versions (collection_id, shard, version)"
    " VALUES (NEW.collection_id, 0, 1) ON CONFLICT (collection_id, shard)"
    " DO UPDATE SET version = sharing_page_versions.version + 1; END"
)


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER sharing_objects_page_insert")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute(_INSERT_TRIGGER)
