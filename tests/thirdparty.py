"""Third-party test data bundled in ``tests/data/``: where each set is, unpacked on first use.

The repository stands alone: a clone with nothing beside it runs every test. Sets of many
small files are stored as ``.tar.xz`` (the PyPA database packs from 14 MB of YAML to half a
megabyte) and unpacked once per archive into the system's temporary directory, under a name
that carries the archive's digest, so a changed archive never reuses a stale copy and
pytest-xdist workers share one copy. Sources, commits and licences: ``tests/data/README.md``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@cache
def unpacked(archive: Path) -> Path:
    """The folder ``archive`` unpacks to, unpacking it once per machine and archive digest."""
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"accord-tests-{archive.name}-{digest}"
    if target.is_dir():
        return target
    # Unpack beside the target, then rename: a worker that loses the race finds the
    # winner's complete copy, never a half-written one.
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    with tarfile.open(archive, "r:xz") as tar:
        tar.extractall(staging, filter="data")
    try:
        os.rename(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not target.is_dir():
            raise
    return target


# The PyPA advisory database: 2,661 OSV records in YAML, ``vulns/<package>/PYSEC-*.yaml``.
PYPA = unpacked(DATA / "pypa-advisory-database" / "pypa-advisory-database.tar.xz")
PYPA_VULNS = PYPA / "vulns"

# The OSV JSON schema (draft 2020-12).
OSV_SCHEMA = DATA / "osv-schema" / "schema.json"
# Real Go vulnerability database records: SEMVER ranges, ecosystem_specific symbols.
GO_VULNS = DATA / "go-vulndb"

# CSAF 2.0: the OASIS JSON schemas, the FIRST CVSS schemas they reference, and the examples.
CSAF_DIR = DATA / "csaf" / "csaf_2.0"

# transparency-dev/merkle's inclusion and consistency probes, and RFC 6962 reference vectors.
MERKLE_PROBES = unpacked(DATA / "merkle" / "transparency-dev-merkle-testdata.tar.xz") / "testdata"
MERKLE_VECTORS = DATA / "merkle" / "rfc6962-reference-vectors.json"
