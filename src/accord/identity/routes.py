"""The identity API: accounts, tokens, organizations, members and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from accord.identity import access, audit, services
from accord.identity.policy import Action, Actor
from accord.identity.schemas import (
    AuditEventRead,
    MemberRead,
    MemberSet,
    OrgCreate,
    OrgRead,
    OrgUpdate,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
)
from accord.limits import DbInt
from accord.web.deps import DbSession, OrgAccess, SettingsDep, guard, org_guard

router = APIRouter(tags=["identity"])


class Me(UserRead):
    """The caller's account and memberships."""

    organizations: dict[str, str]


class UserPatch(BaseModel):
    """What operators change on an account."""

    is_operator: bool | None = None
    is_active: bool | None = None


@router.get("/me", response_model=Me)
def me(db: DbSession, actor: Annotated[Actor, guard(Action.OWN_ACCOUNT_READ)]) -> Me:
    """The account behind the token in use."""
    assert actor.user_id is not None
    user = services.user_with_orgs(db, actor.user_id)
    return Me(
        **UserRead.model_validate(user).model_dump(),
        organizations={m.organization.slug: m.role.value for m in user.memberships},
    )


@router.get("/me/tokens", response_model=list[TokenRead])
def my_tokens(
    db: DbSession, actor: Annotated[Actor, guard(Action.OWN_ACCOUNT_READ)]
) -> list[TokenRead]:
    """The caller's API tokens (never their secrets)."""
    assert actor.user_id is not None
    user = services.user_with_orgs(db, actor.user_id)
    return [TokenRead.model_validate(t) for t in access.list_tokens(db, user=user, actor=actor)]


@router.post("/me/tokens", response_model=TokenCreated, status_code=201)
def create_token(
    data: TokenCreate,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.OWN_TOKENS_MANAGE)],
) -> TokenCreated:
    """A new token for the caller; its secret is in this answer and nowhere else, ever."""
    assert actor.user_id is not None
    user = services.user_with_orgs(db, actor.user_id)
    token, secret = access.create_token(db, user=user, data=data, actor=actor, settings=settings)
    return TokenCreated(**TokenRead.model_validate(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(
    token_id: DbInt, db: DbSession, actor: Annotated[Actor, guard(Action.OWN_TOKENS_MANAGE)]
) -> Response:
    """Revoke one of the caller's tokens (operators may revoke anyone's)."""
    access.revoke_token(db, token_id=token_id, actor=actor)
    return Response(status_code=204)


@router.get("/users", response_model=list[UserRead])
def list_users(db: DbSession, actor: Annotated[Actor, guard(Action.HUB_READ)]) -> list[UserRead]:
    """Every account (operators)."""
    return [UserRead.model_validate(u) for u in services.list_users(db, actor=actor)]


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(
    data: UserCreate, db: DbSession, actor: Annotated[Actor, guard(Action.HUB_OPERATE)]
) -> UserRead:
    """Create an account (operators)."""
    return UserRead.model_validate(services.create_user(db, data=data, actor=actor))


@router.patch("/users/{username}", response_model=UserRead)
def patch_user(
    username: str,
    data: UserPatch,
    db: DbSession,
    actor: Annotated[Actor, guard(Action.HUB_OPERATE)],
) -> UserRead:
    """Grant or withdraw the operator role; disable or enable an account (operators)."""
    user = services.get_user(db, username)
    if data.is_operator is not None:
        user = services.set_operator(db, username=username, operator=data.is_operator, actor=actor)
    if data.is_active is not None:
        user = services.set_active(db, username=username, active=data.is_active, actor=actor)
    return UserRead.model_validate(user)


@router.get("/orgs", response_model=list[OrgRead])
def list_orgs(db: DbSession, _: Annotated[Actor, guard(Action.PUBLIC_READ)]) -> list[OrgRead]:
    """Every organization's public profile."""
    return [OrgRead.model_validate(o) for o in services.list_orgs(db)]


@router.post("/orgs", response_model=OrgRead, status_code=201)
def create_org(
    data: OrgCreate, db: DbSession, actor: Annotated[Actor, guard(Action.HUB_OPERATE)]
) -> OrgRead:
    """Create an organization directly (operators); others apply through the registry."""
    return OrgRead.model_validate(services.create_org(db, data=data, actor=actor))


@router.get("/orgs/{slug}", response_model=OrgRead)
def get_org(
    slug: str, db: DbSession, _: Annotated[OrgAccess, org_guard(Action.PUBLIC_READ)]
) -> OrgRead:
    """One organization's public profile."""
    return OrgRead.model_validate(_.org)


@router.patch("/orgs/{slug}", response_model=OrgRead)
def update_org(
    data: OrgUpdate, db: DbSession, access_: Annotated[OrgAccess, org_guard(Action.ORG_EDIT)]
) -> OrgRead:
    """Change an organization's details (its admins, operators)."""
    org = services.update_org(db, org=access_.org, data=data, actor=access_.actor)
    return OrgRead.model_validate(org)


@router.get("/orgs/{slug}/members", response_model=list[MemberRead])
def list_members(
    db: DbSession, access_: Annotated[OrgAccess, org_guard(Action.ORG_PRIVATE_READ)]
) -> list[MemberRead]:
    """Members of the organization (its members, operators)."""
    rows = services.members(db, org=access_.org, actor=access_.actor)
    return [MemberRead(username=u.username, display_name=u.display_name, role=r) for u, r in rows]


@router.put("/orgs/{slug}/members", response_model=MemberRead)
def set_member(
    data: MemberSet,
    db: DbSession,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_MEMBERS_MANAGE)],
) -> MemberRead:
    """Add a member or change a member's role (its admins, operators)."""
    m = services.set_member(
        db, org=access_.org, username=data.username, role=data.role, actor=access_.actor
    )
    return MemberRead(username=m.user.username, display_name=m.user.display_name, role=m.role)


@router.delete("/orgs/{slug}/members/{username}", status_code=204)
def remove_member(
    username: str,
    db: DbSession,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_MEMBERS_MANAGE)],
) -> Response:
    """Remove a member (its admins, operators)."""
    services.remove_member(db, org=access_.org, username=username, actor=access_.actor)
    return Response(status_code=204)


@router.get("/audit", response_model=list[AuditEventRead])
def audit_log(
    db: DbSession,
    _: Annotated[Actor, guard(Action.HUB_READ)],
    action: str | None = None,
    actor: str | None = None,
    org: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: Annotated[DbInt | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditEventRead]:
    """The audit log, newest first, filtered; page with ``before_id`` (operators)."""
    org_id = services.get_org(db, org).id if org else None
    rows = audit.search(
        db,
        action=action,
        actor=actor,
        organization_id=org_id,
        since=since,
        until=until,
        before_id=before_id,
        limit=limit,
    )
    return [AuditEventRead.model_validate(r) for r in rows]
