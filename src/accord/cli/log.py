"""``accord log``: watch a hub's transparency log, prove a document is in it, check a bundle.

None of these needs an account; ``verify-bundle`` needs no network at all. Every failed check
prints one line saying what failed and exits 1 (through the ``accord`` entry point).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from accord.cli import words
from accord.cli.witness import log_witnesses_app
from accord.errors import AccordError
from accord.transparency import monitor, note
from accord.transparency.bundles import (
    VerificationFailed,
    WitnessPolicy,
    check_quorum,
    file_digests,
    verify_bundle,
)
from accord.transparency.envelope import Envelope, EnvelopeError

log_app = typer.Typer(no_args_is_help=True, help="The hub's transparency log.")
log_app.add_typer(log_witnesses_app, name="witnesses")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

HubOpt = Annotated[str, typer.Option("--hub", help="The hub's address, e.g. https://hub.example")]
KeyOpt = Annotated[
    str | None,
    typer.Option("--key", help="The log's verifier key (name+keyid+base64) to pin."),
]
StateOpt = Annotated[
    Path | None,
    typer.Option("--state", help="Where to remember the key and last checkpoint."),
]


WitnessOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--witness",
        help="A witness key (name+keyid+base64) to count; repeat for each witness.",
    ),
]
QuorumOpt = Annotated[
    int | None,
    typer.Option("--quorum", min=0, help="How many of the witnesses must cosign."),
]


@contextmanager
def _one_line_errors() -> Iterator[None]:
    # Each failure is one line (never wrapped, whatever the terminal) and exit status 1.
    try:
        yield
    except AccordError as exc:
        err.print(words.failure(words.problem(exc.message)), markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


def default_state(hub: str) -> Path:
    """Where the monitor (and ``accord snapshot pull``) remembers a hub's key and checkpoint."""
    name = re.sub(r"[^A-Za-z0-9.-]+", "_", hub.split("://", 1)[-1]).strip("_")
    return Path.home() / ".accord" / f"log-{name}.json"


def pinned_key(
    client: monitor.HubClient, key: str | None, state: monitor.MonitorState | None
) -> str:
    """The key to trust: ``--key``, else the state's, else the hub's own on first use."""
    if state is not None and state.hub != client.hub:
        raise AccordError(f"the state file belongs to {state.hub}, not {client.hub}")
    if key is not None:
        if state is not None and state.verifier_key != key.strip():
            raise VerificationFailed("the key given differs from the key pinned in the state file")
        return key.strip()
    if state is not None:
        return state.verifier_key
    fetched = client.verifier_key()
    err.print(
        f"warning: no key pinned; trusting the hub's published key on first use: {fetched}",
        markup=False,
        soft_wrap=True,
    )
    return fetched


def parse_verifier(text: str) -> note.Verifier:
    """A verifier key string, or one line naming ``--key`` and what is wrong."""
    try:
        return note.Verifier.parse(text)
    except note.NoteError as exc:
        raise AccordError(f"--key: {exc}") from None


def pinned_policy(
    client: monitor.HubClient,
    witnesses: list[str] | None,
    quorum: int | None,
    state: monitor.MonitorState | None,
) -> tuple[list[str], int]:
    """The witness policy: the options, else the state's, else the hub's own on first use."""
    if witnesses or quorum is not None:
        keys = list(witnesses or [])
        return keys, len(keys) if quorum is None else quorum
    if state is not None:
        return list(state.witnesses), state.quorum
    keys, wanted = client.witness_policy()
    if wanted:
        err.print(
            f"warning: no witness policy pinned; trusting the hub's on first use: {wanted} of "
            f"{', '.join(keys)}",
            markup=False,
            soft_wrap=True,
        )
    return keys, wanted


def parse_policy(keys: list[str], quorum: int) -> WitnessPolicy:
    """A witness policy, or one line naming what is wrong."""
    return WitnessPolicy.parse(keys, quorum)


