"""Checking that a signatory's disclosure policy and CSAF provider metadata are reachable,
and keeping every result as history (``registry_reach_checks``).

- Disclosure policy: the first ``Policy:`` of the signatory's latest security.txt check, else
  the disclosure policy URL it declared in the registry. Reachable when a 2xx answer of
  text/html or text/plain comes back within the limits of ``reach.py``.
- CSAF provider metadata: the first ``CSAF:`` of that security.txt, else
  ``https://<website host>/.well-known/csaf/provider-metadata.json`` (CSAF 2.0 section
  7.1.8). Reachable when a 2xx application/json answer is valid against the official CSAF
  provider metadata JSON schema shipped in ``registry/data``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.accountability import events
from accord.config import Settings
from accord.errors import N_, Message
from accord.identity import audit
from accord.identity.models import Organization
from accord.identity.policy import Action, Actor, authorize
from accord.message_records import record
from accord.registry import checks, policy_text, reach
from accord.registry.models import ReachCheck, ReachCheckKind

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

CSAF_WELL_KNOWN = "/.well-known/csaf/provider-metadata.json"
POLICY_TYPES = frozenset({"text/html", "text/plain"})
CSAF_TYPES = frozenset({"application/json"})
MAX_URL = 2000  # ReachCheck.url


def policy_url(db: Session, org: Organization) -> str | None:
    """Where the disclosure policy is: security.txt's ``Policy:``, else the declared URL."""
    latest = checks.latest(db, org_id=org.id)
    found = latest.fields.get("Policy", []) if latest else []
    return found[0] if found else (org.disclosure_policy_url or None)


def csaf_url(db: Session, org: Organization) -> str:
    """Where the CSAF provider metadata is: security.txt's ``CSAF:``, else the well-known URL
    on the website's host."""
    latest = checks.latest(db, org_id=org.id)
    found = latest.fields.get("CSAF", []) if latest else []
    if found:
        return found[0]
    return f"https://{urlsplit(org.website).netloc}{CSAF_WELL_KNOWN}"


def _shipped(name: str) -> dict[str, Any]:
    path = resources.files("accord.registry") / "data" / name
    loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return loaded


@cache
def provider_schema() -> dict[str, Any]:
    """The CSAF 2.0 provider metadata JSON schema shipped with the hub."""
    return _shipped("provider_json_schema.json")


@cache
def _validator() -> Draft202012Validator:
    # Imported on first use: jsonschema with its format checkers is slow to import.
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    # The provider schema takes the publisher's definition from the CSAF schema, shipped
    # beside it, so nothing is fetched from the network.
    csaf = Resource.from_contents(_shipped("csaf_json_schema.json"))
    registry: Registry[Any] = Registry().with_resource(str(csaf.contents["$id"]), csaf)
    return Draft202012Validator(provider_schema(), registry=registry)


def metadata_problem(body: bytes) -> Message | str | None:
    """Why ``body`` is not valid CSAF provider metadata, or None when it is."""
    from jsonschema.exceptions import best_match

    from accord.advisories import schema_words
    from accord.advisories.validation import json_path

    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return N_("not JSON")
    error = best_match(_validator().iter_errors(document))
    if error is None:
        return None
    # jsonschema's words are the English record; a catalog says its check's sentence.
    return Message(N_("%(path)s: %(reason)s"), path=json_path(error.absolute_path),
                   reason=schema_words.reason(error))  # fmt: skip


def run(
    db: Session,
    *,
    org: Organization,
    actor: Actor,
    settings: Settings,
    client: httpx.Client | None = None,
) -> list[ReachCheck]:
    """Check the organization's disclosure policy and CSAF provider metadata and store both
    results (its admins, operators).

    As ``checks.run``: the fetches may take up to the outbound timeout each, so this ends the
    caller's transaction before fetching and must come before anything is written in it.
    """
    authorize(actor, Action.ORG_EDIT, org_id=org.id)
    if db.new or db.dirty or db.deleted:
        raise RuntimeError("reach_checks.run must come before any change in the transaction")
    org_id, slug = org.id, org.slug
    targets = {ReachCheckKind.POLICY: policy_url(db, org), ReachCheckKind.CSAF: csaf_url(db, org)}
    db.rollback()
    rows = [_check(kind, url, settings, client) for kind, url in targets.items()]
    for row in rows:
        row.organization_id = org_id
        row.requested_by = actor.label
        db.add(row)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="registry.reach_check",
        target=slug,
        organization_id=org_id,
        details={row.kind.value: {"url": row.url, "ok": row.ok} for row in rows},
    )
    events.recorded(db, settings=settings)
    return rows


def _check(
    kind: ReachCheckKind, url: str | None, settings: Settings, client: httpx.Client | None
) -> ReachCheck:
    if url is None:
        return _failed(kind, None, "no_url", N_("no URL is declared"))
    if len(url) > MAX_URL:  # a security.txt line may be longer than the column
        long = Message(N_("the URL is longer than %(count)s characters"), count=MAX_URL)
        return _failed(kind, url[:MAX_URL], "invalid_url", long)
    accept = POLICY_TYPES if kind is ReachCheckKind.POLICY else CSAF_TYPES
    got = reach.fetch(url, settings=settings, accept=accept, client=client)
    problem, message = got.problem, got.message
    if got.ok and kind is ReachCheckKind.CSAF:
        invalid = metadata_problem(got.body or b"")
        if invalid is not None:
            problem, message = "invalid_metadata", invalid
    statements = None
    if got.ok and kind is ReachCheckKind.POLICY:
        statements = policy_text.read(got.body or b"", got.content_type)
    return ReachCheck(
        kind=kind,
        url=url,
        final_url=got.final_url,
        ok=problem is None,
        status_code=got.status_code,
        content_type=got.content_type,
        problem=problem,
        message=None if message is None else str(message),
        message_said=record(message),
        statements=statements,
    )


def _failed(
    kind: ReachCheckKind, url: str | None, problem: str, message: Message | str
) -> ReachCheck:
    return ReachCheck(
        kind=kind, url=url, ok=False, problem=problem, message=str(message),
        message_said=record(message),
    )  # fmt: skip


def latest(db: Session, *, org_id: int) -> dict[str, ReachCheck]:
    """The organization's most recent check of each kind, by kind value."""
    found: dict[str, ReachCheck] = {}
    for kind in ReachCheckKind:
        row = db.scalar(
            select(ReachCheck)
            .where(ReachCheck.organization_id == org_id, ReachCheck.kind == kind)
            .order_by(ReachCheck.id.desc())
            .limit(1)
        )
        if row is not None:
            found[kind.value] = row
    return found
