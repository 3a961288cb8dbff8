"""The operators' identity pages: every account, creating one, the operator role, and the
audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from accord.errors import N_, AccordError, InvalidInput
from accord.identity import audit, services
from accord.identity.pages import _new_user, _see_other
from accord.identity.policy import Action, Actor
from accord.identity.schemas import UserCreate
from accord.limits import DbInt
from accord.web.deps import DbSession, guard
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


@router.get("/admin/users", response_class=HTMLResponse)
def users(
    request: Request, db: DbSession, actor: Annotated[Actor, guard(Action.HUB_READ)]
) -> HTMLResponse:
    """Every account, with forms to create one and change roles (operators)."""
    return render(request, "identity/users.html", {"users": services.list_users(db, actor=actor)})


OPERATOR_CHOICE = N_("operator: choose yes or no")


def _flag(value: str) -> bool | None:
    """A checkbox's or a hidden field's yes or no, as a form sends it; None if neither."""
    text = value.strip().lower()
    if text in ("", "false", "0", "off", "no"):
        return False
    if text in ("true", "1", "on", "yes"):
        return True
    return None


@router.post("/admin/users")
def create_user(
    request: Request,
    db: DbSession,
    actor: Annotated[Actor, guard(Action.HUB_OPERATE)],
    # Empty or too long, each is said beside its field by UserCreate, the input kept.
    username: Annotated[str, Form(max_length=10_000)] = "",
    email: Annotated[str, Form(max_length=10_000)] = "",
    password: Annotated[str, Form(max_length=10_000)] = "",
    operator: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Create an account (operators); every problem beside its field, the input kept."""
    values = {"username": username, "email": email}
    data = _new_user(request, {**values, "password": password})
    granted = _flag(operator)
    if granted is None:
        data = {**(data if isinstance(data, dict) else {}), "operator": OPERATOR_CHOICE}
    if not isinstance(data, UserCreate) or granted is None:
        context = {"users": services.list_users(db, actor=actor), "values": values, "errors": data}
        return render(request, "identity/users.html", context, status=422)
    try:
        services.create_user(db, data=data, actor=actor, operator=granted)
    except AccordError as exc:
        if exc.status_code in (401, 403):
            raise
        db.rollback()
        errors = {exc.field or "username": exc.message}
        context = {
            "users": services.list_users(db, actor=actor),
            "values": values,
            "errors": errors,
        }
        return render(request, "identity/users.html", context, status=exc.status_code)
    return _see_other("/admin/users")


@router.post("/admin/users/{username}/operator")
def set_operator(
    request: Request,
    username: str,
    db: DbSession,
    actor: Annotated[Actor, guard(Action.HUB_OPERATE, fresh=True)],
    operator: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Grant or withdraw the operator role (operators); a refusal (the last operator, a
    value that is neither yes nor no) is said in that account's row."""
    granted = _flag(operator)
    try:
        if granted is None:
            raise InvalidInput(OPERATOR_CHOICE, field="operator")
        services.set_operator(db, username=username, operator=granted, actor=actor)
    except AccordError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        db.rollback()
        context = {
            "users": services.list_users(db, actor=actor),
            "operator_error": {"username": username, "message": exc.message},
        }
        return render(request, "identity/users.html", context, status=exc.status_code)
    return _see_other("/admin/users")


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    db: DbSession,
    _: Annotated[Actor, guard(Action.HUB_READ)],
    action: Annotated[str | None, Query(max_length=64)] = None,
    who: Annotated[str | None, Query(max_length=64)] = None,
    before_id: Annotated[DbInt | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """The audit log with filters, newest first (operators)."""
    rows = audit.search(
        db, action=action or None, actor=who or None, before_id=before_id, limit=100
    )
    return render(
        request,
        "identity/audit.html",
        {
            "events": rows,
            "action": action or "",
            "actions": audit.actions(db),
            "who": who or "",
            "next_before": rows[-1].id if len(rows) == 100 else None,
        },
    )
