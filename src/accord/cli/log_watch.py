"""``accord log watch``: report every new entry of a hub's log about one subject, each proved.

A monitor for one organization, advisory or case: it checks the hub's checkpoint as ``accord
log verify`` does (pinned key, witness policy, consistency with the last one seen), then reads
the records newer than the last run, and for each whose subject is the one watched (an
organization's slug; an advisory id matches each of its versions, ``ID@version``) downloads its
bundle and verifies it offline before printing it. The position reached is remembered in a
state file next to the monitor's, replaced atomically after a successful run.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli import words
from accord.cli.log import (
    HubOpt,
    KeyOpt,
    QuorumOpt,
    StateOpt,
    WitnessOpt,
    _one_line_errors,
    _say,
    default_state,
    log_app,
    observe,
    parse_policy,
    parse_verifier,
    pinned_key,
    pinned_policy,
)
from accord.errors import AccordError
from accord.transparency import monitor
from accord.transparency.bundles import verify_bundle


def matches(subject: str, watched: str) -> bool:
    """Whether an entry's subject is the watched one (an advisory id matches its versions)."""
    return subject == watched or subject.startswith(f"{watched}@")


def watch_state(state_path: Path, subject: str) -> Path:
    """Where the position reached for ``subject`` is kept."""
    safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in subject)
    return state_path.with_name(f"{state_path.stem}-watch-{safe}.json")


def _load_next(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        return int(json.loads(path.read_text())["next"])
    except (ValueError, KeyError, TypeError):
        raise AccordError(f"the state file {path} is damaged; move it away to start over") from None


def _save_next(path: Path, subject: str, position: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as handle:
        json.dump({"subject": subject, "next": position}, handle)
        temporary = Path(handle.name)
    os.replace(temporary, path)


def _newer(client: monitor.HubClient, first: int, size: int) -> list[dict[str, Any]]:
    """The records from index ``first`` up to the tree ``size``, oldest first."""
    found: list[dict[str, Any]] = []
    before: int | None = size
    while before is not None and before > first:
        page = client.recent(before=before, limit=100)
        found.extend(r for r in page if first <= int(r.get("index", -1)) < size)
        lowest = min((int(r.get("index", 0)) for r in page), default=0)
        before = lowest if page and lowest > first else None
    return sorted(found, key=lambda r: int(r["index"]))


@log_app.command("watch")
def watch(
    hub: HubOpt,
    subject: Annotated[
        str,
        typer.Option(
            "--subject", help="An organization's slug, an advisory id, or any entry subject."
        ),
    ],
    key: KeyOpt = None,
    state: StateOpt = None,
    witness: WitnessOpt = None,
    quorum: QuorumOpt = None,
) -> None:
    """Report every entry about SUBJECT logged since the last run, each with its proof checked."""
    with _one_line_errors(), monitor.HubClient(hub) as client:
        state_path = state or default_state(client.hub)
        saved = monitor.load_state(state_path)
        verifier = parse_verifier(pinned_key(client, key, saved))
        policy = pinned_policy(client, witness, quorum, saved)
        chain = client.announcements()
        current = observe(
            client, verifier, saved, client.checkpoint_note(), state_path, policy, chain
        )
        position_path = watch_state(state_path, subject)
        first = _load_next(position_path)
        shown = 0
        for record in _newer(client, first, current.size):
            if not matches(str(record.get("subject", "")), subject):
                continue
            bundle = client.bundle(int(record["index"]))
            verified = verify_bundle(bundle, verifier=verifier, policy=parse_policy(*policy))
            envelope = verified.envelope
            _say(
                words.gettext(
                    "entry %(index)s: %(type)s of %(subject)s at %(when)s, SHA-256 %(digest)s, "
                    "proved in the signed tree of %(entries)s",
                    index=str(verified.index),
                    type=envelope.type,
                    subject=envelope.subject,
                    when=words.moments(envelope.time),
                    digest=envelope.sha256,
                    entries=words.entries(verified.checkpoint.size),
                )
            )
            shown += 1
        _save_next(position_path, subject, current.size)
    new = words.ngettext("%(count)s new entry", "%(count)s new entries", shown)
    _say(
        words.gettext(
            "ok: %(new)s about %(subject)s in the signed tree of %(entries)s",
            new=new,
            subject=subject,
            entries=words.entries(current.size),
        )
    )
