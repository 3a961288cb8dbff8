"""A policy guard for routes on one advisory: ``/.../advisories/{advisory_id}/...``.

Like ``accord.web.deps.org_guard``: it loads the advisory (404 if the caller may not read it)
and asks the policy whether the caller may perform the action for the advisory's publisher.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends

from accord.advisories import services
from accord.advisories.models import Advisory
from accord.identity.policy import Action, Actor, authorize
from accord.web.deps import GUARD_ATTRIBUTE, CurrentActor, DbSession


@dataclass(frozen=True)
class AdvisoryAccess:
    """An advisory from the path, and the actor the policy let act on it."""

    actor: Actor
    advisory: Advisory


def advisory_guard(action: Action) -> Any:
    """A dependency that loads the path's advisory and lets the request through if allowed."""

    def dependency(advisory_id: str, actor: CurrentActor, db: DbSession) -> AdvisoryAccess:
        advisory = services.get(db, advisory_id, actor=actor)
        authorize(actor, action, org_id=advisory.organization_id)
        return AdvisoryAccess(actor=actor, advisory=advisory)

    setattr(dependency, GUARD_ATTRIBUTE, action)
    return Depends(dependency)
