"""address ranges of the indicators stored before sharing_0009 join the look-up index

Revision ID: sharing_0010
Revises: sharing_0009
Create Date: 2026-12-06 12:30:00.000000

From sharing_0009 on, an indicator naming an address range (``[ipv4-addr:value =
'10.0.0.0/8']``, ``ISSUBSET``) has its range in the look-up index, keyed as the range's
network, and the range's prefix length in ``sharing_observable_prefixes``; indicators stored
before had no entry for it, so a CIDR look-up never found them. Each stored indicator whose
pattern names an address is read again and the ranges it lacks are added, with their prefix
lengths. The index is the hub's own reading of patterns (``sharing.patterns`` and
``sharing.lookup``, as ingest reads them), not a record to freeze: the downgrade leaves the
entries, which the look-up of sharing_0009 reads as its own.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "sharing_0010"
down_revision = "sharing_0009"
branch_labels = None
depends_on = None

_NETWORK_KINDS = ("ipv4-net", "ipv6-net")
_BATCH = 5_000


def ranges_of(body: str) -> list[tuple[str, str]]:
    """The address ranges a stored indicator's pattern compares for equality, as indexed."""
    from accord.sharing import lookup, patterns

    try:
        pattern: Any = json.loads(body).get("pattern")
    except (ValueError, AttributeError):
        return []
    if not isinstance(pattern, str):
        return []
    checked = patterns.check(pattern)
    if not checked.valid:
        return []
    return [
        pair for pair in lookup.observables_of(checked.comparisons) if pair[0] in _NETWORK_KINDS
    ]


def upgrade() -> None:
    from accord.sharing import lookup

    bind = op.get_bind()
    # Only patterns naming an address with a slash somewhere can hold a range: the LIKEs keep
    # the rest of the table (hashes, domains, most URLs) unparsed.
    candidates = bind.execute(
        sa.text(
            "SELECT id, body FROM sharing_objects WHERE stix_type = 'indicator' "
            "AND body LIKE '%-addr:value%' AND body LIKE '%/%'"
        )
    ).all()
    wanted = {
        (row_id, kind, value) for row_id, body in candidates for kind, value in ranges_of(body)
    }
    if not wanted:
        return
    present = {
        (row_id, kind, value)
        for row_id, kind, value in bind.execute(
            sa.text(
                "SELECT object_id, kind, value FROM sharing_observables "
                "WHERE kind IN ('ipv4-net', 'ipv6-net')"
            )
        )
    }
    missing = sorted(wanted - present)
    insert = sa.text(
        "INSERT INTO sharing_observables (object_id, key, kind, value) "
        "VALUES (:object_id, :key, :kind, :value)"
    )
    for start in range(0, len(missing), _BATCH):
        bind.execute(
            insert,
            [
                {"object_id": row_id, "key": lookup.key(kind, value), "kind": kind, "value": value}
                for row_id, kind, value in missing[start : start + _BATCH]
            ],
        )
    lengths = {(kind, lookup.prefix_length(value)) for _, kind, value in wanted}
    prefixes = sa.text("SELECT kind, length FROM sharing_observable_prefixes")
    known = {(kind, length) for kind, length in bind.execute(prefixes)}
    fresh = sorted(lengths - known)
    if fresh:
        bind.execute(
            sa.text(
                "INSERT INTO sharing_observable_prefixes (kind, length) VALUES (:kind, :length)"
            ),
            [{"kind": kind, "length": length} for kind, length in fresh],
        )


def downgrade() -> None:
    pass  # the entries stay: sharing_0009's look-up reads them as its own (see above)
