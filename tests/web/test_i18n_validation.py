"""pydantic's own refusals ("Field required", "Input should be a valid integer") said in the
reader's language by their error type, the machine fields kept; and a "field: reason"
sentence naming its field by its plain, translated label where a person reads it."""

from __future__ import annotations

import re
from typing import Literal

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, HttpUrl, ValidationError

from accord.errors import InvalidInput, at_field, invalid_from, say
from accord.field_labels import labelled
from accord.i18n import Viewer, translations
from accord.reasons import problem_of
from accord.registry.pages import product_lines
from accord.transparency.monitor import VerificationFailed, parse_bundle
from accord.web import i18n, labels
from accord.web.forms import field_errors
from tests.disclosure.test_case_forms import Forms
from tests.factories import Factories, csrf_of, sign_in

JA = translations("ja").gettext
ES = translations("es").gettext


def _org(client: TestClient, make: Factories, body: dict[str, object], language: str | None):
    headers = make.bearer(make.user(operator=True))
    if language is not None:
        headers["Accept-Language"] = language
    return client.post("/api/v1/orgs", json=body, headers=headers)


def test_the_api_says_pydantics_refusals_in_accept_language(
    client: TestClient, make: Factories
) -> None:
    body = {"name": "Acme", "kind": "partner", "type": "ngo", "country": "FR"}
    japanese = _org(client, make, body, "ja")
    assert japanese.status_code == 422
    said = japanese.json()
    assert said["error"] == "invalid"
    field = said["field"]  # the machine field as sent: the code's name
    assert re.fullmatch(r"[a-z_]+", field)
    assert said["message"] == f"{field}: この項目は必須です"
    assert all(e["reason"] == "この項目は必須です" for e in said["errors"])
    assert [e["field"] for e in said["errors"]] == [
        e["field"] for e in _org(client, make, body, None).json()["errors"]
    ]
    assert japanese.headers["content-language"] == "ja"
    # English: pydantic's words, as before.
    english = _org(client, make, body, None).json()
    assert english["message"] == f"{field}: Field required"
    spanish = _org(client, make, {**body, "name": "x" * 500}, "es").json()
    long_name = next(e for e in spanish["errors"] if e["field"] == "name")
    assert re.fullmatch(r"escriba como máximo \d+ caracteres", long_name["reason"])


class _Numbers(BaseModel):
    count: int = Field(gt=3)
    kind: str = Field(pattern="^(a|b)$")


def test_each_pydantic_type_is_said_with_its_numbers() -> None:
    with pytest.raises(ValidationError) as small:
        _Numbers.model_validate({"count": 2, "kind": "c"})
    refused = invalid_from(small.value)
    assert str(refused) == "count: Input should be greater than 3"  # English, as pydantic
    assert say(refused.message, JA, labels=False) == "count: 3 より大きくしてください"
    # A person reads the field's label, in their language.
    assert say(refused.message, ES) == "Número: debe ser mayor que 3"
    with pytest.raises(ValidationError) as words:
        _Numbers.model_validate({"count": "many", "kind": "a"})
    assert say(invalid_from(words.value).message, JA) == "数: 整数を入力してください"


def test_a_form_says_pydantics_refusal_beside_its_field_in_the_viewers_language(
    client: TestClient, make: Factories
) -> None:
    sign_in(client, make.user("tina"))
    client.cookies.set(i18n.LANGUAGE_COOKIE, "ja")
    page = client.get("/account")
    sent = client.post(
        "/account/tokens",
        data={"name": "laptop", "scope": "read", "expires_in_days": "0",
              "csrf_token": csrf_of(page.text)},
    )  # fmt: skip
    assert sent.status_code == 422
    error = Forms(sent.text).find("/account/tokens").errors["expires_in_days"]
    assert error == "1 以上にしてください"  # "greater_than_equal", no validator of ours
    assert "Input should" not in sent.text


