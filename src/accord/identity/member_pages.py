"""An organization's people, run by itself: members and roles, invitations, leaving, and the
page an invitation's link opens (``identity/invitations.py`` holds the rules).

Every form comes back with its mistake beside the field it is about and what was typed kept;
a change refused (the last admin, a used link) rolls back before the page is drawn again.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.errors import N_, AccordError, Forbidden, InvalidInput, invalid_from
from accord.identity import invitations, services
from accord.identity.models import MemberRole, Organization
from accord.identity.pages import signed_in
from accord.identity.policy import Action, Actor, allowed
from accord.identity.schemas import InvitationCreate, UserCreate
from accord.limits import DbInt
from accord.web.deps import DbSession, OrgAccess, SettingsDep, client_ip, guard, org_guard
from accord.web.errors import wants_json
from accord.web.forms import field_errors
from accord.web.i18n import choose_language
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _members_page(
    request: Request,
    db: Session,
    *,
    org: Organization,
    actor: Actor,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    rows = services.members(db, org=org, actor=actor)
    manage = allowed(actor, Action.ORG_MEMBERS_MANAGE, org_id=org.id)
    context: dict[str, Any] = {
        "org": org,
        "members": rows,
        "roles": list(MemberRole),
        "admins": sum(1 for _, role in rows if role is MemberRole.ADMIN),
        "my_role": actor.roles.get(org.id),
        "me": actor.user_id,
        "invitations": invitations.pending(db, org=org, actor=actor) if manage else [],
        "errors": {},
        "values": {},
        "new_link": None,
        "emailed_to": None,
    }
    context.update(extra)
    return render(request, "identity/members.html", context, status=status)


def _refused(
    request: Request,
    db: Session,
    access_: OrgAccess,
    exc: AccordError,
    *,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    """The members page again, with what was refused said beside its form."""
    if wants_json(request):
        raise exc
    db.rollback()
    field = exc.field or "members"
    return _members_page(
        request,
        db,
        org=access_.org,
        actor=access_.actor,
        status=exc.status_code,
        errors={field: exc.message},
        values=values or {},
    )


@router.get("/orgs/{slug}/members", response_class=HTMLResponse)
def members_page(
    request: Request,
    db: DbSession,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_PRIVATE_READ)],
) -> HTMLResponse:
    """An organization's members; its admins invite people, change roles and remove members;
    each member may leave."""
    return _members_page(request, db, org=access_.org, actor=access_.actor)


@router.post("/orgs/{slug}/members")
def set_member(
    request: Request,
    db: DbSession,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_MEMBERS_MANAGE, fresh=True)],
    # Empty or too long: the service's refusal, beside the field.
    username: Annotated[str, Form(max_length=10_000)] = "",
    # A value that is no role is said beside the form, not by the generic error page.
    role: Annotated[str, Form(max_length=10_000)] = MemberRole.MEMBER.value,
) -> Response:
    """Add an existing account as a member, or change a member's role."""
    try:
        if role not in {r.value for r in MemberRole}:
            raise InvalidInput(N_("role: choose member or admin"), field="role")
        services.set_member(
            db, org=access_.org, username=username, role=MemberRole(role), actor=access_.actor
        )
    except AccordError as exc:
        return _refused(request, db, access_, exc, values={"username": username})
    return _see_other(f"/orgs/{access_.org.slug}/members")


@router.post("/orgs/{slug}/members/{username}/remove")
def remove_member(
    request: Request,
    username: str,
    db: DbSession,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_MEMBERS_MANAGE, fresh=True)],
) -> Response:
    """Remove a member (never the last admin)."""
    try:
        services.remove_member(db, org=access_.org, username=username, actor=access_.actor)
    except AccordError as exc:
        return _refused(request, db, access_, exc)
    return _see_other(f"/orgs/{access_.org.slug}/members")


@router.post("/orgs/{slug}/invitations", response_class=HTMLResponse)
def invite(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_MEMBERS_MANAGE, fresh=True)],
    # Empty or too long: InvitationCreate says so beside the field.
    email: Annotated[str, Form(max_length=10_000)] = "",
    role: Annotated[str, Form(max_length=20)] = MemberRole.MEMBER.value,
) -> Response:
    """Invite a colleague by address: the link is mailed, or shown here once to copy."""
    values = {"email": email, "role": role}
    try:
        data = InvitationCreate.model_validate(values)
    except ValidationError as exc:
        if wants_json(request):
            raise invalid_from(exc) from None
        return _members_page(
            request,
            db,
            org=access_.org,
            actor=access_.actor,
            status=422,
            errors=field_errors(exc),
            values=values,
        )
    try:
        issued = invitations.invite(
            db,
            org=access_.org,
            email=data.email,
            role=data.role,
            actor=access_.actor,
            settings=settings,
            language=choose_language(request),
        )
    except AccordError as exc:
        if wants_json(request):
            raise
        db.rollback()
        errors = {exc.field or "email": exc.message}
        return _members_page(
            request,
            db,
            org=access_.org,
            actor=access_.actor,
            status=exc.status_code,
            errors=errors,
            values=values,
        )
    link = None if issued.emailed else settings.public_url + issued.path()
    return _members_page(
        request,
        db,
        org=access_.org,
        actor=access_.actor,
        status=201,
        new_link=link,
        emailed_to=data.email if issued.emailed else None,
        invited=data.email,
    )


