"""One way to show time: a case page drawn for a viewer in Mexico City writes every moment
in that zone, in one format, the zone named; no raw ISO stamp, no second format."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from accord.web import i18n
from tests.disclosure.world import World
from tests.factories import Factories, sign_in
from tests.web.test_i18n import prefer

ZONE = "America/Mexico_City"
# The en locale's medium date and short time (format_when), then the zone.
ONE_FORMAT = re.compile(
    r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\u202f[AP]M (?P<zone>[A-Za-z_]+(?:/[A-Za-z_+-]+)*)"
)
# Anything else that looks like a moment: ISO 8601 / RFC 3339 stamps, "2026-12-05 17:47",
# zone abbreviations after a time.
OTHER_FORMATS = (
    re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"),
    re.compile(r"\d{1,2}:\d{2}(?::\d{2})? ?(?:UTC|GMT|CST|CDT|EST|EDT|PST|PDT|CET|CEST)\b"),
)


class _Visible(HTMLParser):
    """The text a reader sees: no tags, no attribute values, no script."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts)


def test_a_case_page_for_a_mexico_city_viewer_shows_every_moment_there_in_one_format(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    world.agreed_embargo(client)  # history entries whose text carries the moment
    sent = client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/messages",
        json={"body": "Fix is ready.", "audience": "all"},
        headers=world.headers("vendor_a"),
    )
    assert sent.status_code in (200, 201), sent.text
    sign_in(client, world.people["coordinator"])
    assert prefer(client, tz=ZONE).status_code == 303

    page = client.get(f"/disclosure/cases/{world.case_id}")
    assert page.status_code == 200
    text = visible(page.text)

    shown = ONE_FORMAT.findall(text)
    assert len(shown) >= 5, text  # embargo, its history entries, the message, events
    assert set(shown) == {ZONE}
    for pattern in OTHER_FORMATS:
        assert pattern.findall(text) == [], pattern.pattern
    # Every <time> element: UTC for machines in the attribute, the viewer's zone in the text.
    times = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', page.text)
    assert times
    assert all(iso.endswith("Z") and shown.endswith(f" {ZONE}") for iso, shown in times)


def test_the_saved_zone_follows_the_user_to_another_browser(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    world.agreed_embargo(client)
    sign_in(client, world.people["coordinator"])
    prefer(client, tz=ZONE)
    client.cookies.clear()  # another browser: no zone cookie, a browser in Tokyo
    sign_in(client, world.people["coordinator"])
    client.cookies.set(i18n.BROWSER_ZONE_COOKIE, "Asia/Tokyo")
    text = visible(client.get(f"/disclosure/cases/{world.case_id}").text)
    assert set(ONE_FORMAT.findall(text)) == {ZONE}
