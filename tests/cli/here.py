"""``accord ARGS`` run in the test's own process, for tests about what a command does.

A subprocess (``tests.cli.test_cli.accord``) starts a new interpreter and imports the hub
for each command: about 1.7 s of CPU, several seconds of wall time when CI runs two suites
on two cores. A test about a command's output, exit code and effect checks the same thing
here, through the same entry point (:func:`accord.cli.main.run`, which turns failures into
one line and an exit code). Tests about the process itself (signals, a real terminal, the
environment it inherits) keep the subprocess.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from typer.testing import CliRunner

from accord.cli import main
from accord.config import Settings


@dataclass(frozen=True)
class Ran:
    """What a command left: its exit code and the two streams (as ``CompletedProcess``)."""

    returncode: int
    stdout: str
    stderr: str


def accord_here(settings: Settings, *args: str, env: dict[str, str] | None = None) -> Ran:
    """Run ``accord ARGS`` in this process against the test hub's settings."""
    environ = {
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_DATABASE_URL": settings.resolved_database_url,
        **(env or {}),
    }
    argv = sys.argv
    sys.argv = ["accord", *args]
    try:
        with CliRunner().isolation(env=environ) as (out, err, _):
            try:
                main.run()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            sys.stdout.flush()
            sys.stderr.flush()
            return Ran(code, out.getvalue().decode(), err.getvalue().decode())
    finally:
        sys.argv = argv
