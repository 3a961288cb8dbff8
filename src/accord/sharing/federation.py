"""Federation: pull a collection of another TAXII 2.1 server (medallion, another hub...).

Each remote keeps a checkpoint: the newest ``X-TAXII-Date-Added-Last`` it sent us. The next
pull asks ``added_after`` that checkpoint, so only new objects travel, and follows ``next``
until ``more`` is false. Objects are validated and stored as if posted, keep their markings
(TLP is read from them here as anywhere), and remember the remote they came from: when that
remote's hub reads from us with its peer account, they are not sent back to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import N_, AccordError, Conflict, InvalidInput, Message
from accord.identity import audit
from accord.identity.models import User
from accord.identity.policy import Action, Actor, authorize
from accord.identity.services import get_org, get_user
from accord.sharing import ingest, ingest_locks
from accord.sharing.models import Collection, Remote
from accord.sharing.services import get_collection
from accord.sharing.stix_validation import StixInvalid, parse_timestamp
from accord.sharing.taxii import TAXII_MEDIA_TYPE

PAGE_SIZE = 1000
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class RemoteError(AccordError):
    """The remote server failed or answered something that is not TAXII 2.1."""

    status_code = 502
    code = "remote"


@dataclass(frozen=True)
class PullResult:
    """What one pull did."""

    pages: int
    received: int
    stored: int
    failed: int
    checkpoint: str | None


@dataclass(frozen=True)
class RemoteSpec:
    """How to reach a remote collection and where its objects go here."""

    name: str
    api_root: str
    remote_collection: str | None  # None: chosen later, from the remote's own list
    local_collection: str
    organization: str
    username: str | None = None
    every_minutes: int | None = None
    peer_username: str | None = None


def configure_remote(db: Session, *, spec: RemoteSpec, actor: Actor) -> Remote:
    """Create or update a remote (operators: the command line, the federation pages)."""
    authorize(actor, Action.HUB_OPERATE)
    if not NAME.match(spec.name):
        raise InvalidInput(N_("name: a-z, 0-9, '.', '_', '-'"), field="name")
    if not spec.api_root.startswith(("http://", "https://")):
        raise InvalidInput(N_("url: must be an http(s) URL of a TAXII API root"), field="url")
    collection = get_collection(db, spec.local_collection)
    org = get_org(db, spec.organization)
    remote = db.scalar(select(Remote).where(Remote.name == spec.name))
    if remote is None and spec.remote_collection is not None:
        clash = db.scalar(
            select(Remote).where(
                Remote.api_root == _root(spec.api_root),
                Remote.remote_collection == spec.remote_collection,
                Remote.collection_id == collection.id,
            )
        )
        if clash is not None:
            raise Conflict(
                Message(N_("remote %(name)r already pulls this collection"), name=clash.name),
                field="url",
            )
    if remote is None:
        remote = Remote(name=spec.name, checkpoint=None)
        db.add(remote)
    where = (_root(spec.api_root), spec.remote_collection, collection.id)
    if (remote.api_root, remote.remote_collection, remote.collection_id) != where:
        remote.checkpoint = None  # another collection there or here: from the start
    remote.api_root = _root(spec.api_root)
    remote.remote_collection = spec.remote_collection
    remote.collection_id = collection.id
    remote.organization_id = org.id
    remote.username = spec.username
    remote.every_minutes = spec.every_minutes
    peer: User | None = get_user(db, spec.peer_username) if spec.peer_username else None
    remote.peer_user_id = peer.id if peer else None
    db.flush()
    details = {"api_root": remote.api_root, "remote_collection": spec.remote_collection,
               "collection": collection.uuid, "organization": org.slug,
               "every_minutes": spec.every_minutes}  # fmt: skip
    audit.record(db, actor=actor, action="sharing.remote.configure",
                 target=f"remote:{spec.name}", details=details)  # fmt: skip
    return remote


def _root(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def pull(
    db: Session,
    *,
    remote: Remote,
    client: httpx.Client,
    actor: Actor,
    now: datetime,
    max_pages: int = 100_000,
) -> PullResult:
    """Fetch what the remote added since the checkpoint and store it in the local collection.

    Each page is stored in a transaction of its own with the checkpoint it reaches, and no
    transaction is open while a page is fetched: a slow remote then holds neither the
    collection nor, on SQLite, the hub's one writer for as long as it takes to answer. A pull
    that fails keeps the pages stored before and resumes after them. ``db``'s transaction
    (what the caller did before) is committed first.
    """
    collection = db.get(Collection, remote.collection_id)
    assert collection is not None
    if remote.remote_collection is None:
        raise RemoteError(N_("no collection of the remote is chosen yet"))
    source = ingest.Source(producer_org_id=remote.organization_id, origin_remote_id=remote.id)
    url = f"{remote.api_root}collections/{remote.remote_collection}/objects/"
    checkpoint = remote.checkpoint
    params: dict[str, str] = {"limit": str(PAGE_SIZE)}
    if checkpoint:
        params["added_after"] = checkpoint
    pages = received = stored = failed = 0
    asked = _pulled_as(remote)
    db.commit()  # the session keeps its objects readable (expire_on_commit=False)
    while pages < max_pages:
        body, last_added = _get(client, url, params)
        objects = body.get("objects", [])
        if not isinstance(objects, list):
            raise RemoteError(N_("the remote's envelope has no objects list"))
        if pages:
            _still_as_read(db, remote, asked)
        ingest_locks.lock_whole(db, collection.id)
        report = ingest.store_objects(
            db, collection=collection, objects=objects, source=source, now=now
        )
        pages += 1
        received += len(objects)
        stored += report.stored
        failed += len(report.failures)
        checkpoint = _later(checkpoint, last_added)
        remote.checkpoint = checkpoint
        asked = _pulled_as(remote)  # as the next page's transaction should find it
        next_token = body.get("next")
        if not body.get("more") or not isinstance(next_token, str):
            break
        db.commit()
        params = {**params, "next": next_token}
    remote.last_pull_at = now
    remote.last_error = remote.last_error_said = None
    return PullResult(
        pages=pages, received=received, stored=stored, failed=failed, checkpoint=checkpoint
    )


def _pulled_as(remote: Remote) -> tuple[object, ...]:
    return (remote.api_root, remote.remote_collection, remote.collection_id,
            remote.organization_id, remote.checkpoint)  # fmt: skip


def _still_as_read(db: Session, remote: Remote, asked: tuple[object, ...]) -> None:
    """Refuse to store another page once an operator changed or removed the remote since the
    pull read it (each page has a transaction of its own): its pages would go to a collection,
    or be vouched for by an organization, no longer configured, and its checkpoint would
    override the one the change reset. The row is locked until the page is stored."""
    found = db.get(Remote, remote.id, with_for_update=True, populate_existing=True)
    if found is None or _pulled_as(found) != asked:
        raise RemoteError(N_("the remote was changed or removed during the pull"))


def _get(
    client: httpx.Client, url: str, params: dict[str, str]
) -> tuple[dict[str, Any], str | None]:
    try:
        response = client.get(url, params=params, headers={"Accept": TAXII_MEDIA_TYPE})
    except httpx.HTTPError as exc:
        raise RemoteError(
            Message(N_("cannot reach %(url)s: %(kind)s"), url=url, kind=type(exc).__name__)
        ) from None
    if response.status_code != 200:
        raise RemoteError(
            Message(
                N_("%(url)s answered %(status_code)s"), url=url, status_code=response.status_code
            )
        )
    if not response.headers.get("content-type", "").startswith("application/taxii+json"):
        raise RemoteError(Message(N_("%(url)s did not answer with the TAXII media type"), url=url))
    try:
        body = response.json()
    except ValueError:
        raise RemoteError(
            Message(N_("%(url)s answered something that is not JSON"), url=url)
        ) from None
    if not isinstance(body, dict):
        raise RemoteError(
            Message(N_("%(url)s answered something that is not an envelope"), url=url)
        )
    return body, response.headers.get("X-TAXII-Date-Added-Last")


def _later(current: str | None, candidate: str | None) -> str | None:
    """The later of two TAXII timestamps, kept as the remote wrote it."""
    if candidate is None:
        return current
    try:
        new = parse_timestamp(candidate, "X-TAXII-Date-Added-Last")
        if current is not None and parse_timestamp(current, "checkpoint") >= new:
            return current
    except StixInvalid:
        return current
    return candidate


def client_for(
    remote: Remote,
    *,
    token: str | None,
    timeout: float,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An HTTP client for ``remote``: Basic with the username and token, or a bearer token."""
    auth: httpx.Auth | None = None
    headers = {}
    if token and remote.username:
        auth = httpx.BasicAuth(remote.username, token)
    elif token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(
        auth=auth, headers=headers, timeout=timeout, transport=transport, follow_redirects=False
    )


def due_remotes(db: Session, *, now: datetime) -> list[Remote]:
    """The scheduled remotes whose interval has passed since their last pull."""
    found = []
    scheduled = select(Remote).where(
        Remote.every_minutes.is_not(None), Remote.remote_collection.is_not(None)
    )
    for remote in db.scalars(scheduled):
        assert remote.every_minutes is not None
        last = remote.last_pull_at
        if last is None or (now - last).total_seconds() >= remote.every_minutes * 60:
            found.append(remote)
    return found
