"""Running appender child processes and reading what they acknowledged."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from accord.config import Settings
from accord.transparency import merkle, store

REPO = Path(__file__).resolve().parents[2]


# How long the server is given to notice by itself that a killed child's connections are dead.
NOTICE_SECONDS = 15.0


def _await_gone(conn: Connection, tag: str, seconds: float) -> list[Row[Any]]:
    """Wait up to ``seconds`` until no backend carries ``tag``; those still there, with their
    state, wait event and the sessions blocking them."""
    deadline = time.monotonic() + seconds
    while True:
        left = list(
            conn.execute(
                text(
                    "SELECT pid, state, wait_event_type, wait_event, pg_blocking_pids(pid),"
                    " left(query, 120) FROM pg_stat_activity WHERE application_name = :t"
                ),
                {"t": tag},
            )
        )
        # pg_stat_activity is a snapshot taken at its first read in a transaction: polled in
        # one, a backend there at the first look stayed there to the deadline.
        conn.rollback()
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


@dataclass
class Child:
    """An appender process and the acknowledgements read from it so far."""

    process: subprocess.Popen[str]
    acks: list[tuple[int, bytes]] = field(default_factory=list)
    first_ack: threading.Event = field(default_factory=threading.Event)
    reader: threading.Thread | None = None
    # PostgreSQL only: the application name its connections carry, and where they connect.
    tag: str = ""
    database_url: str = ""

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            index, leaf_hash = line.split()
            self.acks.append((int(index), bytes.fromhex(leaf_hash)))
            self.first_ack.set()
        self.first_ack.set()

    errors: str = ""

    def wait(self, timeout: float = 120) -> int:
        """Wait for the process and its last acknowledgements; close its pipes."""
        code = self.process.wait(timeout)
        if self.reader is not None:
            self.reader.join(timeout)
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self.errors = self.process.stderr.read()
        self.process.stdout.close()
        self.process.stderr.close()
        self._wait_for_backends_gone(timeout)
        return code

    def _wait_for_backends_gone(self, timeout: float) -> None:
        """On PostgreSQL, wait until the server has ended the dead child's connections.

        A COMMIT the child sent just before SIGKILL is still in the socket and the server
        finishes it after the child is gone; a test that read the log before that would see
        one entry fewer than the signing that follows it. The server notices a dead client
        when it next reads from it; one that has not within ``NOTICE_SECONDS`` (it waits on
        something else: seen once in CI, at load) is ended as the server's own dead-peer check
        would end it, its state said on standard error. Gone, its transaction is either
        committed or rolled back: that is all the tests need.
        """
        if not self.tag:
            return
        engine = create_engine(self.database_url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                left = _await_gone(conn, self.tag, NOTICE_SECONDS)
                if not left:
                    return
                # Said on the test's standard error (warnings are errors in this suite).
                print(
                    f"the killed child's connections ({self.tag}) were still open after "
                    f"{NOTICE_SECONDS} s, ended now: {left}",
                    file=sys.stderr,
                )
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE application_name = :t"
                    ),
                    {"t": self.tag},
                )
                left = _await_gone(conn, self.tag, timeout)
        finally:
            engine.dispose()
        if left:
            raise AssertionError(f"the killed child's connections ({self.tag}) stayed: {left}")

    def stderr(self) -> str:
        """What the process printed on standard error (stopping it first if it still runs)."""
        if self.process.poll() is None:
            self.process.kill()
        if not self.process.stderr or not self.process.stderr.closed:
            self.wait()
        return self.errors


def start(settings: Settings, *args: str) -> Child:
    """Start ``python -m tests.transparency.appender`` on the test database."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    url = settings.resolved_database_url
    tag = ""
    if url.startswith("postgresql"):
        tag = f"appender-{uuid.uuid4().hex[:12]}"
        url = (
            make_url(url)
            .update_query_dict({"application_name": tag})
            .render_as_string(hide_password=False)
        )
    command = [
        sys.executable,
        "-m",
        "tests.transparency.appender",
        "--data-dir",
        str(settings.data_dir),
        "--database-url",
        url,
        *args,
    ]
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    child = Child(process, tag=tag, database_url=settings.resolved_database_url)
    child.reader = threading.Thread(target=child._read, daemon=True)
    child.reader.start()
    return child


def assert_all_present(db: Session, acks: list[tuple[int, bytes]]) -> None:
    """Every acknowledged append is in the log, with the leaf hash it was acknowledged with."""
    indexes = [index for index, _ in acks]
    assert len(indexes) == len(set(indexes)), "an index was acknowledged twice"
    for index, leaf_hash in acks:
        entry = store.read_entry(db, index)
        assert entry is not None, f"acknowledged entry {index} is missing"
        assert merkle.hash_leaf(entry) == leaf_hash, f"entry {index} is not what was appended"
