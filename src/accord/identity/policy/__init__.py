"""The authorization policy: the one place that decides who may do what.

Routes name an :class:`Action` (through ``accord.web.deps.guard`` / ``org_guard``) and this
package answers. No route compares roles itself. Each action states the role it needs and the
least token scope that may exercise it; a browser session carries every scope of its user.

The rules, one module a concern: what is guarded and by whom (``actions.py``), signing in
with second factors and single sign-on (``signin.py``), threat sharing's collections and
TLP (``sharing.py``), and coordinated disclosure's cases (``disclosure.py``). Callers import
every name from here.
"""

from __future__ import annotations

from accord.identity.models import TokenScope
from accord.identity.policy.actions import (
    ANONYMOUS,
    SCOPE_RANK,
    SYSTEM,
    WHILE_ENROLLING,
    Action,
    Actor,
    Who,
    allowed,
    authorize,
)
from accord.identity.policy.disclosure import (
    REPORTER,
    CaseStanding,
    MessageReach,
    case_standing,
    is_coordinator,
    may_answer_for,
    may_close_case,
    may_decide_embargo,
    may_edit_vulnerabilities,
    may_manage_case,
    may_post_message,
    may_publish_case,
    may_publish_for,
    may_see_message,
    may_see_vendor_statuses,
    message_reach,
    narrows,
)
from accord.identity.policy.sharing import (
    CollectionGrants,
    CollectionRights,
    collection_rights,
    may_see_object,
    object_relations,
)
from accord.identity.policy.signin import (
    enrolment_needed,
    may_link_account,
    password_sign_in_allowed,
    require_fresh_factor,
)

__all__ = [
    "ANONYMOUS",
    "REPORTER",
    "SCOPE_RANK",
    "SYSTEM",
    "WHILE_ENROLLING",
    "Action",
    "Actor",
    "CaseStanding",
    "CollectionGrants",
    "CollectionRights",
    "MessageReach",
    "TokenScope",  # an action's least scope, named where the actions are
    "Who",
    "allowed",
    "authorize",
    "case_standing",
    "collection_rights",
    "enrolment_needed",
    "is_coordinator",
    "may_answer_for",
    "may_close_case",
    "may_decide_embargo",
    "may_edit_vulnerabilities",
    "may_link_account",
    "may_manage_case",
    "may_post_message",
    "may_publish_case",
    "may_publish_for",
    "may_see_message",
    "may_see_object",
    "may_see_vendor_statuses",
    "message_reach",
    "narrows",
    "object_relations",
    "password_sign_in_allowed",
    "require_fresh_factor",
]
