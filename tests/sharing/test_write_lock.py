"""An envelope on its way in, or being checked, does not hold the hub's write lock.

On SQLite a writing request's first statement takes the database's one write lock (BEGIN
IMMEDIATE). A TAXII POST used to look its caller up first and then receive the body, so a
client sending a large envelope slowly held every other writer of the hub back (for up to the
busy timeout of 30 s, then an error). Checking the envelope, tens of milliseconds of pure
computation, also ran under that lock.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest

from accord.sharing import ingest
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


def _start_slow_post(base: str, path: str, token: str, body: bytes) -> socket.socket:
    """Send a POST's headers and half its body, then stop sending (a slow client)."""
    address = urlsplit(base)
    sock = socket.create_connection((address.hostname, address.port), timeout=60)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: {TAXII_MEDIA_TYPE}\r\n"
        f"Accept: {TAXII_MEDIA_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    sock.sendall(head.encode() + body[: len(body) // 2])
    return sock


def _finish(sock: socket.socket, body: bytes) -> bytes:
    sock.sendall(body[len(body) // 2 :])
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    sock.close()
    return answer


def test_a_slow_upload_does_not_block_other_writers(live_hub: str, world: SharingWorld) -> None:
    path = f"/taxii2/hub/collections/{world.collection}/objects/"
    slow_body = json.dumps(stixgen.envelope(*[stixgen.indicator() for _ in range(50)])).encode()
    sock = _start_slow_post(live_hub, path, world.tokens["producer"], slow_body)
    try:
        time.sleep(0.5)  # the server has the headers and half the body, and waits for more
        started = time.monotonic()
        quick = httpx.post(
            live_hub + path,
            content=json.dumps(stixgen.envelope(stixgen.indicator())),
            headers={**TAXII, **world.bearer("producer")},
            timeout=60,
        )
        waited = time.monotonic() - started
        assert quick.status_code == 202, quick.text
        assert quick.json()["success_count"] == 1
        # Before the fix the second writer waited for the first one's lock: 30 s, then failed.
        assert waited < 5, f"the second envelope waited {waited:.1f} s for the slow one"
    finally:
        answer = _finish(sock, slow_body)
    assert b" 202 " in answer.split(b"\r\n", 1)[0]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["success_count"] == 50


def test_an_envelope_is_checked_outside_the_write_transaction(
    live_hub: str, world: SharingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one envelope is being checked, another request can write."""
    checking = threading.Event()
    release = threading.Event()
    original = ingest.check_objects

    def slow_check(objects: list[object]) -> list[ingest.Outcome]:
        if len(objects) == 20:  # the first envelope only
            checking.set()
            release.wait(30)
        return original(objects)

    monkeypatch.setattr(ingest, "check_objects", slow_check)
    path = f"/taxii2/hub/collections/{world.collection}/objects/"
    headers = {**TAXII, **world.bearer("producer")}
    big = json.dumps(stixgen.envelope(*[stixgen.indicator() for _ in range(20)]))
    results: dict[str, httpx.Response] = {}

    def post_big() -> None:
        results["big"] = httpx.post(live_hub + path, content=big, headers=headers, timeout=60)

    thread = threading.Thread(target=post_big)
    thread.start()
    try:
        assert checking.wait(30)
        started = time.monotonic()
        small = httpx.post(
            live_hub + path,
            content=json.dumps(stixgen.envelope(stixgen.indicator())),
            headers=headers,
            timeout=60,
        )
        waited = time.monotonic() - started
    finally:
        release.set()
        thread.join(60)
    assert small.status_code == 202, small.text
    assert waited < 5, f"the second envelope waited {waited:.1f} s for the first one's check"
    assert results["big"].status_code == 202
    assert results["big"].json()["success_count"] == 20
