"""What a person reads when a form comes back: the problem beside its field in plain words,
in the reader's language, without the field's internal name; and the home page's sentences."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from accord.identity.models import MemberRole
from accord.web.i18n import LANGUAGE_COOKIE
from tests.disclosure.world import World
from tests.factories import Factories, csrf_of, sign_in


def _beside(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert found, f"no problem shown beside {field}"
    return found.group(1)


def _send_profile(client: TestClient, slug: str, **typed: str) -> str:
    form = client.get(f"/orgs/{slug}/profile").text
    data = {"csrf_token": csrf_of(form), "description": "We make widgets.", **typed}
    sent = client.post(f"/orgs/{slug}/profile", data=data)
    assert sent.status_code == 422
    return sent.text


def test_a_problem_beside_its_field_does_not_name_the_field_and_reads_in_the_language(
    client: TestClient, make: Factories
) -> None:
    acme = make.org("Acme")
    make.member(admin := make.user("boss"), acme, MemberRole.ADMIN)
    sign_in(client, admin)
    typed = {"website": "widgets.example", "security_contact": "psirt at acme"}

    english = _send_profile(client, str(acme), **typed)
    assert _beside(english, "website") == (
        "Not a web address (https://...): it does not start with a scheme such as https://."
    )
    assert _beside(english, "security_contact") == (
        "Must be an email address, a mailto:, tel: or https:// URI"
    )
    assert "security_contact:" not in english
    assert 'value="psirt at acme"' in english  # what was typed is kept

    client.cookies.set(LANGUAGE_COOKIE, "ja")
    japanese = _send_profile(client, str(acme), **typed)
    assert _beside(japanese, "website") == (
        "ウェブアドレス(https://...)ではありません: https:// のようなスキームで始まっていません。"
    )
    assert "relative URL" not in japanese
    assert "メールアドレス" in _beside(japanese, "security_contact")
    assert "Input should be" not in japanese

    client.cookies.set(LANGUAGE_COOKIE, "es")
    spanish = _send_profile(client, str(acme), website="", security_contact="psirt at acme")
    assert _beside(spanish, "security_contact").startswith("Debe ser una dirección")


def test_a_report_missing_words_says_so_beside_the_field_in_plain_words(
    client: TestClient, make: Factories
) -> None:
    make.org("Acme")
    form = client.get("/disclosure/report").text
    typed = {
        "csrf_token": csrf_of(form),
        "title": "SQL injection in search",
        "product": "Widget Search",
        "description": "too short",
        "steps_to_reproduce": "1. search for '",
    }
    sent = client.post("/disclosure/report", data=typed)
    assert sent.status_code == 422
    assert _beside(sent.text, "steps_to_reproduce") == "Write at least 20 characters."
    assert "steps_to_reproduce:" not in sent.text
    assert "1. search for &#39;" in sent.text  # what was typed is kept


def test_the_home_page_keeps_a_space_between_its_sentences(client: TestClient) -> None:
    home = client.get("/").text
    text = re.sub(r"<[^>]+>", "", home)
    assert re.search(r"organizations? signed\.\s+See who signed", text), "sentences run together"


def test_a_vendor_chooses_why_it_is_not_affected_in_words_not_identifiers(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    case = world.open_case(client)
    sign_in(client, world.people["vendor_a"])
    client.cookies.set(LANGUAGE_COOKIE, "ja")
    page = client.get(f"/disclosure/cases/{case}").text
    option = re.search(r'<option value="component_not_present"[^>]*>([^<]*)</option>', page)
    assert option, "no VEX justification offered"
    assert option.group(1) == "コンポーネントが製品に含まれていない"
    client.cookies.set(LANGUAGE_COOKIE, "en")
    page = client.get(f"/disclosure/cases/{case}").text
    assert ">the vulnerable code is never run</option>" in page
    assert ">vulnerable_code_not_in_execute_path</option>" not in page


def test_a_triage_decision_refused_comes_back_with_the_input_kept_beside_its_field(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.report(client)
    sign_in(client, world.people["vendor_a"])
    case = client.get(f"/disclosure/cases/{world.public_id}").text
    typed = {
        "csrf_token": csrf_of(case),
        "action": "duplicate",
        "duplicate_of": "ACCORD-2026-9999",
        "reason": "Same as the older one",
    }
    sent = client.post(f"/disclosure/cases/{world.public_id}/triage", data=typed)
    assert sent.status_code == 404
    assert "ACCORD-2026-9999" in _beside(sent.text, "triage_duplicate_of")
    assert "Field: duplicate_of" not in sent.text  # the case page, not the error page
    assert 'value="ACCORD-2026-9999"' in sent.text
    assert "Same as the older one</textarea>" in sent.text
    assert '<option value="duplicate" selected>' in sent.text

    typed = {**typed, "action": "invalid", "duplicate_of": "", "reason": "x"}
    short = client.post(f"/disclosure/cases/{world.public_id}/triage", data=typed)
    assert short.status_code == 422
    assert not _beside(short.text, "triage_reason").startswith("reason:")
    assert ">x</textarea>" in short.text


def test_an_operator_reads_why_a_peers_address_is_refused_in_their_language(
    client: TestClient, make: Factories
) -> None:
    sign_in(client, make.user("operator", operator=True))
    client.cookies.set(LANGUAGE_COOKIE, "ja")
    page = client.get("/admin/sharing/federation").text
    typed = {"csrf_token": csrf_of(page), "name": "peer", "api_root": "peer.example/taxii2/"}
    sent = client.post("/admin/sharing/federation", data=typed)
    assert sent.status_code == 422
    said = _beside(sent.text, "api_root")
    assert "https://" in said
    assert "must be" not in said
    assert 'value="peer.example/taxii2/"' in sent.text


def test_a_mistyped_package_url_is_said_whole_in_the_readers_language(
    client: TestClient, make: Factories
) -> None:
    make.org("Acme")
    client.cookies.set(LANGUAGE_COOKIE, "ja")
    said = {}
    for purl in ("widget-dashboard", "pkg:pypi"):  # no pkg: at all; pkg: without a name
        form = client.get("/disclosure/report").text
        typed = {
            "csrf_token": csrf_of(form),
            "title": "SQL injection in search",
            "product": "Widget Search",
            "description": "The search box passes its words to SQL unchanged.",
            "steps_to_reproduce": "1. Search for a quote. 2. See the SQL error.",
            "purl": purl,
        }
        sent = client.post("/disclosure/report", data=typed)
        assert sent.status_code == 422
        said[purl] = _beside(sent.text, "purl")
        assert f'value="{purl}"' in sent.text  # what was typed is kept
    # No word of the library's English detail ("purl is missing the required ...").
    for sentence in said.values():
        assert not re.search(r"\b(purl is|missing|required|component)\b", sentence), sentence
    assert "pkg:pypi/requests@2.31.0" in said["widget-dashboard"]
    assert "パッケージ" in said["widget-dashboard"]
    assert "パッケージ" in said["pkg:pypi"]


def test_a_refused_user_name_is_told_the_rule_in_the_readers_language(
    client: TestClient, make: Factories
) -> None:
    sign_in(client, make.user("oper", operator=True))
    said = {}
    for language in ("en", "es", "ja"):
        client.cookies.set(LANGUAGE_COOKIE, language)
        page = client.get("/admin/users").text
        typed = {
            "username": "ab cd",
            "email": "ab@example.org",
            "password": "a long and unusual passphrase 42",
            "csrf_token": csrf_of(page),
        }
        sent = client.post("/admin/users", data=typed)
        assert sent.status_code == 422
        said[language] = _beside(sent.text, "username")
        assert 'value="ab cd"' in sent.text  # what was typed is kept
    # The rule itself, not "this is not in the expected form".
    assert said["en"] == "Use 3 to 64 letters, digits, dots, underscores or hyphens, without spaces"
    assert said["es"].startswith("Use de 3 a 64 letras")
    assert "3〜64 文字" in said["ja"]
