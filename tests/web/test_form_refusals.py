"""Forms that used to end on the generic error page come back with the reason beside the
field and what was typed kept: a second factor's new name, the single sign-on forms, the
log's "verify a document", the operator role and a new account."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.db import unit_of_work
from accord.identity.models import MemberRole, SecondFactor, User
from tests.disclosure.test_case_forms import Forms
from tests.disclosure.world import REPORT, World
from tests.factories import Factories, csrf_of, sign_in
from tests.registry.helpers import application_body


def _error(page: str, element_id: str) -> str:
    found = re.search(rf'id="{re.escape(element_id)}">([^<]+)<', page)
    assert found is not None, f"no #{element_id} on the page"
    return html.unescape(found.group(1))


def _generic(page: str) -> bool:
    return "<p>Field:" in page or ">That did not work<" in page


def test_a_second_factor_name_refused_is_said_beside_it_with_the_name_kept(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    person = make.user("ada")
    make.totp(person)
    make.session(client, person)
    with unit_of_work(session_factory) as db:
        factor_id = db.scalar(select(SecondFactor.id))
    token = csrf_of(client.get("/account/security").text)
    too_long = "my old phone " * 10
    refused = client.post(
        f"/account/factors/{factor_id}/rename", data={"name": too_long, "csrf_token": token}
    )
    assert refused.status_code == 422
    assert not _generic(refused.text)
    assert "between 1 and 100 characters" in _error(refused.text, f"factor-{factor_id}-name-error")
    assert f'value="{too_long}"' in refused.text
    blank = client.post(
        f"/account/factors/{factor_id}/rename", data={"name": "  ", "csrf_token": token}
    )
    assert blank.status_code == 422
    assert _error(blank.text, f"factor-{factor_id}-name-error")
    with unit_of_work(session_factory) as db:
        assert db.scalar(select(SecondFactor.name)) == "phone"
    # In Spanish, the reason in Spanish.
    spanish = client.post(
        f"/account/factors/{factor_id}/rename",
        data={"name": too_long, "csrf_token": token},
        headers={"Accept-Language": "es"},
    )
    assert "characters" not in _error(spanish.text, f"factor-{factor_id}-name-error")


def test_the_single_sign_on_forms_say_each_problem_beside_its_field(
    client: TestClient, make: Factories
) -> None:
    slug = make.org("Acme")
    admin = make.user("acme-admin")
    make.member(admin, slug, MemberRole.ADMIN)
    make.session(client, admin)
    token = csrf_of(client.get(f"/orgs/{slug}/sso").text)
    sent = {
        "issuer": "",
        "client_id": "hub-client",
        "allowed_domains": "acme.example",
        "csrf_token": token,
    }
    refused = client.post(f"/orgs/{slug}/sso", data=sent)
    assert refused.status_code == 422
    assert not _generic(refused.text)
    assert _error(refused.text, "issuer-error")
    assert 'value="hub-client"' in refused.text
    assert 'value="acme.example"' in refused.text
    long_id = client.post(
        f"/orgs/{slug}/sso",
        data={**sent, "issuer": "https://login.acme.example", "client_id": "c" * 300},
    )
    assert long_id.status_code == 422
    assert _error(long_id.text, "client_id-error")
    assert 'value="https://login.acme.example"' in long_id.text


def test_the_hubs_single_sign_on_form_too(client: TestClient, make: Factories) -> None:
    make.session(client, make.user("oper", operator=True))
    token = csrf_of(client.get("/admin/sso").text)
    refused = client.post(
        "/admin/sso",
        data={"issuer": "https://login.example", "client_id": "", "csrf_token": token},
    )
    assert refused.status_code == 422
    assert not _generic(refused.text)
    assert _error(refused.text, "client_id-error")
    assert 'value="https://login.example"' in refused.text


def test_verify_a_document_keeps_what_was_pasted_and_says_the_problem_beside_it(
    client: TestClient,
) -> None:
    token = csrf_of(client.get("/log").text)
    empty = client.post("/log/verify", data={"text": "   ", "csrf_token": token})
    assert empty.status_code == 422
    assert "Choose a file or paste" in _error(empty.text, "text-error")
    pasted = '{"kept": "' + "x" * 1_000_000 + '"}'
    too_long = client.post("/log/verify", data={"text": pasted, "csrf_token": token})
    assert too_long.status_code == 422
    assert not _generic(too_long.text)
    assert "upload the document as a file" in _error(too_long.text, "text-error")
    assert "x" * 1_000_000 in too_long.text  # kept in its box
    found = client.post("/log/verify", data={"text": "no such document", "csrf_token": token})
    assert found.status_code == 200
    assert ">no such document</textarea>" in found.text


def test_the_last_operator_is_kept_and_the_refusal_is_said_in_its_row(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    make.session(client, make.user("oper", operator=True))
    page = client.get("/admin/users")
    with unit_of_work(session_factory) as db:
        operators = db.scalars(select(User.username).where(User.is_operator)).all()
    assert operators == ["oper"]
    refused = client.post("/admin/users/oper/operator", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 409
    assert not _generic(refused.text)
    assert "at least one operator" in _error(refused.text, "operator-oper-error")
    with unit_of_work(session_factory) as db:
        assert db.scalar(select(User.is_operator).where(User.username == "oper")) is True


def test_a_new_account_refused_keeps_what_was_typed(client: TestClient, make: Factories) -> None:
    make.session(client, make.user("oper", operator=True))
    token = csrf_of(client.get("/admin/users").text)
    empty = client.post(
        "/admin/users",
        data={"username": "", "email": "new@example.org", "password": "", "csrf_token": token},
    )
    assert empty.status_code == 422
    assert not _generic(empty.text)
    assert _error(empty.text, "username-error")
    assert 'value="new@example.org"' in empty.text
    taken = client.post(
        "/admin/users",
        data={
            "username": "oper",
            "email": "other@example.org",
            "password": "lantern orbit cactus ferry",
            "csrf_token": token,
        },
    )
    assert taken.status_code == 409
    assert "is taken" in _error(taken.text, "username-error")
    assert 'value="other@example.org"' in taken.text


def test_a_period_left_empty_or_too_long_is_refused_beside_the_field(
    client: TestClient, make: Factories
) -> None:
    slug = make.org("Acme")
    admin = make.user("acme-admin")
    make.member(admin, slug, MemberRole.ADMIN)
    make.session(client, admin)
    token = csrf_of(client.get(f"/orgs/{slug}/accountability").text)
    for period in ("", "2026-Q1 and the quarter after it"):
        refused = client.post(
            f"/orgs/{slug}/accountability/publish",
            data={"period": period, "narrative": "Kept words", "csrf_token": token},
        )
        assert refused.status_code == 400
        assert not _generic(refused.text)
        assert "is not a period" in _error(refused.text, "period-error")
        assert "Kept words" in refused.text


def test_members_invitations_and_webhooks_left_empty_are_refused_beside_the_field(
    client: TestClient, make: Factories
) -> None:
    slug = make.org("Acme")
    admin = make.user("acme-admin")
    make.member(admin, slug, MemberRole.ADMIN)
    make.session(client, admin)
    token = csrf_of(client.get(f"/orgs/{slug}/members").text)
    for path, field in (("members", "username"), ("invitations", "email")):
        refused = client.post(f"/orgs/{slug}/{path}", data={field: "", "csrf_token": token})
        assert 400 <= refused.status_code < 500, path
        assert not _generic(refused.text), path
        assert _error(refused.text, f"{field}-error"), path
    hooks = client.post(
        f"/orgs/{slug}/webhooks", data={"url": "", "description": "ours", "csrf_token": token}
    )
    assert 400 <= hooks.status_code < 500
    assert not _generic(hooks.text)
    assert 'value="ours"' in hooks.text or ">ours<" in hooks.text


def test_an_exclusion_without_a_reason_is_refused_beside_the_field(
    client: TestClient, make: Factories
) -> None:
    make.session(client, make.user("oper", operator=True))
    token = csrf_of(client.get("/admin/accountability").text)
    refused = client.post(
        "/admin/accountability/exclusions",
        data={"period": "2026-Q1", "csrf_token": token},
        headers={"Accept-Language": "es"},
    )
    assert refused.status_code == 422
    assert not _generic(refused.text)
    assert _error(refused.text, "reason-error")
    assert 'value="2026-Q1"' in refused.text


def _operator(client: TestClient, make: Factories) -> str:
    make.session(client, make.user("hub-operator", operator=True))
    return csrf_of(client.get("/admin/users").text)


def test_a_new_accord_version_refused_is_said_beside_its_field_with_the_text_kept(
    client: TestClient, make: Factories
) -> None:
    token = _operator(client, make)
    sent = {
        "title": "x" * 300,
        "text": "The new text of the accord, long enough.",
        "csrf_token": token,
    }
    refused = client.post("/admin/accord", data=sent)
    assert refused.status_code == 422
    assert not _generic(refused.text)
    assert _error(refused.text, "title-error")
    assert "The new text of the accord, long enough." in refused.text
    empty = client.post("/admin/accord", data={"csrf_token": token})
    assert empty.status_code == 422
    assert _error(empty.text, "text-error")


def test_a_pledge_or_campaign_title_too_long_is_said_beside_it(
    client: TestClient, make: Factories
) -> None:
    token = _operator(client, make)
    for path in ("/admin/pledges", "/admin/campaigns"):
        sent = {"slug": "kept-slug", "title": "x" * 300, "csrf_token": token}
        refused = client.post(path, data=sent)
        assert refused.status_code == 422, path
        assert not _generic(refused.text), path
        assert _error(refused.text, "title-error"), path
        assert 'value="kept-slug"' in refused.text, path


def test_a_token_name_too_long_is_said_beside_it(client: TestClient, make: Factories) -> None:
    make.session(client, make.user("ada"))
    token = csrf_of(client.get("/account").text)
    sent = {"name": "y" * 300, "scope": "read", "csrf_token": token}
    refused = client.post("/account/tokens", data=sent)
    assert refused.status_code == 422
    assert not _generic(refused.text)
    assert _error(refused.text, "name-error")
    assert "y" * 300 in refused.text


def test_a_download_without_a_format_keeps_the_checked_text(client: TestClient) -> None:
    token = csrf_of(client.get("/check").text)
    refused = client.post("/check/download", data={"text": "lodash 4.17.20", "csrf_token": token})
    assert refused.status_code == 422
    assert not _generic(refused.text)
    assert _error(refused.text, "format-error")
    assert "lodash 4.17.20" in refused.text
    assert 'id="format-error"' not in client.get("/check").text


def test_a_time_zone_that_is_none_comes_back_beside_the_zone_field(
    client: TestClient, make: Factories
) -> None:
    make.session(client, make.user("ada"))
    token = csrf_of(client.get("/preferences").text)
    sent = {"time_zone": "Nowhere/Atlantis", "csrf_token": token}
    refused = client.post("/disclosure/time-zone", data=sent)
    assert refused.status_code == 422
    assert not _generic(refused.text)
    assert _error(refused.text, "tz-error")
    assert "Nowhere/Atlantis" in refused.text
    kept = client.post(
        "/disclosure/time-zone",
        data={"time_zone": "UTC", "csrf_token": token},
        follow_redirects=False,
    )
    assert kept.status_code == 303


def test_a_rejection_without_a_reason_is_said_beside_it_with_the_reason_kept(
    client: TestClient, make: Factories
) -> None:
    applied = client.post("/api/v1/applications", json=application_body())
    number = applied.json()["id"]
    token = _operator(client, make)
    path = f"/admin/applications/{number}/reject"
    refused = client.post(path, data={"reason": "no", "csrf_token": token})
    assert refused.status_code == 422
    assert not _generic(refused.text)
    assert _error(refused.text, "reject-reason-error")
    assert ">no</textarea>" in refused.text
    long = client.post(path, data={"reason": "z" * 3000, "csrf_token": token})
    assert long.status_code == 422
    assert _error(long.text, "reject-reason-error")
    sent = {"reason": "Not a company", "csrf_token": token}
    done = client.post(path, data=sent, follow_redirects=False)
    assert done.status_code == 303


def test_a_collection_or_group_name_too_long_is_said_beside_it(
    client: TestClient, make: Factories
) -> None:
    slug = make.org("Acme")
    admin = make.user("acme-admin")
    make.member(admin, slug, MemberRole.ADMIN)
    make.session(client, admin)
    token = csrf_of(client.get("/sharing/groups").text)
    sent = {"org": slug, "title": "t" * 400, "default_tlp": "puce", "csrf_token": token}
    refused = client.post("/sharing/collections/new", data=sent)
    assert refused.status_code == 422
    assert not _generic(refused.text)
    assert _error(refused.text, "title-error")
    assert _error(refused.text, "default_tlp-error")
    assert "t" * 400 in refused.text
    group = client.post(
        "/sharing/groups", data={"org": slug, "name": "n" * 400, "csrf_token": token}
    )
    assert group.status_code == 422
    assert not _generic(group.text)
    assert _error(group.text, "name-error")
    assert "n" * 400 in group.text


def test_a_report_title_too_long_is_said_beside_it_with_the_report_kept(
    client: TestClient, make: Factories
) -> None:
    make.org("Vendor A")
    token = csrf_of(client.get("/disclosure/report").text)
    typed = {**REPORT, "title": "w" * 600, "csrf_token": token}
    refused = client.post("/disclosure/report", data=typed)
    assert refused.status_code == 422
    assert not _generic(refused.text)
    assert _error(refused.text, "title-error")
    assert "w" * 600 in refused.text


def test_a_case_vulnerability_or_publication_summary_too_long_is_said_beside_it(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    world.state(client, "vendor-a", "affected")
    world.agreed_embargo(client)
    sign_in(client, world.people["coordinator"])
    page = client.get(f"/disclosure/cases/{world.case_id}").text
    too_long = "s" * 400
    for action in ("/vulnerabilities", "/publish"):
        form = Forms(page).find(action)
        refused = client.post(form.action, data={**form.fields, "summary": too_long})
        assert refused.status_code == 422, action
        assert not _generic(refused.text), action
        again = Forms(refused.text).find(action)
        assert again.fields["summary"] == too_long, action
        assert again.errors, action


def test_a_bad_operator_or_role_value_is_said_beside_its_form(
    client: TestClient, make: Factories
) -> None:
    token = _operator(client, make)
    make.user("bea")
    sent = {"username": "carla", "email": "carla@example.org", "operator": "maybe"}
    created = client.post(
        "/admin/users", data={**sent, "password": "a long enough password", "csrf_token": token}
    )
    assert created.status_code == 422
    assert not _generic(created.text)
    assert _error(created.text, "operator-error")
    assert 'value="carla@example.org"' in created.text
    row = client.post("/admin/users/bea/operator", data={"operator": "maybe", "csrf_token": token})
    assert row.status_code == 422
    assert not _generic(row.text)
    assert _error(row.text, "operator-bea-error")
    spanish = client.post(
        "/admin/users/bea/operator",
        data={"operator": "maybe", "csrf_token": token},
        headers={"Accept-Language": "es"},
    )
    assert _error(spanish.text, "operator-bea-error") == "operador: elija sí o no"
    slug = make.org("Acme")
    admin = make.user("acme-admin")
    make.member(admin, slug, MemberRole.ADMIN)
    make.session(client, admin)
    token = csrf_of(client.get(f"/orgs/{slug}/members").text)
    role = client.post(
        f"/orgs/{slug}/members", data={"username": "bea", "role": "owner", "csrf_token": token}
    )
    assert role.status_code == 422
    assert not _generic(role.text)
    assert _error(role.text, "role-error")


def test_a_taken_alias_or_group_member_is_said_in_the_viewers_language(
    client: TestClient, make: Factories
) -> None:
    slug = make.org("Acme")
    admin = make.user("acme-admin")
    make.member(admin, slug, MemberRole.ADMIN)
    make.session(client, admin)
    token = csrf_of(client.get("/sharing/groups").text)
    sent = {"org": slug, "title": "Feeds", "alias": "feeds", "csrf_token": token}
    first = client.post("/sharing/collections/new", data=sent, follow_redirects=False)
    assert first.status_code == 303
    spanish = {"Accept-Language": "es"}
    again = client.post("/sharing/collections/new", data=sent, headers=spanish)
    assert again.status_code == 422
    assert _error(again.text, "alias-error") == "el alias 'feeds' ya está en uso"
    japanese = client.post("/sharing/collections/new", data=sent, headers={"Accept-Language": "ja"})
    assert _error(japanese.text, "alias-error") == "エイリアス 'feeds' はすでに使われています"


def test_a_new_authenticators_name_too_long_is_said_beside_it(
    client: TestClient, make: Factories
) -> None:
    person = make.user("grace")
    make.session(client, person)
    token = csrf_of(client.get("/account/security").text)
    too_long = "an authenticator app " * 15  # over the form's own 100 characters
    refused = client.post("/account/factors/totp", data={"name": too_long, "csrf_token": token})
    assert refused.status_code == 422
    assert not _generic(refused.text)
    assert "between 1 and 100 characters" in refused.text
