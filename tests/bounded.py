"""Run a parser on hostile input in a child process held to a memory and a time bound.

The child is started once and answers calls over its standard input and output, so that a
property test's examples do not each pay for a fresh interpreter. Its address space is capped
with ``RLIMIT_AS``: an input that makes a parser allocate past the cap ends in MemoryError (or
the child's death) rather than in the machine's swap. A call that does not answer in time gets
the child killed and the outcome ``"timeout"``; the next call starts a new child.
"""

from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEMORY_BYTES = 1024**3
SECONDS = 15.0

_CHILD = r"""
import base64, importlib, json, resource, sys, time
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
for line in sys.stdin:
    call = json.loads(line)
    module, _, name = call["target"].partition(":")
    try:  # Linux: reset the peak resident size, so that each call reports its own
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass
    function = getattr(importlib.import_module(module), name)  # imports are not timed
    started = time.monotonic()
    try:
        detail = str(function(base64.b64decode(call["data"])))[:500]
        outcome = "ok"
    except MemoryError:
        outcome, detail = "MemoryError", ""
    except BaseException as exc:
        outcome, detail = type(exc).__name__, str(exc)[:500]
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        with open("/proc/self/status") as status:
            peak = next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        pass
    answer = {"outcome": outcome, "detail": detail, "seconds": seconds, "peak": peak}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
"""


@dataclass(frozen=True)
class Answer:
    """How one call ended: ``"ok"``, an exception's name, ``"timeout"`` or ``"died"``."""

    outcome: str
    detail: str = ""
    seconds: float = 0.0
    peak: int = 0  # the child's peak resident size during the call (Linux), in bytes


class Bounded:
    """A child process that calls ``module:function(data: bytes)`` within the bounds."""

    def __init__(
        self,
        *,
        memory: int = MEMORY_BYTES,
        seconds: float = SECONDS,
        env: dict[str, str] | None = None,
    ) -> None:
        self.memory = memory
        self.seconds = seconds
        self.env = env or {}
        self._child: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._child is None or self._child.poll() is not None:
            path = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
            env = {**os.environ, **self.env, "PYTHONPATH": path}
            self._child = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(self.memory)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd=ROOT,
                bufsize=0,
            )
        return self._child

    def call(self, target: str, data: bytes) -> Answer:
        """``target`` on ``data`` in the child; a call past the time bound kills it."""
        child = self._start()
        assert child.stdin is not None
        assert child.stdout is not None
        line = json.dumps({"target": target, "data": base64.b64encode(data).decode()})
        try:
            child.stdin.write(line.encode() + b"\n")
        except BrokenPipeError:
            self.close()
            return Answer("died")
        deadline = time.monotonic() + self.seconds
        received = b""
        while not received.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([child.stdout], [], [], max(left, 0))
            if not ready:
                self.close()
                return Answer("timeout", seconds=self.seconds)
            chunk = os.read(child.stdout.fileno(), 65536)
            if not chunk:
                self.close()
                return Answer("died")
            received += chunk
        return Answer(**json.loads(received))

    def close(self) -> None:
        """End the child (killed: it may be stuck in a parser)."""
        if self._child is not None:
            self._child.kill()
            self._child.wait()
            for pipe in (self._child.stdin, self._child.stdout):
                if pipe is not None:
                    pipe.close()
            self._child = None
