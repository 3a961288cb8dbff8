"""what objects point at, indexed: relationship ends and attack-patterns' ATT&CK ids

Revision ID: sharing_0011
Revises: sharing_0010
Create Date: 2026-12-06 12:40:00.000000

An object's page found the relationships naming it, and a technique id its attack-pattern,
by searching every relationship's (attack-pattern's) JSON with ``LIKE``: a scan of them all
for each page. ``sharing_object_refs`` holds, for each stored relationship, its
``source_ref`` and ``target_ref``, and for each attack-pattern its ATT&CK id, keyed by the
ref; ingest writes it with the objects (``sharing.refs``). The objects stored before are
read here once to fill it.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "sharing_0011"
down_revision = "sharing_0010"
branch_labels = None
depends_on = None

# The refs as this revision reads them (accord.sharing.refs and attack.attack_id, frozen
# here: a migration must not change meaning with the code after it).
_ATTACK_SOURCES = frozenset({"mitre-attack", "mitre-ics-attack", "mitre-mobile-attack"})
_BATCH = 5_000


def refs_of(body: str) -> list[tuple[str, str]]:
    """The ``(role, ref)`` pairs of a stored relationship or attack-pattern."""
    try:
        obj: Any = json.loads(body)
    except ValueError:
        return []
    if not isinstance(obj, dict):
        return []
    found: list[tuple[str, str]] = []
    if obj.get("type") == "relationship":
        for role, name in (("source", "source_ref"), ("target", "target_ref")):
            ref = obj.get(name)
            if isinstance(ref, str) and 0 < len(ref) <= 300:
                found.append((role, ref))
    elif obj.get("type") == "attack-pattern":
        for ref in obj.get("external_references") or []:
            if isinstance(ref, dict) and ref.get("source_name") in _ATTACK_SOURCES:
                tid = ref.get("external_id")
                if isinstance(tid, str) and 0 < len(tid) <= 300:
                    found.append(("attack-id", tid))
                break
    return found


def upgrade() -> None:
    op.create_table(
        "sharing_object_refs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "object_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["sharing_objects.id"],
            name=op.f("fk_sharing_object_refs_object_id_sharing_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_object_refs")),
    )
    with op.batch_alter_table("sharing_object_refs", schema=None) as batch_op:
        batch_op.create_index("ix_sharing_object_refs_ref", ["ref", "role"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sharing_object_refs_object_id"), ["object_id"], unique=False
        )
    bind = op.get_bind()
    found = bind.execute(
        sa.text(
            "SELECT id, body FROM sharing_objects "
            "WHERE stix_type IN ('relationship', 'attack-pattern') ORDER BY id"
        )
    ).all()
    rows = [
        {"object_id": row_id, "role": role, "ref": ref}
        for row_id, body in found
        for role, ref in refs_of(body)
    ]
    insert = sa.text(
        "INSERT INTO sharing_object_refs (object_id, role, ref) VALUES (:object_id, :role, :ref)"
    )
    for start in range(0, len(rows), _BATCH):
        bind.execute(insert, rows[start : start + _BATCH])


def downgrade() -> None:
    with op.batch_alter_table("sharing_object_refs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_object_refs_object_id"))
        batch_op.drop_index("ix_sharing_object_refs_ref")
    op.drop_table("sharing_object_refs")
