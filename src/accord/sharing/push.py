"""Federation by push: new objects of a collection written to a peer's TAXII 2.1 collection.

An operator names the peer's API root, the credentials (kept sealed, see
``identity/sealing.py``, never logged or shown again), the local collection whose new objects
go, and the local organization that stands for the peer. What is pushed is what that
organization may read here (``visibility.py``, the rule every reader meets), no stricter than
the target's TLP ceiling, which is CLEAR, GREEN or AMBER and never AMBER+STRICT or RED: those
stay with the organizations named when the object was shared. Objects that came from a remote
at the same API root are not sent back to it.

Each target keeps a cursor, the last object pushed in the collection's page order (date
added, row id), advanced only once the peer accepted a batch: each object goes once, and a
peer that fails leaves the cursor where it was for the next attempt (``push_handlers.py``).

A cursor alone would skip a row that commits after a later one was pushed: on PostgreSQL a
long write can take its ``date_added`` (and a lower id) before a short one that commits
first. So only rows added at least ``push_settle_seconds`` ago go: by then every write that
took an earlier ``date_added`` has committed or failed, as long as no write that adds objects
stays open that long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from accord import outbound
from accord.config import Settings
from accord.errors import InvalidInput, Message, NotFound
from accord.identity import audit, sealing
from accord.identity.models import MemberRole
from accord.identity.policy import Action, Actor, authorize
from accord.identity.services import get_org
from accord.message_records import record
from accord.sharing.federation import RemoteError
from accord.sharing.models import Collection, PushTarget, Remote, StixObject
from accord.sharing.readers import reader_for, rights
from accord.sharing.remotes import listed_collections, peer_problems
from accord.sharing.services import get_collection
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.sharing.tlp import Tlp
from accord.sharing.visibility import visible_clause
from accord.web.i18n import N_

BATCH = 200
ERROR_LENGTH = 2000  # a peer's answer kept on the target, at most
# The ceilings an operator may choose: AMBER+STRICT and RED never leave the hub this way.
CEILINGS = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER)
_ORDER = list(Tlp)


@dataclass(frozen=True)
class PushSpec:
    """A push target as an operator gives it."""

    name: str
    api_root: str
    local_collection: str
    organization: str
    max_tlp: str = Tlp.GREEN.value
    username: str | None = None
    token: str | None = None  # None keeps the stored one
    every_minutes: int | None = None


@dataclass(frozen=True)
class BatchResult:
    """What one POST did: objects sent, and those the peer said it refused."""

    sent: int
    refused: int


def problems(db: Session, spec: PushSpec) -> dict[str, str]:
    """Every field of ``spec`` that is wrong, each with its problem (a catalog entry), so that
    a form names them all at once; empty when the target may be saved."""
    found, collection, org = peer_problems(
        db, name=spec.name, api_root=spec.api_root, every_minutes=spec.every_minutes,
        collection=spec.local_collection, organization=spec.organization,
    )  # fmt: skip
    if spec.max_tlp not in {c.value for c in CEILINGS}:
        found["max_tlp"] = N_("choose CLEAR, GREEN or AMBER")
    if (
        org is not None
        and collection is not None
        and not rights(db, _standing_for(org.id), collection).can_read
    ):
        found["organization"] = N_(
            "this organization may not read the collection: grant it read first"
        )
    return found


def configure(db: Session, *, spec: PushSpec, settings: Settings, actor: Actor) -> PushTarget:
    """Create or update a push target (operators); the token is sealed, never recorded."""
    authorize(actor, Action.HUB_OPERATE)
    found = problems(db, spec)
    if found:
        field, problem = next(iter(found.items()))
        raise InvalidInput(problem, field=field)
    collection = get_collection(db, spec.local_collection)
    org = get_org(db, spec.organization)
    target = db.scalar(select(PushTarget).where(PushTarget.name == spec.name))
    if target is None:
        target = PushTarget(name=spec.name, pushed=0)
        db.add(target)
    root = spec.api_root if spec.api_root.endswith("/") else spec.api_root + "/"
    if target.api_root != root or target.collection_id != collection.id:
        target.remote_collection = None
        target.cursor_added = target.cursor_row = None
    target.api_root = root
    target.collection_id = collection.id
    target.organization_id = org.id
    target.max_tlp = spec.max_tlp
    target.username = spec.username or None
    target.every_minutes = spec.every_minutes
    if spec.token:
        target.token_sealed = sealing.seal(settings, spec.token)
    db.flush()
    details = {"api_root": root, "collection": collection.uuid, "organization": org.slug,
               "max_tlp": spec.max_tlp, "every_minutes": spec.every_minutes}  # fmt: skip
    audit.record(db, actor=actor, action="sharing.push_target.configure",
                 target=f"push:{spec.name}", details=details)  # fmt: skip
    return target


def choose_remote_collection(
    db: Session, *, target: PushTarget, remote_collection: str, offered: list[str], actor: Actor
) -> None:
    """Set the peer's collection, one of those it ``offered`` for writing."""
    authorize(actor, Action.HUB_OPERATE)
    if remote_collection not in offered:
        listed = N_("choose one of the peer's collections listed")
        raise InvalidInput(listed, field="remote_collection")
    if target.remote_collection != remote_collection:
        target.cursor_added = target.cursor_row = None
    target.remote_collection = remote_collection
    details = {"remote_collection": remote_collection}
    audit.record(db, actor=actor, action="sharing.push_target.collection",
                 target=f"push:{target.name}", details=details)  # fmt: skip


def get_target(db: Session, name: str) -> PushTarget:
    """The push target called ``name``."""
    target = db.scalar(select(PushTarget).where(PushTarget.name == name))
    if target is None:
        raise NotFound(Message(N_("no push target %(name)r"), name=name))
    return target


