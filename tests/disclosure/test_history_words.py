"""A case's history reads in the reader's language: the reporter's page and the case page say
each event the code records in Spanish or Japanese, with its names and moments as recorded,
instead of the English summary the record keeps."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.db import unit_of_work
from accord.disclosure import event_words
from accord.disclosure.models import CaseEvent
from accord.web.i18n import LANGUAGE_COOKIE
from tests.disclosure.world import World
from tests.factories import Factories, csrf_of, sign_in


def _history(html: str, marker: str) -> str:
    """The history table's rows, after the page's ``marker`` (its heading)."""
    table = html.split(marker, 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", table).split())


def _a_case_with_every_common_event(client: TestClient, world: World) -> None:
    world.open_case(client)
    world.agreed_embargo(client)
    world.state(client, "vendor-b", "affected")


def test_every_event_of_a_case_is_said_in_the_readers_language(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    world = World.build(make)
    _a_case_with_every_common_event(client, world)
    # Each event these steps recorded is one the pages can say (the English forms match).
    with unit_of_work(session_factory) as db:
        events = list(db.scalars(select(CaseEvent).order_by(CaseEvent.seq)))
    kinds = {e.kind for e in events}
    assert {"report_received", "vendor_notified", "case_opened", "embargo_changed"} <= kinds
    assert {"embargo_accepted", "embargo_in_force", "status_changed"} <= kinds
    unsaid = [e.summary for e in events if e.kind in event_words.FORMS and not event_words.words(e)]
    assert unsaid == []

    sign_in(client, world.people["coordinator"])
    client.cookies.set(LANGUAGE_COOKIE, "ja")
    japanese = _history(client.get(f"/disclosure/cases/{world.case_id}").text, 'id="history"')
    for said in (
        "報告を受け付けました",
        "Vendor B を招待しました",
        f"案件 {world.case_id} として開始",
        "エンバーゴの提案",
        "Vendor A がエンバーゴ",
        "Vendor B: 影響あり",
        "影響を受けうるすべてのベンダーが受け入れ",
    ):
        assert said in japanese, said
    for english in ("Report received", "invited", "Opened as case", "Embargo", "affected"):
        assert english not in japanese, english
    # Who did it, when no person did: the hub, in the reader's words.
    assert re.search(r"UTC ハブ Vendor A を招待しました", japanese), japanese
    assert " hub " not in japanese

    reporter = TestClient(client.app)
    reporter.cookies.set(LANGUAGE_COOKIE, "es")
    page = reporter.get(f"/disclosure/follow?token={world.report_token}").text
    spanish = _history(page, "<h2>Historial</h2>")
    assert "Se invitó a Vendor A" in spanish
    assert "Report received" not in spanish
    assert "Informe recibido" in spanish


def test_a_reporter_reads_why_the_report_was_set_aside_in_their_language(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    world = World.build(make)
    world.report(client)
    triaged = client.post(
        f"/api/v1/disclosure/cases/{world.public_id}/triage",
        json={"action": "question", "reason": "This asks how to configure the widget."},
        headers=world.headers("vendor_a"),
    )
    assert triaged.status_code == 200, triaged.text
    reporter = TestClient(client.app)
    reporter.cookies.set(LANGUAGE_COOKIE, "ja")
    page = reporter.get(f"/disclosure/follow?token={world.report_token}").text
    japanese = _history(page, "<h2>履歴</h2>")
    # The reason is the vendor's own words, kept as typed; the sentence around it is Japanese.
    assert "質問として処理: This asks how to configure the widget." in japanese
    assert "Marked" not in japanese


def test_a_reporter_picks_the_message_to_answer_from_a_list(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    world = World.build(make)
    world.open_case(client)
    asked = client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/messages",
        json={"body": "Which version did you test?", "audience": "all"},
        headers=world.headers("coordinator"),
    )
    assert asked.status_code == 201, asked.text
    number = asked.json()["id"]
    reporter = TestClient(client.app)
    url = f"/disclosure/follow?token={quote(world.report_token)}"
    page = reporter.get(url).text
    form = page.split('action="/disclosure/follow/messages"', 1)[1].split("</form>", 1)[0]
    # The message is offered by number, author and time; nobody types its number.
    assert '<select name="parent_id"' in form
    assert re.search(rf"<option value=\"{number}\">#{number} · coord \(coordinator\) · Dec", form)
    assert '<input name="parent_id"' not in form
    # A refused message keeps the chosen reply.
    answer = {"csrf_token": csrf_of(page), "token": world.report_token, "parent_id": str(number)}
    refused = reporter.post("/disclosure/follow/messages", data={**answer, "body": ""})
    assert refused.status_code == 422
    assert f'<option value="{number}" selected>' in refused.text
    sent = reporter.post(
        "/disclosure/follow/messages", data={**answer, "body": "2.1.0"}, follow_redirects=False
    )
    assert sent.status_code == 303
    replies = reporter.get(url).text
    assert f'reply to <a href="#m{number}">#{number}</a>' in replies