def observe(
    client: monitor.HubClient,
    verifier: note.Verifier,
    state: monitor.MonitorState | None,
    checkpoint_note: str,
    state_path: Path,
    policy: tuple[list[str], int] = ([], 0),
    announcements: list[str] | None = None,
) -> note.Checkpoint:
    """Check a checkpoint against the state and the witness policy, then remember it.

    A checkpoint signed by a key the pinned one handed over to (the hub's key announcements,
    each signed by the key before and the key it names) is accepted, and the new key pinned.
    """
    chain = announcements if announcements is not None else []
    if state is not None and state.checkpoint is not None:
        current = monitor.check_extends(
            client,
            previous_note=state.checkpoint,
            current_note=checkpoint_note,
            verifier=verifier,
            evidence_dir=state_path.parent,
            announcements=chain,
        )
    else:
        current = monitor.open_signed(checkpoint_note, verifier, chain)
    check_quorum(checkpoint_note, parse_policy(*policy))
    pinned = monitor.current_key(verifier, chain)
    monitor.save_state(
        state_path,
        monitor.MonitorState(
            client.hub, pinned.encode(), checkpoint_note, tuple(policy[0]), policy[1]
        ),
    )
    return current


def _say(message: str) -> None:
    out.print(message, markup=False, soft_wrap=True)


@log_app.command("verify")
def verify(
    hub: HubOpt,
    key: KeyOpt = None,
    state: StateOpt = None,
    witness: WitnessOpt = None,
    quorum: QuorumOpt = None,
) -> None:
    """Check the hub's signed checkpoint, its witnesses' cosignatures when a policy is pinned,
    and its consistency with the one seen last time."""
    with _one_line_errors(), monitor.HubClient(hub) as client:
        state_path = state or default_state(client.hub)
        saved = monitor.load_state(state_path)
        verifier = parse_verifier(pinned_key(client, key, saved))
        policy = pinned_policy(client, witness, quorum, saved)
        chain = client.announcements()
        before = (
            monitor.open_signed(saved.checkpoint, verifier, chain)
            if saved and saved.checkpoint
            else None
        )
        fetched = client.checkpoint_note()
        current = observe(client, verifier, saved, fetched, state_path, policy, chain)
        cosigners = check_quorum(fetched, parse_policy(*policy))
        now = monitor.current_key(verifier, chain)
    grown = (
        ""
        if before is None
        else words.gettext(", consistent with the %(size)s seen before", size=str(before.size))
    )
    witnessed = (
        words.gettext(
            ", cosigned by %(witnesses)s (%(quorum)s required)",
            witnesses=", ".join(cosigners),
            quorum=str(policy[1]),
        )
        if cosigners
        else ""
    )
    rotated = (
        ""
        if now == verifier
        else words.gettext(
            "; the key rotated: %(new)s announced by %(old)s, pinned",
            new=now.key_id.hex(),
            old=verifier.key_id.hex(),
        )
    )
    said = words.gettext(
        "ok: %(origin)s has %(entries)s, signed by %(signer)s",
        origin=current.origin,
        entries=words.entries(current.size),
        signer=now.name,
    )
    _say(f"{said}{witnessed}{grown}{rotated}")


