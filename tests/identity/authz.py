"""What the authorization matrix needs for the second-factor routes: an enrolment of the
member's (a TOTP factor still to confirm) and a browser session of the member's."""

from __future__ import annotations

from accord.db import unit_of_work
from accord.identity import access, factors
from accord.identity.models import WebSession
from accord.identity.policy import SYSTEM
from accord.identity.services import get_user
from tests.authz import World
from tests.factories import Factories

PLACEHOLDERS = ("{factor_id}", "{session_id}")


def prepare(make: Factories, world: World) -> None:
    """Give the member an unconfirmed TOTP factor and a second browser: only the member may
    reach them; anyone else is told they do not exist."""
    with unit_of_work(make.factory) as db:
        member = get_user(db, world.people["member"].username)
        factor = factors.begin_totp(
            db, user=member, name="phone", actor=SYSTEM, settings=make.settings
        )
        access.start_session(db, user=member, settings=make.settings)
        db.flush()
        session = db.query(WebSession).filter_by(user_id=member.id).one()
        world.values.update(factor_id=factor.id, session_id=session.id)
