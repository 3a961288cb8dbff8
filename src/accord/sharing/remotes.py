"""Remotes the hub pulls from, as the federation pages and the command line keep them.

A remote's token is a credential: it is kept in ``<data dir>/sharing-remotes/<name>.token``,
a file only the hub's user may read (mode 0600), never in the database, the log or a page.
A remote added on the pages is saved first; its collection is then chosen from the remote's
own list of the collections it lets this hub read (or typed, when the remote cannot be
reached to list them).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from accord import outbound
from accord.config import Settings
from accord.errors import N_, Conflict, InvalidInput, Message, NotFound
from accord.identity import audit
from accord.identity.models import Organization
from accord.identity.policy import Action, Actor, authorize
from accord.identity.services import get_org
from accord.message_records import record
from accord.sharing.federation import NAME, RemoteError, RemoteSpec, client_for
from accord.sharing.models import Collection, Remote
from accord.sharing.services import get_collection
from accord.sharing.taxii import TAXII_MEDIA_TYPE

ERROR_LENGTH = 2000  # a remote's answer kept on it, at most
_T = TypeVar("_T")
TOKEN_DIR = "sharing-remotes"  # noqa: S105 (a folder's name, not a secret)


def token_path(settings: Settings, name: str) -> Path:
    """Where the token of the remote called ``name`` is kept."""
    return settings.data_dir / TOKEN_DIR / f"{name}.token"


def keep_token(settings: Settings, name: str, token: str) -> None:
    """Keep a remote's token in a file only the hub's user may read, never the log."""
    path = token_path(settings, name)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    path.chmod(0o600)


def keep_token_on_commit(db: Session, settings: Settings, name: str, token: str) -> None:
    """:func:`keep_token` once ``db``'s transaction commits: written now beside its place (only
    the hub's user may read it), moved there by the commit, dropped by a rollback. A remote
    whose change rolls back keeps the token it had (else a new token went to its old
    address), and no token is left for a remote never saved."""
    path = token_path(settings, name)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.", suffix=".pending")
    with os.fdopen(fd, "w") as handle:  # mkstemp's file: mode 0600
        handle.write(token)
    db.info.setdefault(_KEEP_AFTER_COMMIT, []).append((Path(staged), path))


def stored_token(settings: Settings, name: str) -> str | None:
    """The token kept for the remote called ``name``, if any."""
    path = token_path(settings, name)
    return path.read_text().strip() or None if path.exists() else None


def found_or_none(look_up: Callable[[], _T]) -> _T | None:
    """What ``look_up`` finds, or None where it finds nothing (:class:`NotFound`)."""
    try:
        return look_up()
    except NotFound:
        return None


def problems(db: Session, spec: RemoteSpec) -> dict[str, str]:
    """Every field of ``spec`` that is wrong, each with its problem (a catalog entry), so that
    a form names them all at once; empty when the remote may be saved."""
    found, _, _ = peer_problems(
        db, name=spec.name, api_root=spec.api_root, every_minutes=spec.every_minutes,
        collection=spec.local_collection, organization=spec.organization,
    )  # fmt: skip
    return found


def peer_problems(
    db: Session,
    *,
    name: str,
    api_root: str,
    every_minutes: int | None,
    collection: str,
    organization: str,
) -> tuple[dict[str, str], Collection | None, Organization | None]:
    """The problems of the fields a pull's remote and a push's target share (each a catalog
    entry, by field), with the local collection and the vouching organization when found."""
    found: dict[str, str] = {}
    if not NAME.match(name):
        found["name"] = N_("a-z, 0-9, '.', '_' and '-', at most 64")
    if not api_root.startswith(("http://", "https://")):
        found["api_root"] = N_("must be an http(s) URL of a TAXII API root")
    if every_minutes is not None and not 1 <= every_minutes <= 31 * 24 * 60:
        found["every_minutes"] = N_("between 1 and 44640 minutes")
    local = found_or_none(lambda: get_collection(db, collection))
    if local is None:
        found["collection"] = N_("no such collection")
    org = found_or_none(lambda: get_org(db, organization))
    if org is None:
        found["organization"] = N_("no such organization")
    return found, local, org


def get_remote(db: Session, name: str) -> Remote:
    """The remote called ``name``."""
    remote = db.scalar(select(Remote).where(Remote.name == name))
    if remote is None:
        raise NotFound(Message(N_("no remote %(name)r"), name=name))
    return remote


def http_client(remote: Remote, *, settings: Settings) -> httpx.Client:
    """A client for ``remote`` with its kept token, through the hub's outbound rules."""
    return client_for(
        remote,
        token=stored_token(settings, remote.name),
        timeout=settings.outbound_timeout_seconds,
        transport=outbound.transport(settings),
    )


