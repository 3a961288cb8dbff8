"""Typer's own words (the usage line, the help's panels, the help option, its usage errors)
and the ``error:`` of a failure's line are said in the terminal's language; English stays
exactly as Typer writes it."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from accord.cli import main, typer_words
from accord.i18n import translations

_LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

# Typer's English phrases, none of which a translated run may show.
ENGLISH = (
    "Usage:",
    "Options",
    "Commands",
    "Arguments",
    "Show this message and exit.",
    "[required]",
    "Try '",
    "for help.",
    "Missing argument",
    "Missing option",
    "No such option",
    "No such command",
    "Did you mean",
    "Invalid value",
    "Got unexpected",
    "requires an argument",
    "does not take a value",
    "does not exist",
    "is not one of",
    "Input should be",
    "Value error",
    "Choose from",
    "error:",
)


def _accord(lang: str, *args: str) -> str:
    """``accord ARGS`` as a person runs it, with the terminal's LANG: all it writes."""
    env = {k: v for k, v in os.environ.items() if k not in _LANGUAGE_VARIABLES}
    shown = subprocess.run(
        [sys.executable, "-m", "accord", *args],
        capture_output=True,
        text=True,
        env={**env, "LANG": lang, "COLUMNS": "200"},
        timeout=60,
        check=False,
    )
    return shown.stdout + shown.stderr


def _english_in(text: str, *allowed: str) -> list[str]:
    return [p for p in ENGLISH if p in text and p not in allowed]


def test_the_help_and_usage_errors_speak_the_terminals_language() -> None:
    runs = {
        "help": ("--help",),
        "command": ("registry", "depart", "--help"),
        "missing": ("registry", "depart"),
        "bad option": ("registry", "depart", "acme", "--bogus"),
    }
    japanese = {name: _accord("ja_JP.UTF-8", *args) for name, args in runs.items()}
    for name, shown in japanese.items():
        assert _english_in(shown) == [], (name, shown)
    assert "使い方: python -m accord [OPTIONS] COMMAND [ARGS]..." in japanese["help"]
    assert "─ オプション ─" in japanese["help"]
    assert "─ コマンド ─" in japanese["help"]
    assert "このヘルプを表示して終了します。" in japanese["help"]
    assert "─ 引数 ─" in japanese["command"]
    assert "[必須]" in japanese["command"]
    assert (
        "ヘルプは 'python -m accord registry depart --help' で表示できます。"
        in (japanese["missing"])
    )
    assert "─ エラー ─" in japanese["missing"]
    assert "引数 'slug' がありません。" in japanese["missing"]
    assert "そのようなオプションはありません: --bogus" in japanese["bad option"]

    spanish = {name: _accord("es_ES.UTF-8", *args) for name, args in runs.items()}
    for name, shown in spanish.items():
        assert _english_in(shown) == [], (name, shown)
    assert "Uso: python -m accord registry depart [OPTIONS] {slug}" in spanish["command"]
    assert "─ Opciones ─" in spanish["command"]
    assert "─ Argumentos ─" in spanish["command"]
    assert "Mostrar este mensaje y salir." in spanish["command"]
    assert "[obligatorio]" in spanish["command"]
    assert "─ Comandos ─" in spanish["help"]
    assert "Falta el argumento 'slug'." in spanish["missing"]
    assert (
        "Pruebe 'python -m accord registry depart --help' para ver la ayuda."
        in (spanish["missing"])
    )
    assert "No existe la opción: --bogus" in spanish["bad option"]

    # English as Typer writes it.
    english = {name: _accord("C.UTF-8", *args) for name, args in runs.items()}
    assert "Usage: python -m accord [OPTIONS] COMMAND [ARGS]..." in english["help"]
    assert "─ Options ─" in english["help"]
    assert "Show this message and exit." in english["command"]
    assert "[required]" in english["command"]
    assert "Try 'python -m accord registry depart --help' for help." in english["missing"]
    assert "─ Error ─" in english["missing"]
    assert "Missing argument 'slug'." in english["missing"]
    assert "No such option: --bogus" in english["bad option"]


