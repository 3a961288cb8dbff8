"""A box to tick or a choice to make sits beside its words, on their first line, on a phone
and on a desktop: a label holding a checkbox or a radio button in a stacked form once showed
the box centred on a line of its own above its words, which reads as a stray box."""

from __future__ import annotations

from typing import Any

import pytest

from accord.identity.models import MemberRole
from tests.factories import Factories
from tests.flows.test_browser_widths import sign_in

pytestmark = pytest.mark.browser

# Each box inside a label, with where it is beside the first line of the label's words:
# the boxes whose middle is not on that line, which are not to the left of the words, or
# which are squeezed narrower than a box by the words beside them.
ASTRAY = """() => {
  const out = [];
  for (const box of document.querySelectorAll(
      'main label input[type=checkbox], main label input[type=radio]')) {
    const label = box.closest('label');
    const range = document.createRange();
    const words = [...label.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
    if (!words.length) continue;
    range.setStart(words[0], 0);
    range.setEnd(words[words.length - 1], words[words.length - 1].length);
    const line = range.getClientRects()[0];
    const at = box.getBoundingClientRect();
    const middle = at.top + at.height / 2;
    const shrunk = at.width < 12;  // a box squeezed by long words beside it (13 px unsqueezed)
    if (middle < line.top || middle > line.bottom || at.right > line.left + 1 || shrunk) {
      out.push(box.name + ': box at ' + Math.round(at.left) + ',' + Math.round(at.top)
        + ', words at ' + Math.round(line.left) + ',' + Math.round(line.top)
        + ', ' + Math.round(at.width) + ' px wide');
    }
  }
  return out;
}"""


@pytest.mark.parametrize("width", [390, 1280])
def test_every_box_to_tick_sits_beside_its_words(
    width: int, live_hub: str, browser: Any, make: Factories
) -> None:
    vendor = make.org("Acme Widgets")
    make.member(make.user("widgetlead"), vendor, MemberRole.ADMIN)
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    found: dict[str, list[str]] = {}
    # A reporter's form (who may see the name and contact), then an admin's (a provider's mode).
    page.goto(f"{live_hub}/disclosure/report")
    assert page.locator("main label input[type=checkbox]").count() == 2
    found["/disclosure/report"] = page.evaluate(ASTRAY)
    sign_in(page, live_hub, "widgetlead")
    for path in (f"/orgs/{vendor}/csaf-providers", "/sharing/collections/new", "/sharing/groups"):
        page.goto(live_hub + path)
        assert page.locator("main label input:is([type=checkbox], [type=radio])").count() > 0
        found[path] = page.evaluate(ASTRAY)
    assert {path: boxes for path, boxes in found.items() if boxes} == {}
