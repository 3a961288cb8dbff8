"""A drainer that stops at a given point and waits there to be killed (tests/sharing/test_queue).

    python -m tests.sharing.crash_drainer DATABASE_URL DATA_DIR POINT MARKER

``before-commit``: the objects and the status are written in the drain's transaction, not yet
committed. ``before-forget``: committed, the entries not yet forgotten. The marker file tells
the test the point is reached.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from accord.config import Settings
from accord.db import make_engine, make_sessionmaker
from accord.sharing import ingest, queue


def main() -> None:
    url, data_dir, point, marker = sys.argv[1:5]
    settings = Settings(data_dir=Path(data_dir), database_url=url)
    engine = make_engine(settings)
    waiting = queue.Queue.for_hub(settings, engine)

    def wait_to_be_killed(*_: Any, **__: Any) -> None:
        Path(marker).touch()
        time.sleep(600)

    if point == "before-commit":
        record = ingest.record_status

        def record_then_wait(*args: Any, **kwargs: Any) -> Any:
            record(*args, **kwargs)
            wait_to_be_killed()

        ingest.record_status = record_then_wait  # type: ignore[assignment]
    else:
        queue.Queue.forget = wait_to_be_killed  # type: ignore[method-assign]
    queue.drain(waiting, make_sessionmaker(engine), limit=10_000)


if __name__ == "__main__":
    main()