def listed_collections(client: httpx.Client, api_root: str, *, right: str) -> list[tuple[str, str]]:
    """The server's collections this hub may use with ``right`` (``can_read`` or
    ``can_write``), as (id, title), from the server's own list."""
    url = f"{api_root}collections/"
    try:
        response = client.get(url, headers={"Accept": TAXII_MEDIA_TYPE})
    except httpx.HTTPError as exc:
        raise RemoteError(
            Message(N_("cannot reach %(url)s: %(kind)s"), url=url, kind=type(exc).__name__)
        ) from None
    except outbound.Refused as exc:
        raise RemoteError(
            Message(N_("%(url)s: refused: %(message)s"), url=url, message=exc.message)
        ) from None
    if response.status_code != 200:
        raise RemoteError(
            Message(
                N_("%(url)s answered %(status_code)s"), url=url, status_code=response.status_code
            )
        )
    try:
        listed = response.json().get("collections") or []
    except (ValueError, AttributeError):
        raise RemoteError(
            Message(N_("%(url)s answered something that is not a TAXII collection list"), url=url)
        ) from None
    return [
        (str(c["id"]), str(c.get("title") or c["id"]))
        for c in listed
        if isinstance(c, dict) and c.get(right) and isinstance(c.get("id"), str)
    ]


def choose_collection(
    db: Session,
    *,
    remote: Remote,
    remote_collection: str,
    offered: list[str] | None,
    actor: Actor,
) -> None:
    """Set the remote's collection: one of those it ``offered`` for reading, or, when it
    could not be asked (``offered`` is None), the id the operator typed."""
    authorize(actor, Action.HUB_OPERATE)
    chosen = remote_collection.strip()
    if offered is not None and chosen not in offered:
        raise InvalidInput(
            N_("choose one of the remote's collections listed"), field="remote_collection"
        )
    if not chosen:
        raise InvalidInput(N_("type the remote collection's id"), field="remote_collection")
    clash = db.scalar(
        select(Remote).where(
            Remote.api_root == remote.api_root,
            Remote.remote_collection == chosen,
            Remote.collection_id == remote.collection_id,
            Remote.id != remote.id,
        )
    )
    if clash is not None:
        raise Conflict(
            Message(N_("remote %(name)r already pulls this collection"), name=clash.name),
            field="remote_collection",
        )
    if remote.remote_collection != chosen:
        remote.checkpoint = None
    remote.remote_collection = chosen
    audit.record(db, actor=actor, action="sharing.remote.collection",
                 target=f"remote:{remote.name}", details={"remote_collection": chosen})  # fmt: skip


def keep_error(remote: Remote, message: str) -> None:
    """Keep why a pull failed on the remote, for the federation pages: the English record,
    and a :class:`~accord.errors.Message` by its id and values, for the pages to say in their
    reader's language."""
    remote.last_error = message[:ERROR_LENGTH]
    remote.last_error_said = record(message)


def remove(db: Session, *, remote: Remote, settings: Settings, actor: Actor) -> None:
    """Forget a remote and its kept token; what it brought stays, no longer tied to it."""
    authorize(actor, Action.HUB_OPERATE)
    audit.record(db, actor=actor, action="sharing.remote.remove", target=f"remote:{remote.name}")
    db.delete(remote)
    # The token goes only once the removal is committed: a rollback keeps the remote, and
    # it must keep its token with it.
    db.info.setdefault(_UNLINK_AFTER_COMMIT, []).append(token_path(settings, remote.name))


_UNLINK_AFTER_COMMIT = "accord.sharing.remotes.unlink_after_commit"
_KEEP_AFTER_COMMIT = "accord.sharing.remotes.keep_after_commit"


@event.listens_for(Session, "after_commit")
def _unlink_committed(db: Session) -> None:
    for staged, path in db.info.pop(_KEEP_AFTER_COMMIT, ()):
        os.replace(staged, path)
    for path in db.info.pop(_UNLINK_AFTER_COMMIT, ()):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_rollback")
def _keep_rolled_back(db: Session) -> None:
    db.info.pop(_UNLINK_AFTER_COMMIT, None)
    for staged, _ in db.info.pop(_KEEP_AFTER_COMMIT, ()):
        staged.unlink(missing_ok=True)
