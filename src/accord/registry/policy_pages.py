"""The public directory of disclosure policies (``/policies``): the same entries, filters and
pages as ``GET /api/v1/policies``, each filter a yes / no / either choice."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from accord.errors import InvalidInput, Message
from accord.identity.policy import Action, Actor
from accord.registry import directory
from accord.registry.policy_text import TOPICS
from accord.web.deps import DbSession, guard
from accord.web.i18n import N_
from accord.web.rendering import render

router = APIRouter(include_in_schema=False)

Public = Annotated[Actor, guard(Action.PUBLIC_READ)]

LABELS = {
    "security_txt_valid": N_("Valid security.txt"),
    "policy_reachable": N_("Policy page reachable"),
    "safe_harbour": N_("States safe harbour"),
    "response_time": N_("States response times"),
    "how_to_report": N_("Says how to report"),
    "languages": N_("Names its languages"),
    "bug_bounty": N_("Bug bounty"),
    "csaf": N_("Runs a CSAF provider"),
}
CHOICES = {"": None, "yes": True, "no": False}


@router.get("/policies", response_class=HTMLResponse)
def policies(
    request: Request,
    db: DbSession,
    _: Public,
    security_txt_valid: Annotated[str, Query(max_length=3)] = "",
    policy_reachable: Annotated[str, Query(max_length=3)] = "",
    safe_harbour: Annotated[str, Query(max_length=3)] = "",
    response_time: Annotated[str, Query(max_length=3)] = "",
    how_to_report: Annotated[str, Query(max_length=3)] = "",
    languages: Annotated[str, Query(max_length=3)] = "",
    bug_bounty: Annotated[str, Query(max_length=3)] = "",
    csaf: Annotated[str, Query(max_length=3)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Every organization's disclosure policy as last checked, filtered by what it shows."""
    given = {
        "security_txt_valid": security_txt_valid,
        "policy_reachable": policy_reachable,
        "safe_harbour": safe_harbour,
        "response_time": response_time,
        "how_to_report": how_to_report,
        "languages": languages,
        "bug_bounty": bug_bounty,
        "csaf": csaf,
    }
    wanted: dict[str, bool] = {}
    for name, value in given.items():
        if value not in CHOICES:
            raise InvalidInput(Message(N_("%(name)s: yes, no or nothing"), name=name), field=name)
        choice = CHOICES[value]
        if choice is not None:
            wanted[name] = choice
    found = directory.page(db, wanted=wanted, page=page, per_page=directory.PER_PAGE)
    # The filters in force, carried by the links to the other pages.
    kept = urlencode({name: value for name, value in given.items() if value})
    context = {
        "entries": found.entries,
        "found": found,
        "query": f"{kept}&" if kept else "",
        "given": given,
        "labels": LABELS,
        "filters": directory.FILTERS,
        "topics": TOPICS,
    }
    return render(request, "registry/policies.html", context)
