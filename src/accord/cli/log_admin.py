"""``accord log audit``, ``sign`` and ``rotate-key``: the operators' commands on the hub's own
log, reading its settings and database (the readers' commands are in ``log.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli import words
from accord.cli.log import _one_line_errors, _say, log_app
from accord.errors import AccordError


@log_app.command("audit")
def audit_command(
    config: Annotated[
        Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")
    ] = None,
) -> None:
    """Operators: rebuild the local log from its entries and check every tile and checkpoint."""
    from accord.cli.context import database, settings_from_env
    from accord.transparency.audit import audit
    from accord.transparency.store import LogIntegrityError

    with _one_line_errors():
        settings = settings_from_env(config)
        try:
            with database(settings, writes=False) as db:
                report = audit(db, settings=settings)
        except LogIntegrityError as exc:
            raise AccordError(f"the log does not hold together: {exc}") from None
    _say(
        words.gettext(
            "ok: %(entries)s, %(checkpoints)s and %(records)s agree",
            entries=words.entries(report.size),
            checkpoints=words.ngettext(
                "%(count)s checkpoint", "%(count)s checkpoints", report.checkpoints
            ),
            records=words.ngettext("%(count)s record", "%(count)s records", report.records),
        )
    )


@log_app.command("sign")
def sign_command(
    config: Annotated[
        Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")
    ] = None,
) -> None:
    """Operators: sign a checkpoint now over every publication waiting for one."""
    from accord.cli.context import database, settings_from_env
    from accord.transparency import services

    with _one_line_errors():
        settings = settings_from_env(config)
        with database(settings) as db:
            checkpoint = services.sign_latest(db, settings=settings)
    _say(
        words.gettext(
            "ok: checkpoint of %(entries)s signed", entries=words.entries(checkpoint.size)
        )
    )


@log_app.command("rotate-key")
def rotate_key_command(
    config: Annotated[
        Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")
    ] = None,
) -> None:
    """Operators: replace the log's signing key, announcing the new one in a checkpoint that
    the old and the new key both sign. Running hub processes sign with the new key from
    their next checkpoint on."""
    from accord.cli.context import database, settings_from_env
    from accord.transparency import rotation

    with _one_line_errors():
        settings = settings_from_env(config)
        with database(settings) as db:
            rotation.finish(db, settings=settings)  # one left half done by a crash
            row = rotation.rotate(db, settings=settings)
            new_key, size = row.verifier_key, row.from_size
        with database(settings, writes=False) as db:
            rotation.finish(db, settings=settings)
    _say(
        words.gettext(
            "ok: the log's key is now %(key)s, announced at size %(size)s",
            key=new_key,
            size=str(size),
        )
    )
