"""A domain's refusal in the reader's language: on a page (the viewer's language), in the
API (its Accept-Language; English by default, as before), on the command line (the
terminal's), with the values it carries (names, moments) kept and moments written for people
on pages only."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from accord import limits
from accord.cli import words
from accord.errors import N_, InvalidInput, Message, detail_in, say
from accord.i18n import Viewer, format_when, translations
from accord.sharing import ingest, misp, patterns, warninglists
from accord.sharing.stix_validation import StixInvalid, parse_timestamp
from accord.web import i18n
from tests.disclosure.test_case_forms import Forms
from tests.disclosure.world import World
from tests.factories import Factories, sign_in

SPANISH_EMBARGO = "el caso está bajo embargo hasta"
JAPANESE_EMBARGO = "までエンバーゴ中です"


def _held(client: TestClient, make: Factories) -> tuple[World, str]:
    """A case under an agreed embargo that vendor A (affected) would publish early."""
    world = World.build(make)
    world.open_case(client)
    world.state(client, "vendor-a", "affected")
    return world, world.agreed_embargo(client)


def _publish(client: TestClient, world: World, **headers: str) -> Any:
    return client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/publish",
        json={},
        headers={**world.headers("vendor_a"), **headers},
    )


def test_the_api_says_a_refusal_in_the_language_of_accept_language(
    client: TestClient, make: Factories
) -> None:
    world, moment = _held(client, make)
    stamp = datetime.fromisoformat(moment.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%SZ")
    english = _publish(client, world)
    assert english.status_code == 409
    assert english.json()["message"].startswith(f"the case is under embargo until {stamp};")
    assert english.headers["content-language"] == "en"
    spanish = _publish(client, world, **{"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert spanish.status_code == 409
    body = spanish.json()
    assert body["error"] == "embargo_active"  # codes and fields stay as they are
    assert body["field"] == "embargo_at"
    assert body["message"].startswith(f"{SPANISH_EMBARGO} {stamp}; aún no han aceptado")
    assert "Vendor A" in body["message"]  # the values, untranslated
    assert spanish.headers["content-language"] == "es"
    japanese = _publish(client, world, **{"Accept-Language": "ja"})
    assert japanese.json()["message"].startswith(f"この案件は {stamp} {JAPANESE_EMBARGO}")
    assert japanese.headers["content-language"] == "ja"
    # A language the hub does not speak: English, as without the header.
    german = _publish(client, world, **{"Accept-Language": "de-DE"})
    assert german.json()["message"] == english.json()["message"]
    assert german.headers["content-language"] == "en"


def test_a_page_shows_a_refusal_beside_its_field_in_the_viewers_language(
    client: TestClient, make: Factories
) -> None:
    world, moment = _held(client, make)
    sign_in(client, world.people["vendor_a"])
    written = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    for language, sentence in (("es", SPANISH_EMBARGO), ("ja", JAPANESE_EMBARGO)):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        page = client.get(f"/disclosure/cases/{world.case_id}")
        form = Forms(page.text).find("/publish")
        sent = {**form.fields, "summary": "SQL injection in search", "cwe_ids": "CWE-89"}
        response = client.post(form.action, data=sent)
        assert response.status_code == 409
        error = Forms(response.text).find("/publish").errors["embargo_at"]
        assert sentence in error, error
        assert "under embargo" not in error
        # The moment as the viewer reads moments, not the record's RFC 3339 stamp.
        assert format_when(written, Viewer(language=language)) in error
        assert "Vendor A" in error
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = client.get(f"/disclosure/cases/{world.case_id}")
    form = Forms(page.text).find("/publish")
    response = client.post(form.action, data={**form.fields, "summary": "x", "cwe_ids": ""})
    assert (
        "the case is under embargo until"
        in Forms(response.text).find("/publish").errors["embargo_at"]
    )


@pytest.mark.parametrize(
    ("language", "said"),
    [("es", "no hay ningún caso ACCORD-NOPE"), ("ja", "案件 ACCORD-NOPE はありません")],
)
def test_an_error_page_says_the_refusal_in_the_viewers_language(
    client: TestClient, make: Factories, language: str, said: str
) -> None:
    world = World.build(make)
    sign_in(client, world.people["coordinator"])
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    page = client.get("/disclosure/cases/ACCORD-NOPE")
    assert page.status_code == 404
    assert said in page.text
    assert "no case ACCORD-NOPE" not in page.text
    api = client.get(
        "/api/v1/disclosure/cases/ACCORD-NOPE",
        headers={**world.headers("coordinator"), "Accept-Language": language},
    )
    assert api.json()["message"] == said


def test_the_command_line_says_a_refusal_in_the_terminals_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refusal = Message(N_("only %(name)s or a coordinator may answer for it"), name="Acme")
    monkeypatch.setenv("LANG", "es_MX.UTF-8")
    assert words.problem(refusal) == "solo Acme o un coordinador puede responder por él"
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    assert words.problem(refusal) == "これに回答できるのは Acme かコーディネーターだけです"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert words.problem(refusal) == "only Acme or a coordinator may answer for it"


def test_a_misp_events_problems_name_their_items_in_the_readers_language() -> None:
    event = {
        "Event": {
            "uuid": "5c5b3a3e-1111-4c4c-8a8a-000000000001",
            "info": "x",
            "Attribute": [{"type": "ip-dst", "value": "not-an-ip"}, {"value": "1.2.3.4"}],
            "Object": [{"Attribute": []}],
        }
    }
    with pytest.raises(misp.MispInvalid) as refused:
        misp.convert(event, now=datetime(2026, 12, 6))
    english = str(refused.value.message)
    assert english.startswith("nothing was imported: attribute 1 (ip-dst): 'not-an-ip'")
    assert "attribute 2: type is missing" in english
    spanish = say(refused.value.message, translations("es").gettext)
    assert spanish.startswith("no se importó nada: atributo 1 (ip-dst): 'not-an-ip' no es un ")
    assert "atributo 2: falta el tipo" in spanish
    assert "objeto 1: un objeto necesita un nombre" in spanish
    japanese = [say(p, translations("ja").gettext) for p in refused.value.problems]
    assert "属性 2: 種類がありません" in japanese
    assert "オブジェクト 1: オブジェクトには名前が必要です" in japanese


CVSS_SAID = {
    "es": "no es un vector CVSS: empieza por CVSS:3.1/ o CVSS:4.0/",
    "ja": "CVSS ベクターではありません。CVSS:3.1/ または CVSS:4.0/ で始まります",
}


def test_a_validators_refusal_is_said_in_the_readers_language_on_a_form_and_in_the_api(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    sign_in(client, world.people["coordinator"])
    path = f"/api/v1/disclosure/cases/{world.case_id}/vulnerabilities"
    for language, said in CVSS_SAID.items():
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        form = Forms(client.get(f"/disclosure/cases/{world.case_id}").text).find("/vulnerabilities")
        sent = {**form.fields, "summary": "x", "cvss_vector": "CVSS:2.0/AV:N"}
        refused = client.post(form.action, data=sent)
        assert refused.status_code == 422
        error = Forms(refused.text).find("/vulnerabilities").errors["vulnerability-new-cvss_vector"]
        assert said in error, error
        assert "Value error" not in error
        api = client.post(
            path,
            json={"summary": "x", "cvss_vector": "CVSS:2.0/AV:N"},
            headers={**world.headers("coordinator"), "Accept-Language": language},
        )
        assert api.status_code == 422
        body = api.json()
        assert (body["error"], body["field"]) == ("invalid", "cvss_vector")
        assert body["message"] == f"cvss_vector: {said}"
        assert api.headers["content-language"] == language
    english = client.post(
        path,
        json={"summary": "x", "cvss_vector": "CVSS:2.0/AV:N"},
        headers=world.headers("coordinator"),
    )
    assert english.json()["message"] == (
        "cvss_vector: Value error, not a CVSS vector: it starts with CVSS:3.1/ or CVSS:4.0/"
    )


def test_a_whole_models_refusal_names_its_field_and_is_said_in_japanese(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    answered = client.put(
        f"/api/v1/disclosure/cases/{world.case_id}/vulnerabilities/1/vendors/vendor-a/status",
        json={"product": "P", "status": "not_affected"},
        headers={**world.headers("vendor_a"), "Accept-Language": "ja"},
    )
    assert answered.status_code == 422
    body = answered.json()
    assert body["field"] == "justification"
    assert body["message"] == "justification: 「影響なし」には VEX の根拠が必要です"


MALWARE = "malware--4b7f5e0a-8a1d-4c3e-9a57-7d2b3c1e5f60"


def test_a_stix_objects_problem_is_said_in_japanese_and_stays_english_on_the_wire() -> None:
    objects = [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--nope"},
        {"type": "malware", "spec_version": "2.0", "id": MALWARE},
        {"type": "malware", "spec_version": "2.1"},
    ]
    failures = [o for o in ingest.check_objects(objects) if isinstance(o, dict)]
    # TAXII's status keeps the English sentence, a plain string in its JSON.
    assert failures[0]["message"] == "id: must be an identifier: <type>--<RFC 4122 UUID>"
    assert json.loads(json.dumps(failures))[1]["message"].startswith("spec_version: must be")
    with pytest.raises(misp.MispInvalid) as refused:
        misp.store_all(cast(Any, None), collection=cast(Any, None), producer_org_id=1,
                       objects=objects, now=datetime(2026, 12, 6))  # fmt: skip
    gettext = translations("ja").gettext
    said = [say(problem, gettext) for problem in refused.value.problems]
    assert said == [
        "indicator--nope: id: 識別子である必要があります: <種類>--<RFC 4122 UUID>",
        f'{MALWARE}: spec_version: "2.1" である必要があります'
        "(このハブが保存する唯一のバージョンです)",
        "あるオブジェクト: id: 識別子である必要があります: <種類>--<RFC 4122 UUID>",
    ]
    assert str(refused.value.problems[0]) == f"indicator--nope: {failures[0]['message']}"
    with pytest.raises(StixInvalid) as unreal:  # a reason with a value
        parse_timestamp("2026-02-30T00:00:00Z", "created")
    assert str(unreal.value).startswith("created: is not a real date and time (day is out")
    assert say(unreal.value.said, gettext).startswith("created: 実在する日時ではありません(day is")


def test_a_bound_passed_is_said_with_its_number_in_the_readers_language() -> None:
    with pytest.raises(limits.TooLarge) as big:
        limits.check_size(4096, 2048, what="value")
    assert big.value.message == "value: larger than 2 KiB"  # the API's English, as before
    assert say(big.value.message, translations("ja").gettext).endswith(": 2 KiB を超えています")
    assert say(big.value.message, translations("es").gettext).endswith(": mayor que 2 KiB")
    long = "[" + "ipv4-addr:value = '1.2.3.4'" * 700 + "]"
    checked = patterns.check(long)
    assert checked.errors[0].startswith("the pattern is longer than 16,384 characters")
    said = say(checked.errors[0], translations("ja").gettext)
    assert said == "パターンは 16,384 文字を超えています"


def test_a_warninglists_problems_are_listed_in_the_readers_language() -> None:
    document = {"name": "Resolvers", "type": "cidr", "list": ["10.0.0.0/8", "nope", ""]}
    with pytest.raises(InvalidInput) as refused:
        warninglists.parse(document, source="lists.json")
    assert refused.value.message == (
        "lists.json (Resolvers): list[1]: 'nope' is not an address or CIDR range; "
        "list[2]: an empty entry"
    )
    assert say(refused.value.message, translations("es").gettext) == (
        "lists.json (Resolvers): list[1]: 'nope' no es una dirección ni un rango CIDR; "
        "list[2]: una entrada vacía"
    )
    assert say(refused.value.message, translations("ja").gettext) == (
        "lists.json (Resolvers): list[1]: 'nope' はアドレスでも CIDR 範囲でもありません; "
        "list[2]: 空のエントリーです"
    )


def test_a_models_check_that_names_its_field_is_said_after_the_field() -> None:
    japanese = translations("ja").gettext
    said = detail_in("justification: not affected needs a VEX justification", japanese)
    assert said == "justification: 「影響なし」には VEX の根拠が必要です"
    # A sentence and its technical detail: the detail as written.
    said = detail_in("not a valid CVSS vector: AV:Q is not a metric", japanese)
    assert said == "有効な CVSS ベクターではありません: AV:Q is not a metric"
