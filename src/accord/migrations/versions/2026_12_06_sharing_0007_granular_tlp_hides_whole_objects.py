"""objects stored with a granular TLP marking stricter than their own take that level

Revision ID: sharing_0007
Revises: sharing_0006
Create Date: 2026-12-06 03:45:00.000000

The hub enforces TLP on whole objects and now refuses an object whose granular markings put
a part of it under a stricter level than the object's own (docs/sharing.md). Objects stored
before were served whole at their own level, the stricter part included. Each such object
takes the strictest level its granular markings name, so that the part is no longer served to
readers its marking excludes (the rest of the object with it). One-way: the level an object
had before is not kept, and lowering it again would serve the part as if unmarked.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "sharing_0007"
down_revision = "sharing_0006"
branch_labels = None
depends_on = None

# The TLP marking definitions as this revision knows them (accord.sharing.tlp, frozen here:
# a migration must not change meaning with the code after it).
_RANK = {"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}
_LEVELS = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",  # TLP 1 WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}


def raised_level(tlp: str, body: str) -> str | None:
    """The level an object stored at ``tlp`` must take for its granular markings, if higher."""
    try:
        markings: Any = json.loads(body).get("granular_markings", [])
    except (ValueError, AttributeError):
        return None
    if not isinstance(markings, list):
        return None
    levels = [
        _LEVELS[m["marking_ref"]]
        for m in markings
        if isinstance(m, dict) and m.get("marking_ref") in _LEVELS
    ]
    strictest = max(levels, key=_RANK.__getitem__, default=None)
    if strictest is None or _RANK[strictest] <= _RANK.get(tlp, 0):
        return None
    return strictest


def upgrade() -> None:
    bind = op.get_bind()
    # Few objects carry granular markings: the LIKE keeps the rest of the table unparsed.
    found = bind.execute(
        sa.text("SELECT id, tlp, body FROM sharing_objects WHERE body LIKE '%granular_markings%'")
    ).all()
    changes = [
        {"row": row_id, "tlp": level}
        for row_id, tlp, body in found
        if (level := raised_level(tlp, body)) is not None
    ]
    if changes:
        bind.execute(sa.text("UPDATE sharing_objects SET tlp = :tlp WHERE id = :row"), changes)


def downgrade() -> None:
    pass  # one-way (see above)
