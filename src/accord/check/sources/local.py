"""The hub's own advisories as a source: what the "Am I affected?" page asks.

The same answer ``POST /v1/querybatch?full=true`` gives, without HTTP: ``querying.run`` with
the caller's TLP rights, then the current record of each match.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from accord.advisories import ecosystems, querying
from accord.advisories.osv_api import documents
from accord.check import snapshots
from accord.check.interface import Dependency, Progress
from accord.identity.policy import Actor


class LocalSource:
    """Advisories in this hub's database that ``actor`` may read."""

    description = "this hub's advisories"

    def __init__(self, db: Session, actor: Actor) -> None:
        self.db = db
        self.actor = actor

    def affecting(
        self, dependencies: Sequence[Dependency], *, progress: Progress | None = None
    ) -> list[list[dict[str, Any]]]:
        """For each dependency, the full records that affect its version."""
        queries = [
            querying.Query(
                ecosystem=d.ecosystem,
                name=ecosystems.normalize_name(d.ecosystem, d.name),
                version=d.version,
            )
            for d in dependencies
        ]
        results = querying.run(self.db, queries, actor=self.actor) if queries else []
        wanted = {m.advisory_id for r in results for m in r.matches}
        texts = documents(self.db, wanted)
        return [
            [json.loads(texts[m.advisory_id]) for m in r.matches if m.advisory_id in texts]
            for r in results
        ]

    def plain_summaries(self, ids: Sequence[str]) -> dict[str, str]:
        """The plain-language summaries of those records that have one."""
        return snapshots.plain_summaries(self.db, ids=list(ids), actor=self.actor)