def test_a_field_is_named_by_its_label_where_a_person_reads_it() -> None:
    assert labelled("security_contact: not an email address", ES).startswith(
        "Contacto de seguridad: "
    )
    assert labelled("steps_to_reproduce: too long", JA).startswith("再現手順: ")
    assert labelled("closed: not valid", JA) == "closed: not valid"  # not a field's name
    refused = InvalidInput(at_field("website", "not a web address"), field="website")
    assert say(refused.message, ES).startswith("Sitio web: ")
    assert say(refused.message, ES, labels=False).startswith("website: ")  # the API's


def test_an_error_page_names_the_field_by_its_label(client: TestClient, make: Factories) -> None:
    operator = make.user("oper", operator=True)
    sign_in(client, operator)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "es")
    page = client.get("/accord")
    sent = client.post(
        "/admin/accord/versions/1/translations",
        data={"language": "ja", "title": "", "text": "x", "csrf_token": csrf_of(page.text)},
    )
    assert sent.status_code == 422
    assert "Título: una traducción necesita su título" in sent.text
    assert "title: una traducción" not in sent.text


class _Choices(BaseModel):
    tlp: Literal["clear", "green"]
    slug: str = Field(pattern="^[a-z]+$")
    link: HttpUrl


def test_a_forms_problem_keeps_the_choices_and_the_form_pydantic_gave() -> None:
    with pytest.raises(ValidationError) as caught:
        _Choices.model_validate({"tlp": "red", "slug": "A!", "link": "ftp://x.example"})
    errors = field_errors(caught.value)
    japanese = {"viewer": Viewer(language="ja")}
    assert labels.problem(japanese, errors["tlp"], "tlp") == (
        "次のいずれかを選んでください: 'clear', 'green'。"
    )
    assert labels.problem(japanese, errors["slug"], "slug") == (
        "期待される形式ではありません(^[a-z]+$)。"
    )
    assert labels.problem(japanese, errors["link"], "link") == (
        "アドレスは次のいずれかで始めてください: 'http', 'https'。"
    )
    spanish = {"viewer": Viewer(language="es")}
    assert "'clear', 'green'" in labels.problem(spanish, errors["tlp"], "tlp")


def test_the_api_keeps_the_schemes_a_web_address_may_start_with(
    client: TestClient, make: Factories
) -> None:
    body = {"name": "Acme", "kind": "partner", "type": "ngo", "country": "FR",
            "website": "ftp://acme.example"}  # fmt: skip
    said = _org(client, make, body, "ja").json()["errors"]
    website = next(e for e in said if e["field"] == "website")
    # pydantic's words through our validator: its type and values kept, not its English
    assert website["reason"] == "アドレスは次のいずれかで始めてください: 'http', 'https'"
    english = _org(client, make, body, None).json()["errors"]
    assert next(e for e in english if e["field"] == "website")["reason"] == (
        "Value error, URL scheme should be 'http' or 'https'"
    )


def test_a_product_lines_refusal_names_its_field_and_bound_in_the_readers_language() -> None:
    with pytest.raises(InvalidInput) as caught:
        product_lines("pkg:pypi/example " + "n" * 201)
    message = caught.value.message
    assert str(message) == "line 1: name: String should have at most 200 characters"
    # the field named by its label, as the products page shows it
    assert say(message, JA) == "1 行目: 名前: 200 文字以内で入力してください"
    assert say(message, ES).endswith(": escriba como máximo 200 caracteres")


def test_a_log_bundles_problem_and_a_json_error_keep_their_detail() -> None:
    with pytest.raises(VerificationFailed) as caught:
        parse_bundle("{}")
    said = say(caught.value.message, JA, labels=False)
    assert said.startswith("ログのバンドルではありません: ")
    assert said.endswith(": この項目は必須です")
    with pytest.raises(ValidationError) as broken:
        _Numbers.model_validate_json('{"count": ')
    (error,) = broken.value.errors()
    assert error["type"] == "json_invalid"
    problem = problem_of(error)
    assert problem is not None
    assert problem.translated(JA) == (
        "有効な JSON ではありません: 1 行 10 列目: 値があるべきところでテキストが終わっています"
    )
