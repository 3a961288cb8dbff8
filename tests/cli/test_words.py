"""The CLI counts in its reader's language with that language's plurals, never an "s"
appended, and writes moments in the one format of the pages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import typer
from pydantic import BaseModel
from typer.testing import CliRunner

from accord.cli import words
from accord.cli.context import refused
from accord.cli.main import app


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("C.UTF-8", "1 entry", "2 entries"),
        ("es_MX.UTF-8", "1 entrada", "2 entradas"),
        ("ja_JP.UTF-8", "1 件のエントリ", "2 件のエントリ"),
    ],
)
def test_a_count_of_one_and_of_two(
    monkeypatch: pytest.MonkeyPatch, language: str, one: str, two: str
) -> None:
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", language)
    assert words.entries(1) == one
    assert words.entries(2) == two


def test_the_terminal_s_language_and_zone() -> None:
    assert words.reader({"LANG": "C.UTF-8"}).language == "en"
    assert words.reader({"LANGUAGE": "ja:en", "LANG": "es_ES.UTF-8"}).language == "ja"
    assert words.reader({"LC_ALL": "fr_FR.UTF-8"}).language == "en"  # not one the hub speaks
    assert words.reader({"TZ": "Asia/Calcutta"}).zone == "Asia/Kolkata"
    assert words.reader({"TZ": "nowhere"}).zone == "UTC"


def test_a_command_prints_its_count_with_the_right_plural(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.setenv("ACCORD_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    made = runner.invoke(app, ["db", "upgrade"])
    assert made.exit_code == 0, made.output
    ran = runner.invoke(app, ["worker", "--once"])
    assert ran.exit_code == 0, ran.output
    assert "ran 0 jobs" in ran.output
    assert "job(s)" not in ran.output


def test_a_moment_in_an_error_line_is_in_the_terminal_s_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/Mexico_City")
    monkeypatch.setenv("LANG", "es_MX.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    line = words.moments("the case is under embargo until 2027-01-14T16:00:00Z")
    assert line == "the case is under embargo until 14 ene 2027, 10:00 America/Mexico_City"
    assert words.when(datetime(2027, 1, 14, 16, tzinfo=UTC)).endswith("America/Mexico_City")


def test_a_tables_headings_and_lines_are_in_the_terminal_s_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("ACCORD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ACCORD_NEW_PASSWORD", "a long enough passphrase 42")
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output.startswith("データベース sqlite:")
    assert "は最新です" in upgraded.output
    made = runner.invoke(app, ["user", "create", "alice", "--email", "a@example.org"])
    assert made.exit_code == 0, made.output
    assert "ユーザー alice を作成しました" in made.output
    listed = runner.invoke(app, ["user", "list"])
    assert listed.exit_code == 0, listed.output
    heading = next(line for line in listed.output.splitlines() if "ユーザー名" in line)
    assert heading.split("┃")[1:-1] == [" ユーザー名 ", " メールアドレス ", " 運営者 ", " 有効 "]
    assert "username" not in listed.output
    assert "いいえ" in listed.output  # not an operator: a word, not Python's False
    granted = runner.invoke(app, ["user", "set-operator", "alice", "--yes"])
    assert "alice は運営者です" in granted.output.splitlines()
    assert any(line.endswith("に書き込みました") for line in granted.output.splitlines())
    jobs = runner.invoke(app, ["jobs", "list"], env={"LANG": "es_MX.UTF-8"})
    assert jobs.exit_code == 0, jobs.output
    assert "último error" in jobs.output
    assert "last error" not in jobs.output


def test_a_value_the_wire_model_refuses_is_said_in_the_terminal_s_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class _Pledge(BaseModel):
        ends_on: date

    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    for language, said in [
        # the plainer sentence pages say, then pydantic's detail in the same language
        ("es_ES.UTF-8", "error: ends_on: escriba una fecha (2026-12-31): es demasiado corto"),
        ("ja_JP.UTF-8", "エラー: ends_on: 日付を入力してください(2026-12-31): 短すぎます"),
        ("C.UTF-8", "error: ends_on: write a date (2026-12-31): it is too short"),
    ]:
        monkeypatch.setenv("LANG", language)
        with pytest.raises(typer.Exit), refused():
            _Pledge.model_validate({"ends_on": "soon"})
        assert capsys.readouterr().err == f"{said}\n"


def test_a_password_is_asked_for_twice_in_the_terminal_s_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "ACCORD_NEW_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    monkeypatch.setenv("ACCORD_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    # The first pair differs: asked again; the second agrees.
    made = runner.invoke(
        app,
        ["user", "create", "alice", "--email", "a@example.org"],
        input="a long enough passphrase 42\nanother one\n" + "a long enough passphrase 42\n" * 2,
    )
    assert made.exit_code == 0, made.output
    assert "新しいユーザーのパスワード: " in made.output
    assert "もう一度同じものを: " in made.output
    assert "2 回の入力が一致しません。もう一度入力してください。" in made.output
    assert "Repeat for confirmation" not in made.output
    assert "passphrase" not in made.output  # never echoed
    assert "ユーザー alice を作成しました" in made.output


def test_the_log_witnesses_are_listed_and_removed_in_the_terminal_s_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    monkeypatch.setenv("ACCORD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ACCORD_LOG_WITNESS_QUORUM", "0")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    listed = runner.invoke(app, ["log", "witnesses", "list"])
    assert listed.exit_code == 0, listed.output
    assert "定足数: 0" in listed.output.splitlines()
    assert "quorum" not in listed.output
