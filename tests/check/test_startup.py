"""``accord check`` and ``accord snapshot`` import what they need, not the hub: no web
framework, no database, none of the other domains (they cost seconds of start-up)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accord.advisories import importer
from tests.check.test_snapshot import INPUTS, _download, _key

SRC = Path(__file__).resolve().parents[2] / "src"
# Modules (and their submodules) a check must not import.
HUB_ONLY = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "alembic",
    "uvicorn",
    "jinja2",
    "argon2",
    "accord.db",
    "accord.web",
    "accord.identity",
    "accord.sharing",
    "accord.registry",
    "accord.advisories.models",
    "accord.check.models",
    "accord.check.snapshots",
    "accord.transparency.models",
    "accord.transparency.services",
    "accord.cli.admin",
)


def _accord(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the command in a new interpreter; what it printed, and the modules it imported."""
    modules = tmp_path / "modules.json"
    code = (
        "import atexit, json, sys\n"
        f"sys.path.insert(0, {str(SRC)!r})\n"
        f"out = open({str(modules)!r}, 'w')\n"
        "atexit.register(lambda: out.write(json.dumps(list(sys.modules))) and out.close())\n"
        "from accord.cli.main import run\n"
        "run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        timeout=120,
        check=False,
    )
    return done, set(json.loads(modules.read_text()))


def _hub_modules(imported: set[str]) -> list[str]:
    return sorted(m for m in imported if any(m == h or m.startswith(h + ".") for h in HUB_ONLY))


def test_an_offline_check_and_a_verify_import_nothing_of_the_hub(
    client: TestClient, pypa_hub: importer.Report, tmp_path: Path
) -> None:
    snapshot = _download(client, tmp_path)
    key = _key(client).encode()
    done, imported = _accord(
        tmp_path, "check", "--offline", "--snapshot", str(snapshot), "--key", key, *map(str, INPUTS)
    )
    assert done.returncode == 1, done.stderr  # found
    assert "PYSEC-" in done.stdout
    assert "accord.check.sources.snapshot" in imported
    assert _hub_modules(imported) == []
    done, imported = _accord(tmp_path, "snapshot", "verify", str(snapshot), "--key", key)
    assert done.returncode == 0, done.stderr
    assert _hub_modules(imported) == []


@pytest.mark.parametrize(
    "args",
    [
        ("check", "--help"),
        ("check", "--hub", "http://127.0.0.1:9", "requirements.txt"),
        ("snapshot", "--help"),
    ],
)
def test_check_and_snapshot_import_nothing_of_the_hub(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    (tmp_path / "requirements.txt").write_text("jinja2==2.4.1\n")
    done, imported = _accord(
        tmp_path, *[str(tmp_path / a) if a.endswith(".txt") else a for a in args]
    )
    assert done.returncode in (0, 2), done.stderr
    if "--hub" in args:
        assert done.returncode == 2
        assert done.stderr.startswith("error: ")
    assert _hub_modules(imported) == []


def test_the_hub_commands_still_import_the_hub(tmp_path: Path) -> None:
    done, imported = _accord(tmp_path, "org", "--help")
    assert done.returncode == 0, done.stderr
    assert "accord.cli.admin" in imported
    assert "sqlalchemy" in imported
