"""In a real browser: the jobs table reads one block per row on a phone, and on a wide screen
its column headings keep their words whole; screenshots at 390 and 1280 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.jobs import services
from accord.jobs.worker import Worker
from tests.flows.test_browser_widths import PASSWORD

pytestmark = pytest.mark.browser

# Each visible heading: its words, and the line boxes its text takes (more lines than words:
# a word was broken).
LINES = """() => [...document.querySelectorAll('main table th')]
  .filter(th => !th.querySelector('.visually-hidden'))
  .map(th => {
    const range = document.createRange();
    range.selectNodeContents(th);
    const text = th.textContent.trim();
    return [text, [text.split(/\\s+/).length, range.getClientRects().length]];
  })"""


def test_the_jobs_table_on_a_phone_and_on_a_wide_screen(
    live_hub: str,
    browser: Any,
    make: Any,
    settings: Settings,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    import tests.jobs.handlers  # noqa: F401  (the failing kinds)

    make.user("hubkeeper", operator=True)
    url = "https://peer.example/taxii2/collections/c1/objects/"
    with unit_of_work(session_factory) as db:
        services.enqueue(db, kind="tests.refuse", payload={"url": url})
    assert Worker(settings=settings, sessions=session_factory).run_once()
    for locale, width in (("ja-JP", 390), ("en-US", 1280)):
        context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(f"{live_hub}/login")
        page.fill('input[name="username"]', "hubkeeper")
        page.fill('input[name="password"]', PASSWORD)
        page.locator('input[name="password"]').press("Enter")
        page.wait_for_load_state()
        page.goto(f"{live_hub}/admin/jobs")
        page.screenshot(path=str(tmp_path / f"jobs-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        table = page.locator("main table.stacked")
        if width == 390:
            # One block per row: the last error is in view, labelled, not off to the right.
            # By the error's own words, in Japanese: a job's id may hold "401" too (4016 did).
            error = table.locator("td", has_text="401 を返しました")
            assert error.is_visible()
            box = error.bounding_box()
            assert box is not None
            assert box["x"] + box["width"] <= width
            assert "最後のエラー" in error.evaluate("e => getComputedStyle(e, '::before').content")
        else:
            lines = {text: tuple(counts) for text, counts in page.evaluate(LINES)}
            assert lines["Attempts"] == (1, 1), lines
            assert all(taken <= words for words, taken in lines.values()), lines
        context.close()
