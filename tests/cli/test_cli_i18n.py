"""The command line speaks the terminal's language beyond its refusals: the help of every
command and option, the demo's summary, the warninglists' states, a departure's line, the
line of an unexpected failure, and why an imported record lost a range."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.advisories import validation
from accord.cli import demo, help_texts, main, words
from accord.config import Settings
from accord.demo.services import Loaded
from accord.errors import say
from accord.i18n import translations
from tests.factories import Factories

_LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def _terminal(monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    for name in _LANGUAGE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)


def _help(lang: str, *args: str) -> str:
    """``accord ARGS --help`` as a person runs it, with the terminal's LANG."""
    env = {k: v for k, v in os.environ.items() if k not in _LANGUAGE_VARIABLES}
    shown = subprocess.run(
        [sys.executable, "-m", "accord", *args, "--help"],
        capture_output=True,
        text=True,
        env={**env, "LANG": lang, "COLUMNS": "200"},
        timeout=60,
        check=True,
    )
    return shown.stdout


def test_the_help_is_in_the_terminals_language_and_english_by_default() -> None:
    english = _help("C.UTF-8")
    assert "Accord: the Cybersecurity Tech Accord as a self-hostable hub." in english
    assert "The registry: signatories and checks." in english
    japanese = _help("ja_JP.UTF-8")
    assert "Accord: Cybersecurity Tech Accord を自分で運用できるハブにしたもの。" in japanese
    assert "名簿: 署名組織とそのチェック。" in japanese
    assert "バージョンを表示します。" in japanese  # a command that is a plain function
    assert "The registry: signatories and checks." not in japanese
    # A group's commands, and a command's own help, arguments and options.
    group = _help("ja_JP.UTF-8", "registry")
    assert "security.txt ファイル(RFC 9116)を取得・確認し、結果を保存します。" in group
    depart = _help("es_MX.UTF-8", "registry", "depart")
    assert "Registrar la salida de un firmante" in depart
    assert "El firmante que se va o al que se retira." in depart  # an argument
    assert "Por qué (público; obligatorio para una retirada)." in depart  # an option
    assert "Un fichero de ajustes ACCORD_*." in depart
    assert "Why (public; required for a removal)." not in depart


def _help_texts(command: Any) -> Iterator[str]:
    yield from (t for t in (command.help, command.short_help) if t)
    yield from (p.help for p in command.params if getattr(p, "help", None))
    for sub in getattr(command, "commands", {}).values():
        yield from _help_texts(sub)