@router.post("/orgs/{slug}/invitations/{invitation_id}/revoke")
def revoke_invitation(
    request: Request,
    invitation_id: DbInt,
    db: DbSession,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_MEMBERS_MANAGE, fresh=True)],
) -> Response:
    """Withdraw an open invitation."""
    try:
        invitations.revoke(db, org=access_.org, invitation_id=invitation_id, actor=access_.actor)
    except AccordError as exc:
        return _refused(request, db, access_, exc)
    return _see_other(f"/orgs/{access_.org.slug}/members")


@router.post("/orgs/{slug}/leave")
def leave(
    request: Request,
    db: DbSession,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_LEAVE)],
) -> Response:
    """Leave the organization (its last admin must hand over first)."""
    try:
        invitations.leave(db, org=access_.org, actor=access_.actor)
    except AccordError as exc:
        return _refused(request, db, access_, exc)
    return _see_other("/account")


# -- the invitation's link -----------------------------------------------------------------


def _accept_page(
    request: Request,
    db: Session,
    *,
    token: str,
    actor: Actor,
    status: int | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    row = invitations.find(db, token)
    state = invitations.state_of(row)
    message = invitations.STATE_MESSAGES.get(state)
    signed_in_user = services.user_with_orgs(db, actor.user_id) if actor.user_id else None
    login_next = f"{invitations.ACCEPT_PATH}?{urlencode({'token': token})}"
    context = {
        "token": token,
        "invitation": row if state is invitations.LinkState.VALID else None,
        "state_message": message,
        "user": signed_in_user,
        "email_matches": (
            signed_in_user is not None
            and row is not None
            and signed_in_user.email.lower() == row.email.lower()
        ),
        "login_url": f"/login?{urlencode({'next': login_next})}",
        "errors": errors or {},
        "values": values or {},
    }
    if status is None:
        status = 200 if state is invitations.LinkState.VALID else 410
        if state is invitations.LinkState.UNKNOWN:
            status = 404
    return render(request, "identity/invitation.html", context, status=status)


@router.get("/invitations/accept", response_class=HTMLResponse)
def accept_form(
    request: Request,
    db: DbSession,
    actor: Annotated[Actor, guard(Action.INVITATION_ACCEPT)],
    token: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """What an invitation's link opens: join as the signed-in account, or create one."""
    return _accept_page(request, db, token=token, actor=actor)


@router.post("/invitations/accept")
def accept(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.INVITATION_ACCEPT)],
    token: Annotated[str, Form(max_length=200)],
    username: Annotated[str, Form(max_length=64)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Spend the link: the signed-in account joins, or a new account is made and joins."""
    row = invitations.find(db, token)
    if row is None or invitations.state_of(row) is not invitations.LinkState.VALID:
        if wants_json(request):
            state = invitations.state_of(row)
            raise Forbidden(invitations.STATE_MESSAGES[state], field="token")
        return _accept_page(request, db, token=token, actor=actor)
    slug = row.organization.slug
    if actor.is_authenticated:
        try:
            invitations.accept_as(db, secret=token, actor=actor)
        except AccordError as exc:
            if wants_json(request):
                raise
            db.rollback()
            return _accept_page(
                request,
                db,
                token=token,
                actor=actor,
                status=exc.status_code,
                errors={exc.field or "token": exc.message},
            )
        return _see_other(f"/orgs/{slug}")
    return _accept_new(
        request,
        db,
        settings,
        actor=actor,
        token=token,
        slug=slug,
        values={"username": username, "display_name": display_name},
        password=password,
    )


def _accept_new(
    request: Request,
    db: Session,
    settings: Settings,
    *,
    actor: Actor,
    token: str,
    slug: str,
    values: dict[str, str],
    password: str,
) -> Response:
    row = invitations.find(db, token)
    email = row.email if row is not None else ""
    try:
        data = UserCreate.model_validate({**values, "email": email, "password": password})
    except ValidationError as exc:
        if wants_json(request):
            raise invalid_from(exc) from None
        return _accept_page(
            request,
            db,
            token=token,
            actor=actor,
            status=422,
            errors=field_errors(exc),
            values=values,
        )
    try:
        user = invitations.accept_with_new_account(
            db, secret=token, data=data, ip_address=client_ip(request)
        )
    except AccordError as exc:
        if wants_json(request):
            raise
        db.rollback()
        return _accept_page(
            request,
            db,
            token=token,
            actor=actor,
            status=exc.status_code,
            errors={exc.field or "token": exc.message},
            values=values,
        )
    return signed_in(request, db, user=user, settings=settings, target=f"/orgs/{slug}")
