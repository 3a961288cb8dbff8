"""Emails in their reader's language and zone: the language chosen with the switch is kept
with the account, and each email is written from the catalog in it."""

from __future__ import annotations

import re
from importlib import resources

from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.disclosure import notices
from accord.disclosure.models import DisclosureCase
from accord.identity import invitations
from accord.identity.models import Invitation, MemberRole, User
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.notifications.services import notify
from accord.web.i18n import Viewer, format_when
from tests.disclosure.world import REPORT
from tests.factories import Factories, csrf_of, sign_in
from tests.notifications.conftest import SmtpServer, make_worker
from tests.notifications.test_mail import _smtp

_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def _english_fragments() -> set[str]:
    """Every piece of an English msgid between its placeholders and line breaks, long enough
    to be words a translation replaces (``" invites you to join "``)."""
    po = resources.files("accord") / "locale/ja/LC_MESSAGES/messages.po"
    with po.open("rb") as source:
        catalog = read_po(source, locale="ja")
    pieces: set[str] = set()
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for msgid in ids:
            for piece in _PLACEHOLDER.split(msgid):
                for line in piece.split("\n"):
                    line = line.strip(" .:;,[]")
                    if len(line) >= 12 and " " in line:
                        pieces.add(line)
    return pieces


def _choose(client: TestClient, lang: str, tz: str) -> None:
    page = client.get("/preferences")
    chosen = client.post(
        "/preferences",
        data={"lang": lang, "tz": tz, "next": "/", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert chosen.status_code == 303


def test_a_user_who_chose_japanese_gets_japanese_email_with_moments_in_their_zone(
    client: TestClient,
    settings: Settings,
    engine: Engine,
    make: Factories,
    session_factory: sessionmaker[Session],
    smtp_server: SmtpServer,
) -> None:
    slug = make.org("Acme")
    hana = make.user("hana")
    make.user("otto")
    sign_in(client, hana)
    _choose(client, "ja", "Asia/Tokyo")
    with unit_of_work(session_factory) as s:
        user = s.scalars(select(User).where(User.username == "hana")).one()
        assert user.language == "ja"
        hana_id = user.id
    config = _smtp(settings, smtp_server.port)
    with unit_of_work(session_factory) as s:
        org = get_org(s, slug)
        for address in ("hana@example.org", "otto@example.org"):
            invitations.invite(
                s, org=org, email=address, role=MemberRole.ADMIN, actor=SYSTEM, settings=config
            )
        case = DisclosureCase(ref="ACCORD-2026-0007", public_id="x")
        notice = notices.build(
            settings=config, case=case, kind="message", what="A new message", user_ids=(hana_id,)
        )
        notify(s, settings=config, notice=notice)
        expires = s.scalars(
            select(Invitation.expires_at).where(Invitation.email == "hana@example.org")
        ).one()
    assert make_worker(config, engine).run_until_idle() == 3
    mail = [(to[0], m) for to, m in smtp_server.mailbox.received]
    japanese = [m for to, m in mail if to == "hana@example.org"]
    assert len(japanese) == 2
    english = _english_fragments()
    assert len(english) > 500  # the catalog's sentences, not an empty set
    for message in japanese:
        assert message["Content-Language"] == "ja"
        shown = f"{message['Subject']}\n{message.get_content()}"
        assert [piece for piece in english if piece in shown] == []
    invited = next(m for m in japanese if "Acme" in m["Subject"])
    body = invited.get_content()
    tokyo = format_when(expires, Viewer(language="ja", zone="Asia/Tokyo"))
    assert tokyo.endswith("Asia/Tokyo")
    assert f"{tokyo} まで" in body
    assert "管理者" in body
    assert "Acme" in body
    case_mail = next(m for m in japanese if "ACCORD-2026-0007" in m["Subject"])
    assert "新しいメッセージ" in case_mail["Subject"]
    # Otto chose nothing: English, UTC.
    (plain,) = [m for to, m in mail if to == "otto@example.org"]
    assert "invites you to join Acme as admin" in plain.get_content()
    assert any(piece in plain.get_content() for piece in english)  # the check can fail
    assert format_when(expires, Viewer()) in plain.get_content()


def test_a_count_in_an_email_takes_the_plural_of_the_readers_language() -> None:
    from accord.texts import ngettext, render

    one = ngettext("%(count)s file", "%(count)s files", 1)
    assert render(
        ngettext(
            "A recovery code was used to sign in; %(count)s remains.",
            "A recovery code was used to sign in; %(count)s remain.",
            1,
        ),
        Viewer(language="es"),
    ).endswith("queda 1.")
    assert render(
        ngettext(
            "A recovery code was used to sign in; %(count)s remains.",
            "A recovery code was used to sign in; %(count)s remain.",
            2,
        ),
        Viewer(language="es"),
    ).endswith("quedan 2.")
    assert render(one, None) == "1 file"


def test_a_reporter_without_an_account_is_emailed_in_the_language_of_the_report_page(
    client: TestClient,
    settings: Settings,
    engine: Engine,
    make: Factories,
    session_factory: sessionmaker[Session],
    smtp_server: SmtpServer,
) -> None:
    make.org("Vendor A")
    client.cookies.set("accord_lang", "es")
    form = {**REPORT, "contact": "finder@example.org"}
    form["csrf_token"] = csrf_of(client.get("/disclosure/report").text)
    assert client.post("/disclosure/report", data=form).status_code == 201
    client.cookies.delete("accord_lang")
    config = _smtp(settings, smtp_server.port)
    with unit_of_work(session_factory) as s:
        case = s.scalars(select(DisclosureCase)).one()
        assert case.language == "es"
        notices.to_reporter(s, settings=config, case=case, what="A new message")
    assert make_worker(config, engine).run_until_idle() == 1
    ((to, message),) = smtp_server.mailbox.received
    assert to == ["finder@example.org"]
    assert message["Content-Language"] == "es"
    assert "Un mensaje nuevo en su informe de vulnerabilidad" in message["Subject"]
