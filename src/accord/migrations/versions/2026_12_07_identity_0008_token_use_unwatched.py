"""a token's use mark no longer changes the access version: its trigger on api_tokens names
every column but last_used_at, which a token's use writes once a minute, so that with many
tokens in use the rows a process keeps stay valid

Revision ID: identity_0008
Revises: identity_0007
Create Date: 2026-12-07 08:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "identity_0008"
down_revision = "identity_0007"
branch_labels = None
depends_on = None

TRIGGER = "access_version_api_tokens_update"
# Written by every use of a token (identity.callers.mark_used) and read by no access decision.
UNWATCHED = "last_used_at"
# As identity_0007 writes them.
_SQLITE_BUMP = (
    "INSERT INTO access_versions (shard, version) VALUES (0, 1) ON CONFLICT (shard)"
    " DO UPDATE SET version = access_versions.version + 1;"
)


def _create(columns: list[str] | None) -> None:
    """The update trigger, for ``columns`` (None: every column)."""
    postgres = op.get_context().dialect.name == "postgresql"
    event = "UPDATE" if columns is None else f"UPDATE OF {', '.join(columns)}"
    if postgres:
        op.execute(f"CREATE TRIGGER {TRIGGER} AFTER {event} ON api_tokens"
                   " FOR EACH STATEMENT EXECUTE FUNCTION access_bump_version()")  # fmt: skip
    else:
        op.execute(f"CREATE TRIGGER {TRIGGER} AFTER {event} ON api_tokens"
                   f" FOR EACH ROW BEGIN {_SQLITE_BUMP} END")  # fmt: skip


def _drop() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    op.execute(f"DROP TRIGGER {TRIGGER} ON api_tokens" if postgres else f"DROP TRIGGER {TRIGGER}")


def upgrade() -> None:
    # Every column there is now; a column added later must be added to the trigger
    # (tests/sharing/test_access_cache.py updates each column of each watched table).
    columns = [c["name"] for c in sa.inspect(op.get_bind()).get_columns("api_tokens")]
    _drop()
    _create([name for name in columns if name != UNWATCHED])


def downgrade() -> None:
    _drop()
    _create(None)
