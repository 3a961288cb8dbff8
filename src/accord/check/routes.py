"""The check API, under ``/api/v1/check``: the signed offline snapshot, and plain summaries.

Both are public (``PUBLIC_READ``): the snapshot holds only published TLP:CLEAR advisories,
and summaries are answered for the advisories the caller may read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker

from accord.check import snapshots
from accord.db import unit_of_work
from accord.errors import N_, NotFound
from accord.identity.policy import Action, Actor
from accord.transparency.schemas import LOG_INDEX_HEADER
from accord.web.admission import reads, writes
from accord.web.deps import (
    Caller,
    DbSession,
    Reader,
    SettingsDep,
    deferred_guard,
    get_sessionmaker,
    guard,
)

router = APIRouter(prefix="/check", tags=["check"])
Writer = Annotated[sessionmaker[Session], Depends(get_sessionmaker)]


class SummariesIn(BaseModel):
    """Up to 1,000 advisory ids."""

    model_config = ConfigDict(extra="forbid")
    ids: list[Annotated[str, Field(max_length=128)]] = Field(max_length=1000)


class SummariesOut(BaseModel):
    """The plain-language summaries of those that have one, by id."""

    summaries: dict[str, str]


@router.get(
    "/snapshot",
    summary="A signed snapshot of the public advisories, for offline checks",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
@writes
def snapshot(
    reader: Reader,
    writer: Writer,
    settings: SettingsDep,
    # Not ``guard``: a write's guard looks the caller up in a writing session, which on
    # SQLite holds the write turn until the request ends, and the snapshot's own writing
    # transaction below would wait for it. The caller is looked up in the reader instead.
    caller: Annotated[Caller, deferred_guard(Action.PUBLIC_READ, record_use=False)],
) -> Response:
    """A zip of every published TLP:CLEAR OSV record, its manifest, and the transparency-log
    bundle proving the manifest's digest is logged (see docs/check.md)."""
    with reader() as db:
        caller.actor(db)
        wanted = snapshots.fingerprint(db)
        found = snapshots.newest(db)
        fresh = found is not None and found.fingerprint == wanted
    if not fresh:
        # The public set changed since the last snapshot: build and log the new one.
        with unit_of_work(writer) as db:
            snapshots.current(db, settings=settings)
    with reader() as db:
        latest = snapshots.newest(db)
        if latest is None:  # only if every snapshot was deleted meanwhile
            raise NotFound(N_("no snapshot yet: ask again"))
        body = snapshots.served(db, settings=settings, snapshot=latest)
        digest, index = latest.manifest_sha256, latest.log_index
    return Response(
        content=body,
        media_type="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="accord-snapshot.zip"',
            "Accord-Manifest-Sha256": digest,
            LOG_INDEX_HEADER: str(index),
            "Cache-Control": "no-cache",
        },
    )


@router.post("/summaries", response_model=SummariesOut, summary="Plain-language summaries")
@reads
def summaries(
    data: SummariesIn, db: DbSession, actor: Annotated[Actor, guard(Action.PUBLIC_READ)]
) -> SummariesOut:
    """The plain-language summaries of the advisories named that the caller may read."""
    return SummariesOut(summaries=snapshots.plain_summaries(db, ids=data.ids, actor=actor))
