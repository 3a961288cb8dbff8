"""``accord worker`` runs background jobs apart from the web processes; ``accord jobs`` lists
and retries them."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from accord.cli import words
from accord.cli.context import database, open_engine, settings_from_env
from accord.db import make_sessionmaker
from accord.identity.policy import SYSTEM
from accord.jobs import services
from accord.jobs.models import JobState
from accord.jobs.worker import Worker
from accord.transparency import services as log

app = typer.Typer(no_args_is_help=True, help="Background jobs.")
out = Console(soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")]


def worker(
    threads: Annotated[int, typer.Option(min=1, max=64, help="Jobs run side by side.")] = 1,
    once: Annotated[bool, typer.Option("--once", help="Run the jobs due now, then exit.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Run background jobs (notifications, retries) until stopped by SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = settings_from_env(config)
    engine = open_engine(settings)
    try:
        sessions = make_sessionmaker(engine)
        readers = make_sessionmaker(engine, read_only=True)
        workers = [
            Worker(settings=settings, sessions=sessions, readers=readers) for _ in range(threads)
        ]
        if once:
            ran = sum(w.run_until_idle() for w in workers[:1])
            # No cadence follows a single run: what its jobs logged is signed now.
            log.sign_pending(sessions, settings=settings)
            out.print(words.ngettext("ran %(count)s job", "ran %(count)s jobs", ran))
            return
        stop = threading.Event()

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        running = [
            threading.Thread(target=w.run_forever, args=(stop,), name=f"accord-jobs-{i}")
            for i, w in enumerate(workers)
        ]
        # Jobs publish through the log too (scheduled case publications, aggregation): the
        # worker signs what waits on the log's cadence, as the web process does.
        signer = log.cadence(sessions, settings=settings)
        if settings.log_checkpoint_seconds > 0:
            signer.start()
        for thread in running:
            thread.start()
        out.print(
            words.ngettext(
                "%(count)s worker thread running; stop with SIGTERM or Ctrl-C",
                "%(count)s worker threads running; stop with SIGTERM or Ctrl-C",
                threads,
            )
        )
        for thread in running:
            thread.join()
        if settings.log_checkpoint_seconds > 0:
            signer.stop()
    finally:
        engine.dispose()


@app.command("list")
def list_jobs(
    state: Annotated[JobState | None, typer.Option(help="Only jobs in this state.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    config: ConfigOpt = None,
) -> None:
    """List jobs, newest first, with their last error."""
    table = Table(
        words.gettext("id"),
        words.gettext("kind"),
        words.gettext("state"),
        words.gettext("attempts"),
        words.gettext("run at / finished"),
        words.gettext("last error"),
    )
    with database(settings_from_env(config), writes=False) as db:
        for job in services.list_jobs(db, state=state, kind=kind, limit=limit):
            when = job.finished_at or job.run_at
            table.add_row(
                str(job.id),
                job.kind,
                words.gettext(job.state.value),  # its label's message id ("queued"...)
                f"{job.attempts}/{job.max_attempts}",
                words.when(when),
                job.last_error or "",
            )
    out.print(table)


@app.command("retry")
def retry(job_id: int, config: ConfigOpt = None) -> None:
    """Queue a dead or failed job again now."""
    with database(settings_from_env(config)) as db:
        services.retry(db, job_id=job_id, actor=SYSTEM)
    out.print(words.gettext("job %(id)s queued again", id=job_id))
