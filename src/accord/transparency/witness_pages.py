"""The operators' witnessing page: the logs this hub witnesses and the witnesses it asks.

Both lists live in the database (they were already the source of truth for the witness
endpoint and the ``transparency.witness`` job). The quorum stays a setting
(``ACCORD_LOG_WITNESS_QUORUM``), shown read-only: it is the policy clients, bundles and
``accord log verify`` hold the log to, so lowering it should take a change to the deployment
(reviewed, in its history), not one click by a stolen operator session.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.errors import AccordError, NotFound
from accord.identity.policy import Action, Actor
from accord.transparency import services, witness, witnessing
from accord.transparency.cosignature import CosignatureVerifier
from accord.transparency.models import LogCosignature
from accord.transparency.note import NoteError, PublicKey, Verifier
from accord.web.deps import DbSession, SettingsDep, guard
from accord.web.i18n import N_
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
HubOperate = Annotated[Actor, guard(Action.HUB_OPERATE)]
PATH = "/admin/log/witnessing"
MAX_KEY = 1000


def fingerprint(key: PublicKey) -> str:
    """The key's ID (as in its signatures) and the SHA-256 of its public key, to compare."""
    digest = hashlib.sha256(key.public_key).hexdigest()
    return f"{key.key_id.hex()} · SHA-256 {digest[:32]}"


@router.get(PATH, response_class=HTMLResponse)
def page(request: Request, db: DbSession, settings: SettingsDep, _: HubOperate) -> HTMLResponse:
    """Both lists, their state, the quorum and the forms to add to each."""
    return _page(request, db, settings, values={}, errors={}, status=200)


@router.post(PATH + "/logs", response_class=HTMLResponse, response_model=None)
def add_log(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: HubOperate,
    origin: Annotated[str, Form(max_length=300)] = "",
    log_key: Annotated[str, Form(max_length=MAX_KEY)] = "",
) -> Response:
    """Start witnessing a log; a malformed key or origin is said beside its field."""
    values = {"origin": origin, "log_key": log_key}
    errors: dict[str, str] = {}
    try:
        key = Verifier.parse(log_key.strip())
    except NoteError:
        errors["log_key"] = N_(
            "Paste the log's verifier key as name+key ID+key (a C2SP Ed25519 note key)."
        )
    name = origin.strip() or (key.name if not errors else "")
    if origin.strip() and any(c.isspace() for c in name):
        errors["origin"] = N_("An origin has no spaces.")
    elif not errors and any(w.origin == name for w in witness.witnessed_logs(db)):
        errors["origin"] = N_("This hub witnesses that log already.")
    if errors:
        return _page(request, db, settings, values=values, errors=errors, status=422)
    witness.add_log(db, actor=actor, verifier_key=log_key.strip(), origin=name)
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/logs/remove", response_model=None)
def remove_log(
    db: DbSession, actor: HubOperate, origin: Annotated[str, Form(max_length=300)] = ""
) -> Response:
    """Stop witnessing a log (adding it again starts from size 0); one gone already is gone."""
    with contextlib.suppress(NotFound):  # removed in another tab, or the form posted empty
        witness.remove_log(db, actor=actor, origin=origin)
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/witnesses", response_class=HTMLResponse, response_model=None)
def add_witness(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: HubOperate,
    url: Annotated[str, Form(max_length=2000)] = "",
    witness_key: Annotated[str, Form(max_length=MAX_KEY)] = "",
) -> Response:
    """Ask one more witness to cosign each new checkpoint."""
    values = {"url": url, "witness_key": witness_key}
    errors: dict[str, str] = {}
    try:
        key = CosignatureVerifier.parse(witness_key.strip())
    except NoteError:
        errors["witness_key"] = N_(
            "Paste the witness's key as name+key ID+key (a C2SP cosignature/v1 key)."
        )
    else:
        if any(w.name == key.name for w in witnessing.witnesses(db)):
            errors["witness_key"] = N_("A witness of that name is asked already.")
    if not url.strip().startswith(("https://", "http://")):
        errors["url"] = N_("The witness's address starts with https://.")
    if not errors:
        try:
            witnessing.add_witness(db, actor=actor, url=url.strip(), verifier_key=witness_key)
        except AccordError:
            errors["url"] = N_("The witness's address starts with https://.")
    if errors:
        return _page(request, db, settings, values=values, errors=errors, status=422)
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/witnesses/remove", response_model=None)
def remove_witness(
    db: DbSession, actor: HubOperate, name: Annotated[str, Form(max_length=300)] = ""
) -> Response:
    """Stop asking a witness; one not asked any more is not asked."""
    with contextlib.suppress(NotFound):
        witnessing.remove_witness(db, actor=actor, name=name)
    return RedirectResponse(PATH, status_code=303)


def _page(
    request: Request,
    db: Session,
    settings: Settings,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> HTMLResponse:
    return render(
        request,
        "transparency/witnessing.html",
        {**_state(db, settings), "values": values, "errors": errors, "path": PATH},
        status=status,
    )


def _state(db: Session, settings: Settings) -> dict[str, Any]:
    logs = witness.witnessed_logs(db)
    asked = witnessing.witnesses(db)
    last = dict(
        db.execute(
            select(LogCosignature.witness, func.max(LogCosignature.size)).group_by(
                LogCosignature.witness
            )
        ).all()
    )
    latest = services.current_checkpoint(db, settings=settings)  # the one served
    cosigned = set(
        db.scalars(select(LogCosignature.witness).where(LogCosignature.size == latest.size))
    )
    met = len(cosigned & {w.name for w in asked})
    return {
        "logs": [(log, fingerprint(Verifier.parse(log.verifier_key))) for log in logs],
        "witnesses": [
            (w, fingerprint(CosignatureVerifier.parse(w.verifier_key)), last.get(w.name))
            for w in asked
        ],
        "quorum": settings.log_witness_quorum,
        "latest": latest,
        "cosigned": met,
        "quorum_met": met >= settings.log_witness_quorum,
    }
