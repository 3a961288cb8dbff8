"""Running appender child processes and reading what they acknowledged."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from accord.config import Settings
from accord.transparency import merkle, store

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Child:
    """An appender process and the acknowledgements read from it so far."""

    process: subprocess.Popen[str]
    acks: list[tuple[int, bytes]] = field(default_factory=list)
    first_ack: threading.Event = field(default_factory=threading.Event)
    reader: threading.Thread | None = None

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
        return code

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
    command = [
        sys.executable,
        "-m",
        "tests.transparency.appender",
        "--data-dir",
        str(settings.data_dir),
        "--database-url",
        settings.resolved_database_url,
        *args,
    ]
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    child = Child(process)
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
