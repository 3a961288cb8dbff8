"""The aggregator's public paths under ``/.well-known/csaf-aggregator/`` (see :mod:`.mirror`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from accord.aggregation import mirror
from accord.identity.policy import Action, Actor
from accord.web.deps import DbSession, SettingsDep, guard

router = APIRouter(tags=["csaf"])
Reader = Annotated[Actor, guard(Action.PUBLIC_READ)]
BASE = "/.well-known/csaf-aggregator"
_TEXT = "text/plain; charset=utf-8"


@router.get(f"{BASE}/aggregator.json")
def aggregator_json(db: DbSession, _actor: Reader, settings: SettingsDep) -> JSONResponse:
    """The hub's aggregator.json: the providers it mirrors or lists."""
    return JSONResponse(mirror.aggregator(db, settings=settings))


@router.get(f"{BASE}/{{provider}}/provider-metadata.json")
def mirror_metadata(
    provider: str, db: DbSession, _actor: Reader, settings: SettingsDep
) -> JSONResponse:
    """A mirrored provider's metadata, pointed at the mirror."""
    return JSONResponse(mirror.provider_metadata(db, provider, settings=settings))


@router.get(f"{BASE}/{{provider}}/index.txt")
def mirror_index(provider: str, db: DbSession, _actor: Reader) -> Response:
    """The mirror's index.txt."""
    return Response(mirror.index_txt(db, provider), media_type=_TEXT)


@router.get(f"{BASE}/{{provider}}/changes.csv")
def mirror_changes(provider: str, db: DbSession, _actor: Reader) -> Response:
    """The mirror's changes.csv."""
    return Response(mirror.changes_csv(db, provider), media_type="text/csv; charset=utf-8")


@router.get(f"{BASE}/{{provider}}/{{year}}/{{document}}")
def mirror_file(provider: str, year: str, document: str, db: DbSession, _actor: Reader) -> Response:
    """A mirrored document, its hashes or its signature: the bytes the provider served."""
    text, media = mirror.document_file(db, provider, f"{year}/{document}")
    return Response(text, media_type=media)
