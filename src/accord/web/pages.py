"""Pages of the shell itself: the home page and a health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from accord.identity.models import Organization, OrgKind
from accord.identity.policy import Action, Actor
from accord.web.deps import DbSession, guard
from accord.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, db: DbSession, _: Annotated[Actor, guard(Action.PUBLIC_READ)]
) -> HTMLResponse:
    """The front page."""
    count = db.scalar(
        select(func.count(Organization.id)).where(Organization.kind == OrgKind.SIGNATORY)
    )
    return render(request, "web/home.html", {"signatory_count": count or 0})


@router.get("/healthz")
def health(db: DbSession, _: Annotated[Actor, guard(Action.PUBLIC_READ)]) -> dict[str, str]:
    """For load balancers: answers only if the database does."""
    db.execute(select(1))
    return {"status": "ok"}
