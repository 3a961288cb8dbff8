"""``accord check`` on the command line: exit statuses, errors on one line, and the same
answers and exit statuses as pip-audit where the two overlap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from accord.advisories import importer
from accord.cli import main
from tests.check.conftest import DATA
from tests.flows.conftest import serving

PIP_AUDIT = str(Path(sys.executable).with_name("pip-audit"))


def _accord(*args: str) -> Result:
    return CliRunner().invoke(main.app, ["check", *args])


def test_unreachable_hub_is_one_line_and_status_2(tmp_path: Path) -> None:
    result = _accord("--hub", "http://127.0.0.1:9", str(DATA / "requirements.txt"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: cannot reach http://127.0.0.1:9/v1/querybatch")


def test_no_source_is_an_error() -> None:
    result = CliRunner().invoke(
        main.app, ["check", str(DATA / "requirements.txt")], env={"ACCORD_HUB": ""}
    )
    assert result.exit_code == 2
    assert "--hub" in result.stderr


def test_a_malformed_file_is_named_and_the_others_still_checked(
    app: FastAPI, pypa_hub: importer.Report, tmp_path: Path
) -> None:
    broken = tmp_path / "poetry.lock"
    broken.write_text('[[package]]\nname = "jinja2"\nversion = "2.10\n')
    with serving(app) as url:
        result = _accord("--hub", url, str(broken), str(DATA / "requirements.txt"))
    # Findings exit 1 whatever else happened (CI must not take them for a tool error), and
    # the input that could not be read is named.
    assert result.exit_code == 1
    assert f"error: {broken}" in result.stdout
    assert "not valid TOML" in result.stdout
    assert "line 3" in result.stdout
    assert "PYSEC-2019-217" in result.stdout  # requirements.txt was still checked
    assert f"Not checked (could not be read, wholly or in part): {broken}." in result.stdout
    with serving(app) as url:
        as_json = _accord("--hub", url, "-f", "json", str(broken), str(DATA / "requirements.txt"))
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["unreadable"] == [str(broken)]


def test_a_missing_file_is_not_reported_as_nothing_found(
    app: FastAPI, pypa_hub: importer.Report, tmp_path: Path
) -> None:
    clean = tmp_path / "requirements.txt"
    clean.write_text("jinja2==3.1.6\n")
    missing = tmp_path / "absent.lock"
    with serving(app) as url:
        result = _accord("--hub", url, str(missing), str(clean))
    assert result.exit_code == 2
    assert "No known vulnerabilities found." not in result.stdout
    assert f"error: {missing}: No such file or directory" in result.stdout
    assert "found in the 1 packages read; the check is incomplete." in result.stdout
    assert f"Not checked (could not be read, wholly or in part): {missing}." in result.stdout


def test_ioc_without_a_token_says_it_saw_only_public_data(app: FastAPI) -> None:
    runner = CliRunner()
    with serving(app) as url:
        anonymous = runner.invoke(
            main.app, ["check", "ioc", "evil.example", "--hub", url], env={"ACCORD_TOKEN": ""}
        )
        as_json = runner.invoke(
            main.app,
            ["check", "ioc", "evil.example", "--hub", url, "-f", "json"],
            env={"ACCORD_TOKEN": ""},
        )
    assert anonymous.exit_code == 0, anonymous.stderr
    assert anonymous.stdout == "evil.example\tdomain\tnot known in public (TLP:CLEAR) data\n"
    assert "only public (TLP:CLEAR) indicators were searched" in anonymous.stderr
    assert "ACCORD_TOKEN" in anonymous.stderr
    assert json.loads(as_json.stdout)["searched"] == "TLP:CLEAR only"


def test_exit_statuses_and_formats(app: FastAPI, pypa_hub: importer.Report, tmp_path: Path) -> None:
    clean = tmp_path / "requirements.txt"
    clean.write_text("jinja2==3.1.6\n")
    sarif_file = tmp_path / "out.sarif"
    with serving(app) as url:
        found = _accord("--hub", url, str(DATA / "requirements.txt"))
        nothing = _accord("--hub", url, str(clean))
        sarif = _accord("--hub", url, "-f", "sarif", "-o", str(sarif_file), str(DATA / "uv.lock"))
        vex = _accord("--hub", url, "-f", "cyclonedx-vex", str(DATA / "uv.lock"))
        ignored = _accord(
            "--hub",
            url,
            "--ignore",
            "PYSEC-2019-217",
            "--ignore",
            "PYSEC-2021-66",
            str(DATA / "poetry.lock"),
        )
        bad_severity = _accord("--hub", url, "--severity", "urgent", str(clean))
    assert found.exit_code == 1
    assert nothing.exit_code == 0
    assert "No known vulnerabilities found." in nothing.stdout
    assert sarif.exit_code == 1
    assert json.loads(sarif_file.read_text())["version"] == "2.1.0"
    assert vex.exit_code == 1
    assert json.loads(vex.stdout)["specVersion"] == "1.6"
    assert ignored.exit_code == 0, ignored.stdout
    assert "Left out as asked: PYSEC-2019-217, PYSEC-2021-66." in ignored.stdout
    assert bad_severity.exit_code == 2


def test_an_environment_by_path(app: FastAPI, pypa_hub: importer.Report, tmp_path: Path) -> None:
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    for name, version in (("Jinja2", "2.10"), ("MarkupSafe", "2.0.1")):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    with serving(app) as url:
        result = _accord("--hub", url, "-f", "json", str(tmp_path / "venv"))
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert {(d["name"], d["version"]) for d in body["dependencies"]} == {
        ("Jinja2", "2.10"),
        ("MarkupSafe", "2.0.1"),
    }


@pytest.mark.skipif(not Path(PIP_AUDIT).exists(), reason="pip-audit is not installed")
def test_same_answers_and_statuses_as_pip_audit(
    app: FastAPI, pypa_hub: importer.Report, tmp_path: Path, client: TestClient
) -> None:
    clean = tmp_path / "clean.txt"
    clean.write_text("jinja2==3.1.6\n")
    runs = {}
    with serving(app) as url:
        for name, path in (("vulnerable", DATA / "freeze-requirements.txt"), ("clean", clean)):
            audit = subprocess.run(
                [
                    PIP_AUDIT,
                    "-r",
                    str(path),
                    "--no-deps",
                    "--disable-pip",
                    "-s",
                    "osv",
                    "--osv-url",
                    f"{url}/v1/query",
                    "-f",
                    "json",
                    "--progress-spinner",
                    "off",
                    "--cache-dir",
                    str(tmp_path / "cache"),
                ],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            ours = _accord("--hub", url, "-f", "json", str(path))
            runs[name] = (audit, ours)
    for name, (audit, ours) in runs.items():
        assert audit.returncode == ours.exit_code, (name, audit.stderr)
        theirs = json.loads(audit.stdout)["dependencies"]
        mine = json.loads(ours.stdout)["dependencies"]
        assert _vulns(mine) == _vulns(theirs), name
    assert runs["vulnerable"][1].exit_code == 1
    assert runs["clean"][1].exit_code == 0


def _vulns(dependencies: list[dict[str, object]]) -> set[tuple[str, str, str]]:
    return {
        (str(d["name"]).lower(), str(d["version"]), str(v["id"]))  # type: ignore[index]
        for d in dependencies
        for v in d.get("vulns", [])  # type: ignore[attr-defined]
    }
