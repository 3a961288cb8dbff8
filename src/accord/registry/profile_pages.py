"""An organization edits its own public profile on a page (its admins, operators): website,
security contact, description, disclosure policy and security.txt addresses. The same rules
as ``PATCH /api/v1/orgs/{slug}``; a mistake comes back beside its field, the input kept."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from accord.identity import services
from accord.identity.models import Organization
from accord.identity.policy import Action
from accord.identity.schemas import OrgUpdate
from accord.web.deps import DbSession, OrgAccess, org_guard
from accord.web.forms import field_errors
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
FIELDS = ("website", "security_contact", "description", "disclosure_policy_url", "security_txt_url")
# Empty, these are removed; the others every organization keeps.
OPTIONAL = frozenset({"disclosure_policy_url", "security_txt_url"})


def _values(org: Organization) -> dict[str, str]:
    return {name: getattr(org, name) or "" for name in FIELDS}


@router.get("/orgs/{slug}/profile", response_class=HTMLResponse)
def profile_form(
    request: Request,
    access: Annotated[OrgAccess, org_guard(Action.ORG_EDIT)],
    saved: bool = False,
) -> HTMLResponse:
    """The form, filled with the profile as it is (and a word that it was saved)."""
    context = {"org": access.org, "values": _values(access.org), "errors": {}, "saved": saved}
    return render(request, "registry/edit_profile.html", context)


@router.post("/orgs/{slug}/profile")
def profile_submit(
    request: Request,
    db: DbSession,
    access: Annotated[OrgAccess, org_guard(Action.ORG_EDIT)],
    website: Annotated[str, Form(max_length=500)] = "",
    security_contact: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    disclosure_policy_url: Annotated[str, Form(max_length=500)] = "",
    security_txt_url: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Save the profile, or show the form again with each mistake beside its field."""
    typed = {
        "website": website.strip(),
        "security_contact": security_contact.strip(),
        "description": description.strip(),
        "disclosure_policy_url": disclosure_policy_url.strip(),
        "security_txt_url": security_txt_url.strip(),
    }
    data = {k: (None if k in OPTIONAL and not v else v) for k, v in typed.items()}
    try:
        update = OrgUpdate.model_validate(data)
    except ValidationError as exc:
        context = {"org": access.org, "values": typed, "errors": field_errors(exc)}
        return render(request, "registry/edit_profile.html", context, status=422)
    services.update_org(db, org=access.org, data=update, actor=access.actor)
    return RedirectResponse(f"/orgs/{access.org.slug}/profile?saved=true", status_code=303)
