"""pydantic's own refusals ("Field required", "Input should be a valid integer") said in the
reader's language by their error type, the machine fields kept; and a "field: reason"
sentence naming its field by its plain, translated label where a person reads it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, ValidationError

from accord.errors import InvalidInput, at_field, invalid_from, say
from accord.field_labels import labelled
from accord.i18n import translations
from accord.web import i18n
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
