"""Daemon threads of the web process that do one thing every few seconds.

The delivery counts' flush (``sharing.deliveries``) and the SQLite checkpoint
(``accord.checkpoints``) run this way: started by the app's lifespan, stopped at its end
after one last run, so that a clean shutdown leaves nothing undone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Every:
    """A daemon thread calling ``work`` every ``seconds``, and once more when stopped.

    A failing run is logged with ``failure`` and the thread goes on: the next run retries.
    """

    def __init__(
        self, work: Callable[[], object], *, seconds: float, name: str, failure: str
    ) -> None:
        self._work = work
        self._seconds = seconds
        self._failure = failure
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start running in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after a last run."""
        self._stopping.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopping.wait(self._seconds):
            self._once()
        self._once()

    def _once(self) -> None:
        try:
            self._work()
        except Exception:
            log.exception(self._failure)