@log_app.command("prove")
def prove(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    hub: HubOpt,
    key: KeyOpt = None,
    state: StateOpt = None,
    witness: WitnessOpt = None,
    quorum: QuorumOpt = None,
) -> None:
    """Show that FILE was published: its entry, proved included in a signed checkpoint."""
    with _one_line_errors(), monitor.HubClient(hub) as client:
        state_path = state or default_state(client.hub)
        saved = monitor.load_state(state_path)
        verifier = parse_verifier(pinned_key(client, key, saved))
        policy = pinned_policy(client, witness, quorum, saved)
        digests = file_digests(file.read_bytes())
        found = [(d, r) for d in digests for r in client.records(d)]
        if not found:
            raise VerificationFailed(
                f"{file} is not in the log of {client.hub} (SHA-256 {digests[0]})"
            )
        digest, record = found[0]
        bundle = client.bundle(int(record["index"]))
        verified = verify_bundle(
            bundle, verifier=verifier, document_sha256=digest, policy=parse_policy(*policy)
        )
        observe(client, verifier, saved, bundle.checkpoint, state_path, policy, bundle.key_chain)
    envelope, checkpoint = verified.envelope, verified.checkpoint
    _say(
        words.gettext(
            "ok: %(file)s (SHA-256 %(digest)s) is entry %(index)s of %(origin)s: %(type)s of "
            "%(subject)s at %(when)s, included in the signed checkpoint of %(entries)s",
            file=str(file),
            digest=digest,
            index=str(verified.index),
            origin=checkpoint.origin,
            type=envelope.type,
            subject=envelope.subject,
            when=words.moments(envelope.time),
            entries=words.entries(checkpoint.size),
        )
    )


@log_app.command("verify-bundle")
def verify_bundle_command(
    bundle: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    key: KeyOpt = None,
    document: Annotated[
        Path | None,
        typer.Option("--document", exists=True, dir_okay=False, help="The document you hold."),
    ] = None,
    witness: WitnessOpt = None,
    quorum: QuorumOpt = None,
) -> None:
    """Check a downloaded bundle offline: signature, witness cosignatures (when a policy is
    given or the bundle states one), inclusion proof and document digest."""
    with _one_line_errors():
        parsed = monitor.parse_bundle(bundle.read_text(errors="replace"))
        if key is None:
            err.print(
                "warning: checking against the key inside the bundle; pin the log's key with "
                "--key for a check that does not trust the bundle",
                markup=False,
                soft_wrap=True,
            )
        verifier = parse_verifier(key or parsed.verifier_key)
        digest = None
        if document is not None:
            digest = _matching_digest(document.read_bytes(), parsed.entry)
        policy = _bundle_policy(parsed.witnesses, parsed.quorum, witness, quorum)
        verified = verify_bundle(
            parsed, verifier=verifier, document_sha256=digest, policy=parse_policy(*policy)
        )
    envelope, checkpoint = verified.envelope, verified.checkpoint
    _say(
        words.gettext(
            "ok: entry %(index)s (%(type)s of %(subject)s, SHA-256 %(digest)s) is in "
            "%(origin)s's signed tree of %(entries)s",
            index=str(verified.index),
            type=envelope.type,
            subject=envelope.subject,
            digest=envelope.sha256,
            origin=checkpoint.origin,
            entries=words.entries(checkpoint.size),
        )
    )


def _bundle_policy(
    stated: list[str], stated_quorum: int, witnesses: list[str] | None, quorum: int | None
) -> tuple[list[str], int]:
    if witnesses or quorum is not None:
        keys = list(witnesses or [])
        return keys, len(keys) if quorum is None else quorum
    if stated_quorum:
        err.print(
            "warning: counting the witnesses the bundle names; pin them with --witness and "
            "--quorum for a check that does not trust the bundle",
            markup=False,
            soft_wrap=True,
        )
    return stated, stated_quorum


def _matching_digest(data: bytes, entry_b64: str) -> str:
    # A JSON document may be logged by its canonical form: use the digest the entry records
    # when it is one of the file's; otherwise the file's own, which then fails to match.
    digests = file_digests(data)
    try:
        logged = Envelope.from_entry(base64.b64decode(entry_b64, validate=True)).sha256
    except (ValueError, EnvelopeError):
        return digests[0]
    return logged if logged in digests else digests[0]


# The operators' commands (audit, sign, rotate-key) and `accord log watch` live in their own
# modules and register themselves on log_app, in this order.
from accord.cli import log_admin, log_watch  # noqa: E402, F401
