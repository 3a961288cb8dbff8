"""Signing in: when a second factor must be enrolled or proved again, and what single
sign-on may do to an account."""

from __future__ import annotations

from datetime import datetime, timedelta

from accord.errors import StepUpRequired
from accord.identity.policy.actions import Actor
from accord.web.i18n import N_

# -- second factors ------------------------------------------------------------------------


def enrolment_needed(
    *,
    has_factor: bool,
    is_operator: bool,
    operators_need: bool,
    grace_until: datetime | None,
    org_requires: bool,
    now: datetime,
) -> bool:
    """Whether a user must enrol a second factor before doing anything else.

    Never once they have one. Otherwise: a member of an organization that requires one, and
    an operator (where the hub requires it) whose grace period has run out. An operator's
    grace starts at their first sign-in; an operator who never signed in has none running,
    and is held to the rule only from their first sign-in (their tokens came from the CLI).
    """
    if has_factor:
        return False
    if org_requires:
        return True
    return is_operator and operators_need and grace_until is not None and grace_until <= now


def require_fresh_factor(actor: Actor, *, max_age: timedelta, now: datetime) -> None:
    """Raise :class:`StepUpRequired` unless ``actor``'s browser proved a second factor within
    ``max_age``: for sensitive actions (publishing, approving an application, changing roles,
    creating an admin token, reading a case's attachments, changing one's factors).

    Only a browser session of a user who has a factor is asked: an API token cannot answer a
    challenge (it was created under one), and a user without a factor has nothing to prove.
    """
    if not actor.has_factor or actor.token_scope is not None or not actor.is_authenticated:
        return
    if actor.factor_at is None or now - actor.factor_at > max_age:
        raise StepUpRequired(N_("confirm it is you with your second factor"))


# -- single sign-on -----------------------------------------------------------------------


def may_link_account(
    *, provider_org_id: int | None, user_is_operator: bool, user_org_ids: frozenset[int]
) -> bool:
    """Whether a provider's word may sign in an account that already exists (same address).

    The hub-wide provider, which operators registered, may. An organization's provider may
    sign in only its own members and never an operator: otherwise an organization's admin
    who listed another company's domain could take over that company's accounts.
    """
    if provider_org_id is None:
        return True
    return not user_is_operator and provider_org_id in user_org_ids


def password_sign_in_allowed(*, is_operator: bool, passwords_allowed: list[bool]) -> bool:
    """Whether a password may sign this account in: unless one of its organizations says
    single sign-on only (``passwords_allowed`` holds each organization provider's choice).
    Operators keep their password: an organization cannot lock the hub's operators out."""
    return is_operator or all(passwords_allowed)
