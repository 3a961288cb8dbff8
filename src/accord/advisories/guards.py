"""A policy guard for routes on one advisory: ``/.../advisories/{advisory_id}/...``.

Like ``accord.web.deps.org_guard``: it loads the advisory (404 if the caller may not read it)
and asks the policy whether the caller may perform the action for the advisory's publisher;
for a write, through a read-only session, the route's session loading the advisory by its key
inside the write transaction (``accord.web.guarded_writes``).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request

from accord.advisories import services
from accord.advisories.models import Advisory
from accord.identity.policy import Action, Actor, authorize
from accord.web.deps import GUARD_ATTRIBUTE, CurrentActor, DbSession, admitted_as_read
from accord.web.guarded_writes import by_key_in_writer, writes_later


@dataclass(frozen=True)
class AdvisoryAccess:
    """An advisory from the path, and the actor the policy let act on it."""

    actor: Actor
    advisory: Advisory


def advisory_guard(action: Action) -> Any:
    """A dependency that loads the path's advisory and lets the request through if allowed."""

    def dependency(
        request: Request, advisory_id: str, actor: CurrentActor, db: DbSession
    ) -> AdvisoryAccess:
        later = writes_later(db, reads=admitted_as_read(request))
        with request.app.state.reader() if later else nullcontext(db) as reading:
            advisory = services.get(reading, advisory_id, actor=actor)
        org_id = advisory.organization_id
        authorize(actor, action, org_id=org_id)
        if later:
            advisory = by_key_in_writer(db, advisory, actor, action, org_id=org_id)
        return AdvisoryAccess(actor=actor, advisory=advisory)

    setattr(dependency, GUARD_ATTRIBUTE, action)
    return Depends(dependency)
