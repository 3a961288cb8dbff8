"""A worker process for the crash test: claims one job and runs it (the test kills it)."""

from __future__ import annotations

import sys
from pathlib import Path

import tests.jobs.handlers  # noqa: F401  (registers the test kinds)
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker
from accord.jobs.worker import Worker


def main() -> None:
    database_url, data_dir = sys.argv[1], Path(sys.argv[2])
    settings = Settings(data_dir=data_dir, database_url=database_url)
    engine = make_engine(settings)
    Worker(settings=settings, sessions=make_sessionmaker(engine)).run_once()


if __name__ == "__main__":
    main()
