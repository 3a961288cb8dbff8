"""``accord advisories import``: the summary, the rejections, and errors as one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.advisories.conftest import VULNS


def _accord(data: Path, *args: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {"ACCORD_DATA_DIR": str(data), "PATH": "/usr/bin:/bin", "COLUMNS": "200", "LANG": lang}
    src = str(Path(__file__).resolve().parents[2] / "src")
    code = f"import sys; sys.path.insert(0, {src!r}); from accord.cli.main import run; run()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_import_prints_the_summary_each_rejection_and_each_dropped_range(tmp_path: Path) -> None:
    folder = tmp_path / "vulns"
    folder.mkdir()
    for name in ("jinja2/PYSEC-2014-8.yaml", "binderhub/PYSEC-2021-371.yaml"):
        (folder / Path(name).name).write_text((VULNS / name).read_text())
    (folder / "broken.json").write_text('{"id": "x_TEST-1", "modified": "yesterday"}')
    # A new data directory: the first import makes the hub, as asked with --create.
    done = _accord(tmp_path / "data", "advisories", "import", str(folder), "--create")
    assert done.returncode == 0, done.stderr
    assert "3 records read" in done.stdout
    counts = _counts(done.stdout)
    assert counts["imported"] == "2"
    assert counts["rejected"] == "1"
    assert "rejected x_TEST-1" in done.stdout
    dropped = [line for line in done.stdout.splitlines() if line.startswith("dropped ")]
    assert len(dropped) == 1
    assert dropped[0].startswith("dropped PYSEC-2021-371 affected[0].ranges[0] (")
    assert "GIT ranges must use full-length commit hashes" in dropped[0]
    again = _accord(tmp_path / "data", "advisories", "import", str(folder)).stdout
    assert _counts(again)["unchanged"] == "2"
    assert _counts(again)["imported"] == "0"
    assert "dropped PYSEC-2021-371 affected[0].ranges[0]" in again


@pytest.mark.slow
def test_the_summary_is_in_the_terminal_s_language(tmp_path: Path) -> None:
    folder = tmp_path / "vulns"
    folder.mkdir()
    for name in ("jinja2/PYSEC-2014-8.yaml", "binderhub/PYSEC-2021-371.yaml"):
        (folder / Path(name).name).write_text((VULNS / name).read_text())
    (folder / "broken.json").write_text('{"id": "x_TEST-1", "modified": "yesterday"}')
    args = ("advisories", "import", str(folder), "--create")
    done = _accord(tmp_path / "data", *args, lang="es_ES.UTF-8")
    assert done.returncode == 0, done.stderr
    assert "3 registros leídos" in done.stdout
    heading = next(line for line in done.stdout.splitlines() if "resultado" in line)
    assert [cell.strip() for cell in heading.split("┃")[1:-1]] == ["resultado", "registros"]
    counts = _counts(done.stdout)
    assert counts["importados"] == "2"
    assert counts["rechazados"] == "1"
    assert "outcome" not in done.stdout
    assert "records read" not in done.stdout
    assert "descartado PYSEC-2021-371 affected[0].ranges[0] (" in done.stdout
    again = _accord(tmp_path / "data", "advisories", "import", str(folder), lang="ja_JP.UTF-8")
    assert "3 件のレコードを読み込みました" in again.stdout
    assert _counts(again.stdout)["変更なし"] == "2"


def _counts(table: str) -> dict[str, str]:
    rows = [line.split("│") for line in table.splitlines() if line.count("│") == 3]
    return {row[1].strip(): row[2].strip() for row in rows}


def test_a_missing_location_is_one_line_and_exit_1(tmp_path: Path) -> None:
    done = _accord(tmp_path / "data", "advisories", "import", str(tmp_path / "nope"), "--create")
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: ")
    assert "no such file or folder" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_alias_bomb_is_one_line_and_exit_2(tmp_path: Path) -> None:
    # The audit's 703-byte bomb reached 8.3 GB; nine levels of ten aliases each are 10**9 nodes.
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for level in range(1, 10):
        refs = ",".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    done = _accord(tmp_path / "data", "advisories", "import", str(bomb), "--create")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: {bomb}: YAML aliases expand to more than 100,000 nodes"
    ]