def _terminal(monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    for name in _LANGUAGE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)
    monkeypatch.setenv("COLUMNS", "300")


def _error(*args: str) -> str:
    """The panel of a usage error, its lines joined (rich draws the box)."""
    result = CliRunner().invoke(main.app, list(args))
    assert result.exit_code == 2, result.output
    return " ".join(line.strip("│ ") for line in result.output.splitlines())


# Each usage error our commands can show, and the sentence a Japanese terminal reads.
USAGE_ERRORS = [
    (("org", "create", "acme"), "オプション '--kind' がありません。次から選んでください:"),
    (("org", "create"), "引数 'name' がありません。"),
    (("registry", "depart", "x", "--confir", "x"), "候補: --config, --confirm"),
    (("registry", "dpart"), "コマンド 'dpart' はありません。'depart' のことですか?"),
    (("nothing",), "コマンド 'nothing' はありません。"),
    (("version", "extra"), "余分な引数があります(extra)"),
    (("registry", "depart", "x", "--confirm"), "オプション '--confirm' には値が必要です。"),
    (("registry", "depart", "x", "--left=1"), "オプション '--left' は値を取りません。"),
    (
        ("jobs", "list", "--limit", "many"),
        "'--limit' の値が正しくありません: 整数を入力してください",
    ),
    (
        ("jobs", "list", "--state", "lost"),
        "'--state' の値が正しくありません: 'lost' は 'queued', 'running', 'done', 'failed', "
        "'dead' のいずれでもありません。",
    ),
    (
        ("snapshot", "verify", "/nowhere/snapshot.zip"),
        "'file' の値が正しくありません: ファイル '/nowhere/snapshot.zip' は存在しません。",
    ),
    (("--bogus",), "そのようなオプションはありません: --bogus"),
    # A refusal of ours raised as Typer's BadParameter, its sentence marked N_.
    (
        ("registry", "check-securitytxt"),
        "値が正しくありません: 組織の SLUG を 1 つ指定するか、--all を付けてください",
    ),
]


@pytest.mark.parametrize(("args", "said"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_each_usage_error_is_said_in_the_terminals_language(
    args: tuple[str, ...], said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _terminal(monkeypatch, "ja_JP.UTF-8")
    shown = _error(*args)
    assert said in shown
    assert _english_in(shown) == [], shown
    _terminal(monkeypatch, "C.UTF-8")
    assert "Error" in _error(*args)  # and in English, Typer's own words


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)s|\{\w*\}", text))


@pytest.mark.parametrize("language", ["es", "ja"])
def test_typers_words_are_translated_with_their_placeholders(language: str) -> None:
    gettext = translations(language).gettext
    ids = [
        typer_words.USAGE,
        typer_words.HELP_OPTION,
        *typer_words.RICH.values(),
        *typer_words.ERRORS,
        *typer_words.REASONS,
    ]
    for message in ids:
        said = gettext(message)
        assert said != message or message == "Error", message  # «Error» is Spanish too
        assert _placeholders(said) == _placeholders(message), message
    markup = gettext(typer_words.RICH["RICH_HELP"])
    assert "[blue]" in markup
    assert "[/]" in markup


def test_english_keeps_typers_words_and_a_pattern_reads_them_back() -> None:
    english = translations("en").gettext
    for message in typer_words.ERRORS:
        assert english(message) == message
    # A pattern's values are whatever Typer wrote: quotes, option lists, newlines.
    missing = typer_words.recognized("Missing option '--kind'. Choose from:\n\ta,\n\tb")
    assert missing == (
        "Missing option %(name)s. Choose from:\n\t%(choices)s",
        {"name": "'--kind'", "choices": "a,\n\tb"},
    )
    assert typer_words.recognized("Missing option '--kind'.") == (
        "Missing option %(name)s.",
        {"name": "'--kind'"},
    )
    assert typer_words.recognized("A sentence Typer does not write.") is None
