"""The operators' jobs page: filtered by state and kind, both picked from lists."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.jobs import registry, services
from accord.jobs.models import Job
from accord.jobs.worker import Worker
from tests.factories import Factories, sign_in


def _kinds(page: str) -> tuple[list[str], list[str]]:
    """The kind filter's options and the chosen one(s)."""
    select = re.search(r'<select name="kind">(.*?)</select>', page, flags=re.S)
    assert select is not None, "the kind is typed, not picked from a list"
    options = re.findall(r'<option value="([^"]*)"( selected)?>', select.group(1))
    return [value for value, _ in options], [value for value, chosen in options if chosen]


def test_the_kind_filter_offers_every_registered_kind(client: TestClient, make: Factories) -> None:
    sign_in(client, make.user("operator", operator=True))
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    offered, chosen = _kinds(page.text)
    assert offered == ["", *registry.kinds()]
    assert {"notifications.email", "sharing.pull", "sharing.push"} <= set(offered)
    assert chosen == []

    filtered = client.get("/admin/jobs", params={"kind": "sharing.pull"})
    assert _kinds(filtered.text)[1] == ["sharing.pull"]
    # A kind no handler has any more (its jobs are still listed) stays chosen.
    gone = client.get("/admin/jobs", params={"kind": "retired.kind"})
    offered, chosen = _kinds(gone.text)
    assert chosen == ["retired.kind"]
    assert "retired.kind" in offered


def test_a_jobs_last_error_is_said_in_the_viewers_language_and_kept_in_english(
    client: TestClient,
    make: Factories,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    url = "https://peer.example/taxii2/collections/c1/objects/"
    with unit_of_work(session_factory) as session:
        refused = services.enqueue(session, kind="tests.refuse", payload={"url": url}).id
        failed = services.enqueue(session, kind="tests.fail", payload={}).id
    worker = Worker(settings=settings, sessions=session_factory)
    assert worker.run_once()
    assert worker.run_once()
    with session_factory() as reading:
        job = reading.get(Job, refused)
        assert job is not None
        assert job.last_error == f"RemoteError: {url} answered 401"  # the record, for logs
    sign_in(client, make.user("operator", operator=True))
    for language, said in (
        ("es", f"{url} respondió 401"),
        ("ja", f"{url} は 401 を返しました"),
    ):
        page = client.get("/admin/jobs", headers={"Accept-Language": language}).text
        rows = dict(
            re.findall(r'<tr><td data-label="[^"]*">(\d+)</td>(.*?)</tr>', page, flags=re.S)
        )
        assert said in rows[str(refused)]
        assert "answered" not in rows[str(refused)]
        # An error that is no message of ours is shown as written, marked English.
        assert '<span lang="en">RuntimeError: failing on attempt 1</span>' in rows[str(failed)]
