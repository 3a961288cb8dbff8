"""pydantic's English detail of a date, time, duration, URL or UUID it could not read
("input is too short", "relative URL without a base", "invalid group count: expected 5, found
4") is said by a sentence of the catalog with its values, in Spanish and Japanese; a detail
not listed falls back to the type's own sentence, never to English free text."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from pydantic import AnyUrl, BaseModel, HttpUrl, TypeAdapter, ValidationError

from accord.errors import invalid_from, say
from accord.i18n import translations
from accord.parse_details import DETAILED, detail_of, sentences
from accord.reasons import REASONS, Problem, problem_of
from tests.factories import Factories

JA = translations("ja").gettext
ES = translations("es").gettext

_MOMENTS = [
    "", "x", "2026", "2026-1", "2026-13-01", "2026-02-30", "2026/01/01", "2026-01-01T",
    "2026-01-01X10:00", "2026-01-01T25:00", "2026-01-01T10:61", "2026-01-01T10:00:61",
    "2026-01-01T10:00:00.", "2026-01-01T10:00:00+25:00", "2026-01-01T10:00:00+01:60",
    "2026-01-01T10:00:00*01:00", "2026-01-01T10:00:00+0x:00", "2026-01-01T10:00:00+01:0x",
    "2026-01-01T10:00:00Zjunk", "20x6-01-01", "2026-0x-01", "2026-01-0x", "2026-01-01T1x:00",
    "2026-01-01T10:x0", "2026-01-01T10:00:x0", "2026-01-01T10-00", "0000-01-01", "25:00",
    "10:60", "10:00:60", "P1X", "PTT", "P999999999999D", "-1", "1e3", "inf",
    1e20, -1e20, -1, float("nan"),
]  # fmt: skip
_UUIDS = [
    "", "x", "1234", "urn:uuid:x", "a8098c1a-f86e-11da-bd1a", "a-b-c-d-e",
    "a8098c1a-f86e-11da-bd1a-00112444be1ex", "a8098c1af86e11dabd1a00112444be1",
    "a8098c1a-f86e-11da-bd1a-00112444be1", "a8098c1a-f86e-11da-bd1a-00112444be1e-1",
    b"1234",
]  # fmt: skip
_URLS = [
    "", "x", "/relative", "http://", "http://exa mple.com", "http://[::1", "http://1.2.3.999/",
    "http://ex:99999", "http:\\\\ex.com", "file:x", "http://ex.com/%zz", " http://ex.com",
    "http://ex.com/<>", "http://u@p@ex.com", "file://host/C:/x",
]  # fmt: skip


_JSON_TEXTS = [
    '{"a":', '"abc', '{"a" 1}', '[1 2]', '{"a":1 "b"}', "x", "{a:1}", '"\\q"', '"\\ud800"',
    '"\x01"', "[1,]", "{} x", "[" * 300 + "]" * 300, "[", "{", "tx",
]  # fmt: skip


def test_every_json_error_pydantic_core_writes_has_a_sentence() -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(Any)
    found: dict[str, str] = {}
    for text in _JSON_TEXTS:
        with pytest.raises(ValidationError) as caught:
            adapter.validate_json(text)
        (error,) = caught.value.errors()
        assert error["type"] == "json_invalid"
        found[error["ctx"]["error"]] = text
    assert len(found) >= 10
    assert {detail for detail in found if detail_of(detail) is None} == set()
    said = problem_of(
        {
            "type": "json_invalid",
            "msg": "Invalid JSON",
            "ctx": {"error": next(d for d in found if d.startswith("trailing comma"))},
        }
    )
    assert said is not None
    assert said.translated(ES) == (
        "no es JSON válido: línea 1, columna 4: hay una coma justo antes del final de una "
        "lista o de un objeto"
    )
    # A JSON error not listed keeps pydantic's words, which name where it went wrong.
    kept = problem_of({"type": "json_invalid", "msg": "Invalid JSON: new at line 2 column 3",
                       "ctx": {"error": "new at line 2 column 3"}})  # fmt: skip
    assert kept is not None
    assert kept.translated(ES) == "no es JSON válido (new at line 2 column 3)"


def _details(kind: type, inputs: list[Any], **options: Any) -> dict[tuple[str, str], Any]:
    """Every (error type, detail) pydantic-core writes for ``inputs``, from Python and JSON."""
    adapter: TypeAdapter[Any] = TypeAdapter(kind)
    found: dict[tuple[str, str], Any] = {}
    for value in inputs:
        attempts = [lambda v=value: adapter.validate_python(v, **options)]
        if not isinstance(value, bytes):
            attempts.append(lambda v=value: adapter.validate_json(json.dumps(v), **options))
        for attempt in attempts:
            try:
                attempt()
            except ValidationError as exc:
                for error in exc.errors():
                    detail = (error.get("ctx") or {}).get("error")
                    if error["type"] in DETAILED and isinstance(detail, str):
                        found.setdefault((error["type"], detail), value)
    return found


@pytest.mark.parametrize(
    ("kind", "inputs", "options"),
    [
        (date, _MOMENTS, {}),
        (datetime, _MOMENTS, {}),
        (time, _MOMENTS, {}),
        (timedelta, _MOMENTS, {}),
        (UUID, _UUIDS, {}),
        (AnyUrl, _URLS, {}),
        (AnyUrl, _URLS, {"strict": True}),  # the url crate's syntax violations
        (HttpUrl, _URLS, {}),
    ],
    ids=["date", "datetime", "time", "timedelta", "uuid", "url", "strict-url", "http-url"],
)
def test_every_detail_pydantic_core_writes_has_a_sentence(
    kind: type, inputs: list[Any], options: dict[str, Any]
) -> None:
    found = _details(kind, inputs, **options)
    assert len(found) >= 4  # the inputs are refused, with details
    unknown = {key: value for key, value in found.items() if detail_of(key[1]) is None}
    assert unknown == {}, f"no sentence for pydantic-core's detail: {unknown}"


@pytest.mark.parametrize("sentence", sorted(set(sentences())))
@pytest.mark.parametrize("gettext", [ES, JA], ids=["es", "ja"])
def test_each_detail_is_translated_with_its_values(sentence: str, gettext: Any) -> None:
    translated = gettext(sentence)
    assert translated != sentence, "not translated"
    assert sorted(re.findall(r"%\((\w+)\)s", translated)) == sorted(
        re.findall(r"%\((\w+)\)s", sentence)
    )


@pytest.mark.parametrize("kind", sorted(DETAILED))
def test_each_detailed_type_has_its_plain_sentence_too(kind: str) -> None:
    assert kind in REASONS
    assert ES(DETAILED[kind]) != DETAILED[kind]
    assert JA(DETAILED[kind]) != DETAILED[kind]


def _problem(kind: type, value: object, **options: Any) -> Problem:
    try:
        TypeAdapter(kind).validate_python(value, **options)
    except ValidationError as exc:
        found = problem_of(exc.errors()[0])
        assert found is not None
        return found
    raise AssertionError(f"{value!r} was accepted")


def test_a_date_a_url_and_a_uuid_say_what_is_wrong_in_the_readers_language() -> None:
    month = _problem(date, "2026-13-01")
    # English: pydantic's words, as the API always answered them.
    assert str(month) == (
        "Input should be a valid date or datetime, month value is outside expected range of 1-12"
    )
    assert month.translated(ES) == "escriba una fecha (2026-12-31): el mes debe estar entre 1 y 12"
    assert (
        month.translated(JA) == "日付を入力してください(2026-12-31): 月は 1 から 12 にしてください"
    )
    relative = _problem(HttpUrl, "widgets.example")
    assert relative.translated(ES) == (
        "no es una dirección web (https://...): no empieza por un esquema como https://"
    )
    group = _problem(UUID, "a8098c1a-f86e-11da-bd1a-00112444be1")
    assert group.translated(ES) == (
        "no es un UUID: el grupo 5 del UUID debe tener 12 dígitos, no 11"
    )
    character = _problem(UUID, "urn:uuid:x")
    assert character.translated(JA) == (
        "UUID ではありません: 10 文字目の x は 16 進数の数字でもハイフンでもありません"
    )
    moment = _problem(date, "2026-01-01T10:00:00+25:00")
    assert "24 horas de UTC" in moment.translated(ES)
    duration = _problem(timedelta, "PTT")
    assert (
        duration.translated(JA)
        == "期間を入力してください(P3DT4H): 期間に T が 2 回以上現れています"
    )


def test_a_detail_not_listed_falls_back_to_the_types_sentence_not_english() -> None:
    error = {
        "type": "uuid_parsing",
        "msg": "Input should be a valid UUID, something new went wrong",
        "ctx": {"error": "something new went wrong"},
    }
    found = problem_of(error)
    assert found is not None
    assert found.translated(ES) == "no es un UUID"
    assert found.translated(JA) == "UUID ではありません"
    assert "something" not in found.translated(lambda text: text)
    assert str(found) == error["msg"]  # English keeps pydantic's words


class _Meeting(BaseModel):
    day: date


def test_a_refusal_through_the_hubs_edge_says_the_detail() -> None:
    with pytest.raises(ValidationError) as caught:
        _Meeting.model_validate({"day": "2026-02-30"})
    refused = invalid_from(caught.value)
    assert say(refused.message, ES, labels=False) == (
        "day: escriba una fecha (2026-12-31): ese mes no tiene ese día"
    )
    assert str(refused.message) == (
        "day: Input should be a valid date or datetime, day value is outside expected range"
    )


def test_the_api_and_the_form_say_the_web_address_problem(
    client: TestClient, make: Factories
) -> None:
    body = {
        "name": "Acme", "kind": "partner", "type": "ngo", "country": "FR",
        "website": "widgets.example", "security_contact": "psirt@acme.example",
    }  # fmt: skip
    headers = {**make.bearer(make.user(operator=True)), "Accept-Language": "es"}
    spanish = client.post("/api/v1/orgs", json=body, headers=headers)
    assert spanish.status_code == 422
    reason = next(e["reason"] for e in spanish.json()["errors"] if e["field"] == "website")
    assert (
        reason == "no es una dirección web (https://...): no empieza por un esquema como https://"
    )
    english = client.post("/api/v1/orgs", json=body, headers=make.bearer(make.user(operator=True)))
    said = next(e["reason"] for e in english.json()["errors"] if e["field"] == "website")
    assert "relative URL without a base" in said  # pydantic's words, as before
