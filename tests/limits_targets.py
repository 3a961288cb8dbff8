"""What tests/test_limits.py runs in its bounded child: each parser of outside input, called
the way the hub calls it, on bytes from the test. Everything is imported up front, so that
the time a call takes is the parser's.

A file's bytes come as ``name NUL content``. Each function returns a short description of
what happened; an exception goes back to the test as the call's outcome.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import importer
from accord.check.inputs import read_file
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, upgrade
from accord.identity.policy import SYSTEM
from accord.sharing import patterns, services


@functools.cache
def _hub() -> tuple[Settings, sessionmaker[Session], Path]:
    root = Path(os.environ.get("ACCORD_BOUNDED_DIR") or tempfile.mkdtemp())
    settings = Settings(data_dir=root / "hub")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings)
    upgrade(engine)
    return settings, make_sessionmaker(engine), root


def _file(data: bytes, folder: Path) -> Path:
    name, _, content = data.partition(b"\0")
    path = folder / name.decode()
    path.write_bytes(content)
    return path


def import_file(data: bytes) -> str:
    """``accord advisories import`` of one file (JSON, YAML or zip) into a real hub."""
    settings, factory, root = _hub()
    folder = Path(tempfile.mkdtemp(dir=root))
    try:
        path = _file(data, folder)
        report = importer.run(factory, str(path), actor=SYSTEM, settings=settings)
    finally:
        shutil.rmtree(folder)
    return f"{dict(report.counts)} {[r.reason for r in report.rejections][:3]}"


def check_file(data: bytes) -> str:
    """``accord check`` reading one input file."""
    folder = Path(tempfile.mkdtemp())
    try:
        reading = read_file(_file(data, folder))
    finally:
        shutil.rmtree(folder)
    return f"{reading.kind}: {len(reading.dependencies)} {[str(e) for e in reading.errors]}"


def stix_pattern(data: bytes) -> str:
    """An indicator's STIX pattern, checked as at ingest."""
    checked = patterns.check(data.decode())
    return f"{checked.valid} {checked.errors[:1]}"


def taxii_envelope(data: bytes) -> str:
    """A TAXII envelope as a POST brings it: parsed and every object checked."""
    return f"{len(services.check_envelope(data))} objects"