def remove(db: Session, *, target: PushTarget, actor: Actor) -> None:
    """Forget a push target and its sealed token."""
    authorize(actor, Action.HUB_OPERATE)
    audit.record(db, actor=actor, action="sharing.push_target.remove", target=f"push:{target.name}")
    db.delete(target)


def _standing_for(org_id: int) -> Actor:
    return Actor(roles={org_id: MemberRole.MEMBER})


def pending(
    db: Session, *, target: PushTarget, limit: int = BATCH, before: datetime | None = None
) -> list[StixObject]:
    """The next objects to push, in page order after the cursor; with ``before``, only those
    added no later than it."""
    row = StixObject
    allowed = [level.value for level in _ORDER[: _ORDER.index(Tlp(target.max_tlp)) + 1]]
    echo = select(Remote.id).where(Remote.api_root == target.api_root)
    query = (
        select(row)
        .where(
            row.collection_id == target.collection_id,
            row.tlp.in_(allowed),
            visible_clause(reader_for(db, _standing_for(target.organization_id))),
            or_(row.origin_remote_id.is_(None), row.origin_remote_id.not_in(echo)),
        )
        .order_by(row.date_added, row.id)
        .limit(limit)
    )
    if target.cursor_added is not None and target.cursor_row is not None:
        query = query.where(
            or_(
                row.date_added > target.cursor_added,
                and_(row.date_added == target.cursor_added, row.id > target.cursor_row),
            )
        )
    if before is not None:
        query = query.where(row.date_added <= before)
    return list(db.scalars(query))


def push_batch(
    db: Session,
    *,
    target: PushTarget,
    client: httpx.Client,
    now: datetime,
    settle: timedelta = timedelta(0),
) -> BatchResult:
    """POST the next batch of rows settled by ``now`` to the peer; the cursor moves only once
    the peer accepted it, in a transaction after the one that read the batch (``db``'s is
    committed before the POST)."""
    if target.remote_collection is None:
        raise RemoteError(N_("no collection of the peer is chosen yet"))
    rows = pending(db, target=target, before=now - settle)
    refused = 0
    if rows:
        body = b'{"objects":[' + b",".join(_body(r) for r in rows) + b"]}"
        url = f"{target.api_root}collections/{target.remote_collection}/objects/"
        # No transaction open while the peer answers: on SQLite the read took the hub's one
        # writer (the session writes the cursor after), and a slow peer would hold it.
        sent_as = _pushed_as(target)
        db.commit()
        count = _post(client, url, body).get("failure_count", 0)
        refused = count if isinstance(count, int) and 0 <= count <= len(rows) else 0
        # Read again (locked): an operator may have pointed the target elsewhere (its cursor
        # reset), removed it, or another push moved its cursor while the peer answered.
        found = db.get(PushTarget, target.id, with_for_update=True, populate_existing=True)
        if found is None or _pushed_as(found) != sent_as:
            # Not counted for the target as it is now (callers stop their loop on it).
            return BatchResult(sent=0, refused=0)
        target.cursor_added, target.cursor_row = rows[-1].date_added, rows[-1].id
        target.pushed += len(rows) - refused
    target.last_push_at = now
    target.last_error = target.last_error_said = None
    return BatchResult(sent=len(rows), refused=refused)


def _pushed_as(target: PushTarget) -> tuple[object, ...]:
    # The row id stands for the cursor (a reset makes it None): an int, compared exactly.
    return (target.api_root, target.remote_collection, target.collection_id, target.cursor_row)


def keep_error(target: PushTarget, message: str) -> None:
    """Keep a peer's refusal on the target, for the federation page and ``push list``: the
    English record, and a :class:`~accord.errors.Message` by its id and values, for the page
    to say in its reader's language."""
    target.last_error = message[:ERROR_LENGTH]
    target.last_error_said = record(message)


def _body(row: StixObject) -> bytes:
    return row.body.encode()  # the JSON as received, sent on unchanged


def _post(client: httpx.Client, url: str, body: bytes) -> dict[str, Any]:
    headers = {"Content-Type": TAXII_MEDIA_TYPE, "Accept": TAXII_MEDIA_TYPE}
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise RemoteError(
            Message(N_("cannot reach %(url)s: %(kind)s"), url=url, kind=type(exc).__name__)
        ) from None
    except outbound.Refused as exc:
        raise RemoteError(
            Message(N_("%(url)s: refused: %(message)s"), url=url, message=exc.message)
        ) from None
    if response.status_code not in (200, 202):
        raise RemoteError(
            Message(
                N_("%(url)s answered %(status_code)s"), url=url, status_code=response.status_code
            )
        )
    try:
        found = response.json()
    except ValueError:
        raise RemoteError(
            Message(N_("%(url)s answered something that is not JSON"), url=url)
        ) from None
    return found if isinstance(found, dict) else {}


def writable_collections(client: httpx.Client, target: PushTarget) -> list[tuple[str, str]]:
    """The peer's collections this hub may write to, as (id, title), from the peer itself."""
    return listed_collections(client, target.api_root, right="can_write")


def client_for(
    target: PushTarget,
    *,
    settings: Settings,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An HTTP client for ``target``, its token unsealed: Basic with a username, else bearer."""
    token = sealing.unseal(settings, target.token_sealed) if target.token_sealed else None
    auth: httpx.Auth | None = None
    headers = {}
    if token and target.username:
        auth = httpx.BasicAuth(target.username, token)
    elif token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(auth=auth, headers=headers, timeout=settings.outbound_timeout_seconds,
                        transport=transport, follow_redirects=False)  # fmt: skip


def collection_of(db: Session, target: PushTarget) -> Collection:
    """The local collection whose objects ``target`` receives."""
    found = db.get(Collection, target.collection_id)
    assert found is not None
    return found
