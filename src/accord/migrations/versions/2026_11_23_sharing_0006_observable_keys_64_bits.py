"""the look-up index keys observable values by 64 bits of their digest, not 32 characters

Revision ID: sharing_0006
Revises: sharing_0005
Create Date: 2026-11-23 01:50:00.000000

Every indicator stored adds a key at a random place of this index; at 32 characters a key
the index had about three times the leaf pages of an 8-byte integer, and each leaf a batch
changes is written whole to the log at its commit. The key becomes the first 64 bits of the
same SHA-256, read as a signed integer (``accord.sharing.lookup.key``): the first 16 hex
digits of the old key, so the upgrade converts keys without reading the values. The
look-up compares kind and value as well, since 64 bits can collide.
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "sharing_0006"
down_revision = "sharing_0005"
branch_labels = None
depends_on = None

_TABLE = "sharing_observables"
_INDEX = "ix_sharing_observables_key"


def _key64(hex_key: str) -> int:
    return int.from_bytes(bytes.fromhex(hex_key[:16]), "big", signed=True)


def _key_hex(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()[:32]


def _sqlite_function(name: str, arity: int, function: object) -> None:
    # The conversion runs in SQLite's UPDATE itself, one statement for the whole table.
    raw = op.get_bind().connection.driver_connection
    raw.create_function(name, arity, function, deterministic=True)  # type: ignore[union-attr]


def _replace_key(
    new_type: sa.types.TypeEngine[Any], fill_postgresql: str, fill_sqlite: str
) -> None:
    with op.batch_alter_table(_TABLE) as batch:
        batch.drop_index(_INDEX)
        batch.add_column(sa.Column("new_key", new_type, nullable=True))
    fill = fill_postgresql if op.get_bind().dialect.name == "postgresql" else fill_sqlite
    op.execute(f"UPDATE {_TABLE} SET new_key = {fill}")  # noqa: S608 (fixed expressions)
    with op.batch_alter_table(_TABLE) as batch:
        batch.drop_column("key")
        batch.alter_column("new_key", new_column_name="key", nullable=False)
    op.create_index(_INDEX, _TABLE, ["key"], unique=False)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_function("accord_key64", 1, _key64)
    _replace_key(
        sa.BigInteger(),
        # The 16 hex digits as 64 bits, read as a signed integer: what _key64 computes.
        "('x' || substr(key, 1, 16))::bit(64)::bigint",
        "accord_key64(key)",
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_function("accord_key_hex", 2, _key_hex)
    _replace_key(
        sa.String(length=32),
        "substr(encode(sha256(convert_to(kind, 'UTF8') || '\\x00'::bytea"
        " || convert_to(value, 'UTF8')), 'hex'), 1, 32)",
        "accord_key_hex(kind, value)",
    )
