"""``accord snapshot``: download a hub's signed snapshot of its public advisories, check one.

``accord check --offline`` then reads it without the network. The hub's log key is pinned as
``accord log`` pins it (``--key``, else the state file, else trusted on first use with a
warning); the snapshot is refused, with the reason, unless its manifest is in the log under
a checkpoint signed by that key and every record matches the manifest.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from accord.check.sources.containers import index_path
from accord.check.sources.snapshot import SnapshotSource
from accord.cli import words
from accord.cli.log import default_state, observe, parse_verifier, pinned_key
from accord.errors import AccordError
from accord.transparency import monitor

snapshot_app = typer.Typer(no_args_is_help=True, help="Offline snapshots of a hub's advisories.")
out = Console(highlight=False, soft_wrap=True)
MAX_SNAPSHOT_BYTES = 2 * 1024**3


def default_snapshot(hub: str) -> Path:
    """Where ``pull`` keeps a hub's snapshot (beside the log monitor's state for that hub)."""
    state = default_state(hub.rstrip("/"))
    return state.with_name(state.name.replace("log-", "snapshot-", 1)).with_suffix(".zip")


def _state_for(snapshot: Path) -> Path:
    return snapshot.with_name(re.sub(r"^snapshot-", "log-", snapshot.name)).with_suffix(".json")


@snapshot_app.command("pull")
def pull(
    hub: Annotated[str, typer.Option("--hub", help="The hub's address.")],
    key: Annotated[str | None, typer.Option("--key", help="The log's verifier key to pin.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to save the snapshot.")
    ] = None,
    state: Annotated[
        Path | None, typer.Option("--state", help="The log monitor's state file for this hub.")
    ] = None,
) -> None:
    """Download, verify and save the hub's snapshot of its public advisories."""
    with monitor.HubClient(hub, timeout=120) as client:
        state_path = state or default_state(client.hub)
        saved = monitor.load_state(state_path)
        verifier = parse_verifier(pinned_key(client, key, saved))
        target = output or default_snapshot(client.hub)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = _download(client, target.parent)
        try:
            # Indexed beside the file it becomes (the index names the archive's digest).
            source = SnapshotSource(temporary, verifier=verifier, index=index_path(target))
            source.verify_all()
            checkpoint = source.bundle_checkpoint
            source.close()
            observe(client, verifier, saved, checkpoint, state_path)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
    info = source.info
    out.print(
        words.gettext(
            "ok: %(advisories)s of %(origin)s made %(when)s, saved in %(path)s; its manifest is "
            "log entry %(index)s under a checkpoint of %(entries)s signed by %(key)s",
            advisories=words.advisories(info.records),
            origin=info.origin,
            when=words.moments(str(info.created)),
            path=str(target),
            index=str(info.log_index),
            entries=words.entries(info.tree_size),
            key=verifier.encode(),
        ),
        markup=False,
    )


def _download(client: monitor.HubClient, folder: Path) -> Path:
    url = f"{client.hub}/api/v1/check/snapshot"
    handle = tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False)  # noqa: SIM115
    path = Path(handle.name)
    try:
        with handle, client.http.stream("GET", "/api/v1/check/snapshot") as response:
            if response.status_code != 200:
                raise monitor.HubError(f"{url} answered {response.status_code}")
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_SNAPSHOT_BYTES:
                    raise monitor.HubError(f"{url} sent more than {MAX_SNAPSHOT_BYTES} bytes")
                handle.write(chunk)
    except httpx.HTTPError as exc:
        path.unlink(missing_ok=True)
        raise monitor.HubError(f"could not fetch {url}: {exc or type(exc).__name__}") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


@snapshot_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    key: Annotated[str | None, typer.Option("--key", help="The log's verifier key.")] = None,
) -> None:
    """Check a snapshot offline: signature, inclusion proof, manifest and every record."""
    source = open_snapshot(snapshot=file, key=key, hub=None)
    source.verify_all()
    source.close()
    info = source.info
    out.print(
        words.gettext(
            "ok: %(advisories)s of %(origin)s made %(when)s; log entry %(index)s in a signed "
            "tree of %(entries)s",
            advisories=words.advisories(info.records),
            origin=info.origin,
            when=words.moments(str(info.created)),
            index=str(info.log_index),
            entries=words.entries(info.tree_size),
        ),
        markup=False,
    )


def open_snapshot(*, snapshot: Path | None, key: str | None, hub: str | None) -> SnapshotSource:
    """The snapshot named (or pulled from ``hub``, or the only one pulled), verified against
    ``key`` or the key pinned when it was pulled."""
    path = snapshot or _pulled(hub)
    if not path.exists():
        raise AccordError(f"no snapshot at {path}: run `accord snapshot pull --hub URL` first")
    if key is None:
        saved = monitor.load_state(default_state(hub.rstrip("/")) if hub else _state_for(path))
        if saved is None:
            raise AccordError(
                f"no key pinned for {path}: pass --key with the hub's log key "
                "(it is at /.well-known/accord-log-key; `accord log verify` pins it)"
            )
        key = saved.verifier_key
    return SnapshotSource(path, verifier=parse_verifier(key))


def _pulled(hub: str | None) -> Path:
    if hub:
        return default_snapshot(hub)
    found = sorted((Path.home() / ".accord").glob("snapshot-*.zip"))
    if len(found) != 1:
        which = "none" if not found else ", ".join(str(p) for p in found)
        raise AccordError(f"name the snapshot with --snapshot or --hub (pulled: {which})")
    return found[0]
