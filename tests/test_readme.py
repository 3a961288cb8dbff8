"""The README's two commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    lines = (ROOT / "README.md").read_text().splitlines()
    return [line.strip() for line in lines[:12] if line.startswith("    ")]


def test_readme_starts_with_serve_and_test_commands() -> None:
    serve, test = _commands()
    assert serve.endswith("accord serve")
    assert test.endswith(".venv/bin/pytest -n auto")


def test_ci_runs_the_readme_test_command() -> None:
    _, test = _commands()
    assert test in (ROOT / ".ci" / "run").read_text().splitlines()


def test_ci_runs_the_tests_in_a_clone_with_nothing_beside_it() -> None:
    run = (ROOT / ".ci" / "run").read_text()
    clone, test = run.index("git clone"), run.index(_commands()[1])
    assert clone < test, "the README's test command runs in the fresh clone"


def test_no_test_or_benchmark_reads_data_from_outside_the_repository() -> None:
    signs = ('"shared"', "../shared", "/work/")
    outside = [
        path.relative_to(ROOT)
        for folder in ("src", "tests", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if path != Path(__file__).resolve() and any(s in path.read_text() for s in signs)
    ]
    assert outside == [], "third-party data belongs in tests/data (see tests/thirdparty.py)"