@pytest.mark.parametrize("language", ["es", "ja"])
def test_every_help_text_of_every_command_has_a_translation(
    language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _terminal(monkeypatch, "C.UTF-8")  # the commands as written, in English
    gettext = translations(language).gettext
    texts = {help_texts.source(t) for name in main.COMMANDS for t in _help_texts(main.load(name))}
    assert len(texts) > 150  # every command module's, not an empty walk
    untranslated = sorted(t for t in texts if gettext(t) == t)
    assert untranslated == [], "run the steps in docs/i18n.md, then translate these"


def test_a_help_text_is_found_however_its_docstring_is_wrapped() -> None:
    assert help_texts.source("  Load lists, each\n    replacing the list.\n\n  Then more.\n") == (
        "Load lists, each replacing the list.\n\nThen more."
    )


def _loaded(advisories: int) -> Loaded:
    return Loaded(
        organizations=["Acme (fictional)"],
        advisories=advisories,
        cases={"published": "ACCORD-2026-0001", "spam": "r-1"},
        objects=4,
        report="acme 2026-Q1",
    )


def test_the_demos_summary_is_in_the_terminals_language_with_its_plurals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _terminal(monkeypatch, "C.UTF-8")
    english = demo.summary(_loaded(1))
    assert english[0] == "Loaded the example hub (fictional organizations; every one says so):"
    assert "  advisories: 1 PyPA record (" in english[2]
    assert "  advisories: 5 PyPA records (" in demo.summary(_loaded(5))[2]
    assert "  case published: ACCORD-2026-0001" in english
    _terminal(monkeypatch, "es_ES.UTF-8")
    spanish = demo.summary(_loaded(5))
    assert spanish[0].startswith("Se cargó la plataforma de ejemplo")
    assert "  avisos: 5 registros de PyPA (" in spanish[2]
    assert "  avisos: 1 registro de PyPA (" in demo.summary(_loaded(1))[2]
    assert "  caso publicado: ACCORD-2026-0001" in spanish
    assert "  caso marcado como spam: r-1" in spanish
    _terminal(monkeypatch, "ja_JP.UTF-8")
    japanese = demo.summary(_loaded(5))
    assert japanese[1] == "  組織: Acme (fictional)"
    assert "  公開済みの案件: ACCORD-2026-0001" in japanese
    assert "  共有オブジェクト: 4 件(各 TLP レベルに 1 件ずつ)" in japanese
    assert "  進捗報告: acme 2026-Q1" in japanese
    # The records' source, stored in English, is said in the reader's language.
    assert "(PyPA Advisory Database(CC-BY-4.0)、accord demo に同梱)" in japanese[2]
    assert "(PyPA Advisory Database (CC-BY-4.0), incluida en accord demo)" in spanish[2]
    assert english[2].endswith("(PyPA Advisory Database (CC-BY-4.0), bundled with accord demo)")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main.app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_the_warninglists_states_are_in_the_terminals_language(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _terminal(monkeypatch, "C.UTF-8")
    assert _run("sharing", "warninglists", "disable", _TLDS)[0] == 0
    code, english, err = _run("sharing", "warninglists", "list")
    assert code == 0, err
    rows = {line.split("\t")[0]: line.split("\t") for line in english.splitlines()}
    assert rows[_TLDS][3:] == ["off", "default"]
    _terminal(monkeypatch, "ja_JP.UTF-8")
    japanese = {line.split("\t")[0]: line.split("\t") for line in _run(*_LIST)[1].splitlines()}
    assert japanese[_TLDS][3:] == ["オフ", "既定"]
    assert japanese[_TLDS][:3] == rows[_TLDS][:3]  # name, type and count are data
    assert {row[3] for row in japanese.values()} == {"オン", "オフ"}
    _terminal(monkeypatch, "es_ES.UTF-8")
    spanish = {line.split("\t")[0]: line.split("\t") for line in _run(*_LIST)[1].splitlines()}
    assert spanish[_TLDS][3:] == ["desactivada", "predeterminada"]


_LIST = ("sharing", "warninglists", "list")
_TLDS = "TLDs as known by IANA"  # a list shipped with the hub


def test_a_departure_is_said_in_the_terminals_language(
    cli_env: Settings, make: Factories, monkeypatch: pytest.MonkeyPatch
) -> None:
    goes, leaves = make.org("Goes"), make.org("Leaves")
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    _terminal(monkeypatch, "ja_JP.UTF-8")
    code, out, err = _run("registry", "depart", goes, "--confirm", goes, "--reason", "broke it")
    assert code == 0, err
    assert out.startswith(f"{goes}: ")
    assert out.strip().endswith("Asia/Tokyo に除名")
    _terminal(monkeypatch, "es_ES.UTF-8")
    code, out, err = _run("registry", "depart", leaves, "--left", "--confirm", leaves)
    assert code == 0, err
    assert out.startswith(f"{leaves}: se fue el ")


def _failing(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int | str | None]:
    def fails(**_: object) -> None:
        raise RecursionError("maximum recursion depth exceeded\nwhile decoding")

    monkeypatch.setattr(main, "app", fails)
    monkeypatch.delenv("ACCORD_DEBUG", raising=False)

    def run() -> int | str | None:
        with pytest.raises(SystemExit) as exited:
            main.run()
        return exited.value.code

    return run


def test_an_unexpected_failure_is_said_in_the_terminals_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _failing(monkeypatch)
    _terminal(monkeypatch, "ja_JP.UTF-8")
    assert run() == 2
    assert capsys.readouterr().err.strip() == (
        "エラー: 完了できませんでした(RecursionError: maximum recursion depth exceeded)。"
        "ACCORD_DEBUG=1 でトレースバックを表示します"
    )
    _terminal(monkeypatch, "es_ES.UTF-8")
    assert run() == 2
    assert capsys.readouterr().err.strip().startswith("error: no se pudo completar (Recursion")


def _short_commit_record() -> dict[str, Any]:
    return {
        "id": "PYSEC-0000-1",
        "modified": "2026-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "example"},
                "ranges": [
                    {
                        "type": "GIT",
                        "repo": "https://example.test/repo",
                        "events": [{"introduced": "0"}, {"fixed": "195caac.patch"}],
                    },
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]},
                ],
            }
        ],
    }


def test_a_dropped_ranges_reason_is_said_in_the_readers_language() -> None:
    _, (drop,) = validation.salvage(_short_commit_record())
    # English as jsonschema wrote it, as the importer always printed it.
    assert str(drop.reason) == (
        "affected[0].ranges[0].events[1].fixed: '195caac.patch' does not match "
        "'^(0|[a-f0-9]{40}|[a-f0-9]{64})$' (GIT ranges must use full-length commit hashes)"
    )
    japanese = say(drop.reason, translations("ja").gettext, labels=False)
    assert japanese == (
        'affected[0].ranges[0].events[1].fixed: "195caac.patch" はパターン '
        '"^(0|[a-f0-9]{40}|[a-f0-9]{64})$" に一致しません'
        "(GIT の範囲には完全な長さのコミットハッシュを使う必要があります)"
    )
    spanish = say(drop.reason, translations("es").gettext, labels=False)
    assert "no coincide con el patrón" in spanish
    assert "los rangos GIT deben usar hashes de commit completos" in spanish


def test_a_rejected_records_reason_keeps_its_values_in_the_readers_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reason = validation.problem({"id": "PYSEC-0000-2", "modified": "2026-01-01T00:00:00Z", "x": 1})
    assert reason == "record: Additional properties are not allowed ('x' was unexpected)"
    _terminal(monkeypatch, "ja_JP.UTF-8")
    assert words.problem(reason) == 'record: ここでは許されないプロパティがあります: ["x"]'
