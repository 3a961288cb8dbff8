"""The policy's table: each action is its own member, with the rule it states."""

from __future__ import annotations

import pytest

from accord.errors import Forbidden, Unauthenticated
from accord.identity.models import MemberRole, TokenScope
from accord.identity.policy import ANONYMOUS, Action, Actor, Who, allowed, authorize


def test_actions_are_distinct_members() -> None:
    names = [a.value[0] for a in Action]
    assert len(names) == len(set(names))
    assert Action.PUBLIC_SUBMIT is not Action.PUBLIC_READ
    assert len(Action.__members__) == len(list(Action))


@pytest.mark.parametrize("action", list(Action))
def test_anonymous_may_only_do_public_things(action: Action) -> None:
    assert allowed(ANONYMOUS, action) is (action.who is Who.ANYONE)


def test_scope_ranks() -> None:
    reader = Actor(user_id=1, username="r", is_operator=True, token_scope=TokenScope.READ)
    authorize(reader, Action.HUB_READ)
    with pytest.raises(Forbidden):
        authorize(reader, Action.HUB_OPERATE)
    with pytest.raises(Unauthenticated):
        authorize(ANONYMOUS, Action.OWN_ACCOUNT_READ)


def test_org_roles() -> None:
    member = Actor(user_id=1, username="m", roles={7: MemberRole.MEMBER})
    admin = Actor(user_id=2, username="a", roles={7: MemberRole.ADMIN})
    assert allowed(member, Action.ORG_PRIVATE_READ, org_id=7)
    assert not allowed(member, Action.ORG_EDIT, org_id=7)
    assert allowed(admin, Action.ORG_MEMBERS_MANAGE, org_id=7)
    assert not allowed(admin, Action.ORG_EDIT, org_id=8)
    assert not allowed(admin, Action.ORG_EDIT)
