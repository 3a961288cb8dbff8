"""The queue's drainer starts with the web process (``taxii_drainer_at_start``), so that the
first queued envelope is stored by a drainer already running, not after one is started."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accord.config import Settings
from accord.sharing.drainer import Drainer
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


@pytest.fixture
def eager(app: FastAPI) -> Iterator[FastAPI]:
    """The app as a hub runs it: the drainer at start, every envelope of 3 objects queued."""
    saved = app.state.settings
    app.state.settings = saved.model_copy(
        update={"taxii_drainer_at_start": True, "taxii_queue_from_objects": 3}
    )
    yield app
    app.state.settings = saved


def test_the_drainer_runs_before_any_envelope_and_stores_the_first_one(
    eager: FastAPI, world: SharingWorld
) -> None:
    with TestClient(eager, base_url="http://testserver") as client:
        drainer = eager.state.drainer
        assert drainer.running(), "no drainer process at start"
        # Served once the drainer could drain: the first envelope does not wait for its start.
        assert drainer.wait_ready(0), "served before the drainer was ready"
        started = drainer.pid
        headers = {**TAXII, **world.bearer("producer")}
        objects = [stixgen.indicator() for _ in range(4)]
        answer = client.post(
            f"/taxii2/hub/collections/{world.collection}/objects/",
            json=stixgen.envelope(*objects),
            headers=headers,
        )
        assert answer.status_code == 202, answer.text
        assert answer.json()["status"] == "pending"
        status_url = f"/taxii2/hub/status/{answer.json()['id']}/"
        deadline = time.monotonic() + 60
        while (found := client.get(status_url, headers=headers).json())["status"] != "complete":
            assert time.monotonic() < deadline, f"never stored: {found}"
            time.sleep(0.05)
        assert (found["success_count"], found["failure_count"]) == (4, 0)
        # Stored by the process started with the hub: none was started for the envelope.
        assert drainer.pid == started
    assert not drainer.running()


def test_without_the_setting_no_drainer_runs_until_an_envelope_is_queued(
    app: FastAPI, world: SharingWorld
) -> None:
    assert app.state.settings.taxii_drainer_at_start is False  # the tests' settings
    with TestClient(app, base_url="http://testserver"):
        assert app.state.drainer.pid is None


def test_a_drainer_that_dies_while_starting_is_not_counted_ready(tmp_path: Path) -> None:
    """Its "ready" pipe ends unwritten: the web process must not take that end for the byte."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder should be")  # the drainer cannot open it
    drainer = Drainer(Settings(data_dir=blocked))
    drainer.wake()
    try:
        deadline = time.monotonic() + 60
        while drainer.running():
            assert time.monotonic() < deadline, "the drainer did not die"
            time.sleep(0.05)
        assert not drainer.wait_ready(5)
    finally:
        drainer.stop()
