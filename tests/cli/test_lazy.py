"""``accord``'s commands are imported when they run; ``accord --help`` lists them all, with
the summaries the commands themselves give."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from accord.cli import main


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main.app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name, (_, _, summary) in main.COMMANDS.items():
        assert f" {name} " in result.output
        assert summary.split(". ")[0] in result.output


@pytest.mark.parametrize("name", list(main.COMMANDS))
def test_each_summary_is_the_command_s_own(name: str) -> None:
    command = main.load(name)
    assert command.name == name
    assert " ".join((command.help or "").split()) == main.COMMANDS[name][2]


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main.app, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_an_unexpected_failure_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fails(**_: object) -> None:
        raise RecursionError("maximum recursion depth exceeded\nwhile decoding")

    monkeypatch.setattr(main, "app", fails)
    monkeypatch.delenv("ACCORD_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exited:
        main.run()
    assert exited.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "error: could not complete (RecursionError: maximum recursion depth exceeded);"
        " ACCORD_DEBUG=1 shows the traceback"
    ]


def test_accord_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(**_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(main, "app", fails)
    monkeypatch.setenv("ACCORD_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main.run()
