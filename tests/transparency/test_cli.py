"""``accord log``: the monitor, prove and verify-bundle against a live hub, honest or not.

The hub runs under uvicorn on 127.0.0.1 behind a small man-in-the-middle that rewrites chosen
responses, so each way a hub (or a network) can lie is shown to the real CLI.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send
from typer.testing import CliRunner

from accord.cli.main import app as cli
from accord.config import Settings
from accord.transparency import keys, note
from accord.transparency.note import Checkpoint
from tests.transparency.conftest import Publish

Rule = Callable[[bytes], bytes]


class Tamper:
    """Passes requests to the hub; rewrites the bodies of the paths given rules."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.rules: dict[str, Rule] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rule = self.rules.get(scope.get("path", "")) if scope["type"] == "http" else None
        if rule is None:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        body = bytearray()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                body.extend(message.get("body", b""))

        await self.app(scope, receive, capture)
        changed = rule(bytes(body))
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(changed)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": changed})


@pytest.fixture
def hub(app: FastAPI) -> Iterator[tuple[str, Tamper]]:
    tamper = Tamper(app)
    server = uvicorn.Server(
        uvicorn.Config(tamper, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test hub did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", tamper
    server.should_exit = True
    thread.join(10)


def accord(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def _sign(settings: Settings, size: int, root: bytes) -> str:
    signer = keys.load_signer(settings, keys.origin_for(settings))
    return note.sign_checkpoint(Checkpoint(signer.name, size, root), signer)


def test_monitor_pins_the_key_and_follows_the_log(
    hub: tuple[str, Tamper], publish: Publish, tmp_path: Path
) -> None:
    url, _ = hub
    state = tmp_path / "state.json"
    publish({"n": 1})
    code, out, err = accord("log", "verify", "--hub", url, "--state", state)
    assert code == 0, err
    assert "trusting the hub's published key on first use" in err
    assert out.strip() == "ok: testserver/log has 1 entry, signed by testserver/log"
    publish({"n": 2})
    publish({"n": 3})
    code, out, _ = accord("log", "verify", "--hub", url, "--state", state)
    assert code == 0
    assert "has 3 entries" in out
    assert "consistent with the 1 seen before" in out
    assert json.loads(state.read_text())["checkpoint"].split("\n")[1] == "3"


def test_monitor_refuses_another_key(
    hub: tuple[str, Tamper], publish: Publish, tmp_path: Path
) -> None:
    url, _ = hub
    publish({"n": 1})
    other = note.Signer("testserver/log", keys.Ed25519PrivateKey.generate()).verifier.encode()
    code, _, err = accord("log", "verify", "--hub", url, "--key", other, "--state", tmp_path / "s")
    assert code == 1
    assert err.strip() == "error: checkpoint: no signature on the note is by a trusted key"


def _seen(url: str, state: Path) -> None:
    code, _, err = accord("log", "verify", "--hub", url, "--state", state)
    assert code == 0, err


def test_rollback_is_reported_with_evidence(
    hub: tuple[str, Tamper], publish: Publish, tmp_path: Path
) -> None:
    url, tamper = hub
    state = tmp_path / "state.json"
    publish({"n": 1})
    _seen(url, state)
    old_note = json.loads(state.read_text())["checkpoint"]
    publish({"n": 2})
    _seen(url, state)
    tamper.rules["/log/checkpoint"] = lambda _: old_note.encode()
    code, _, err = accord("log", "verify", "--hub", url, "--state", state)
    assert code == 1
    assert err.startswith("error: ROLLBACK: the hub now shows a tree of 1 entries")
    evidence = list(tmp_path.glob("accord-log-evidence-*.txt"))
    assert len(evidence) == 1
    assert old_note in evidence[0].read_text()
    assert json.loads(state.read_text())["checkpoint"].split("\n")[1] == "2"  # state kept


def test_split_views_are_reported(
    hub: tuple[str, Tamper], publish: Publish, settings: Settings, tmp_path: Path
) -> None:
    url, tamper = hub
    state = tmp_path / "state.json"
    publish({"n": 1})
    publish({"n": 2})
    _seen(url, state)
    # The same size with another root, signed by the hub's own key.
    forged = _sign(settings, 2, b"\x01" * 32)
    tamper.rules["/log/checkpoint"] = lambda _: forged.encode()
    code, _, err = accord("log", "verify", "--hub", url, "--state", state)
    assert code == 1
    assert "SPLIT VIEW: two different signed trees of 2 entries" in err
    # A larger tree that does not extend the one seen: its consistency proof cannot verify.
    publish({"n": 3})
    forged = _sign(settings, 3, b"\x02" * 32)
    tamper.rules["/log/checkpoint"] = lambda _: forged.encode()
    code, _, err = accord("log", "verify", "--hub", url, "--state", state)
    assert code == 1
    assert "SPLIT VIEW: the tree of 3 entries does not extend the tree of 2" in err


def _flip_first_hash(body: bytes) -> bytes:
    parsed = json.loads(body)
    raw = bytearray(base64.b64decode(parsed["hashes"][0]))
    raw[0] ^= 1
    parsed["hashes"][0] = base64.b64encode(bytes(raw)).decode()
    return json.dumps(parsed).encode()


def test_a_tampered_consistency_proof_or_signature_fails(
    hub: tuple[str, Tamper], publish: Publish, tmp_path: Path
) -> None:
    url, tamper = hub
    state = tmp_path / "state.json"
    for n in range(3):
        publish({"n": n})
    _seen(url, state)
    for n in range(3, 6):
        publish({"n": n})
    tamper.rules["/api/v1/log/proof/consistency"] = _flip_first_hash
    code, _, err = accord("log", "verify", "--hub", url, "--state", state)
    assert code == 1
    assert "SPLIT VIEW: the tree of 6 entries does not extend" in err
    del tamper.rules["/api/v1/log/proof/consistency"]
    tamper.rules["/log/checkpoint"] = lambda body: body.replace(b"\n6\n", b"\n7\n")
    code, _, err = accord("log", "verify", "--hub", url, "--state", state)
    assert code == 1
    assert err.strip() == "error: checkpoint: the signature by testserver/log does not verify"


def test_prove_finds_a_published_file(
    hub: tuple[str, Tamper], publish: Publish, tmp_path: Path
) -> None:
    url, _ = hub
    document = {"signatory": "Example Corp", "accord": "2018"}
    publish({"other": 1})
    publish(document, subject_id="example-corp")
    path = tmp_path / "signature.json"
    path.write_text(json.dumps(document, indent=2))
    code, out, err = accord("log", "prove", path, "--hub", url, "--state", tmp_path / "s.json")
    assert code == 0, err
    assert "is entry 1 of testserver/log: registry.signature of example-corp" in out
    assert "included in the signed checkpoint of 2 entries" in out
    stranger = tmp_path / "unpublished.txt"
    stranger.write_text("never published")
    code, _, err = accord("log", "prove", stranger, "--hub", url, "--state", tmp_path / "s.json")
    assert code == 1
    assert "is not in the log of" in err


def _bundle(url: str, index: int) -> dict[str, Any]:
    import httpx

    return dict(httpx.get(f"{url}/api/v1/log/bundle/{index}").json())


def _set(bundle: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = json.loads(json.dumps(bundle))
    target = changed
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    target[last] = value(target[last]) if callable(value) else value
    return changed


def _flip_b64(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[-1] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def test_verify_bundle_offline_and_every_tampering(
    hub: tuple[str, Tamper], publish: Publish, tmp_path: Path
) -> None:
    url, _ = hub
    publish({"first": 1})
    publish({"signatory": "Example Corp"})
    publish({"last": 1})
    bundle = _bundle(url, 1)
    key = bundle["verifier_key"]
    good = tmp_path / "bundle.json"
    good.write_text(json.dumps(bundle))
    code, out, _ = accord("log", "verify-bundle", good, "--key", key)
    assert code == 0
    assert out.startswith("ok: entry 1 (registry.signature of example-org")
    held = tmp_path / "held.json"
    held.write_text(json.dumps({"signatory": "Example Corp"}))
    assert accord("log", "verify-bundle", good, "--key", key, "--document", held)[0] == 0

    cases = {
        "the bundle's document does not match": _set(bundle, "document", {"signatory": "Evil"}),
        "the entry does not hash to the bundle's leaf hash": _set(bundle, "entry", _flip_b64),
        "inclusion proof: the inclusion proof leads to another root": _set(
            bundle, "inclusion.hashes", lambda hs: [_flip_b64(hs[0]), *hs[1:]]
        ),
        "checkpoint: the signature by testserver/log does not verify": _set(
            bundle, "checkpoint", lambda n: n.replace("\n3\n", "\n4\n")
        ),
        "the inclusion proof is for entry 1 in a tree of size 3, not entry 2": _set(
            bundle, "index", 2
        ),
        "not a log bundle: inclusion": _set(bundle, "inclusion", None),
    }
    for reason, tampered in cases.items():
        path = tmp_path / "tampered.json"
        path.write_text(json.dumps(tampered))
        code, _, err = accord("log", "verify-bundle", path, "--key", key)
        assert code == 1, reason
        assert err.startswith("error: "), err
        assert reason in err, (reason, err)
        assert len(err.strip().splitlines()) == 1

    other = tmp_path / "other.json"
    other.write_text('{"signatory": "Someone else"}')
    code, _, err = accord("log", "verify-bundle", good, "--key", key, "--document", other)
    assert code == 1
    assert "is not the logged" in err
    good.write_text("not json")
    assert accord("log", "verify-bundle", good, "--key", key)[0] == 1


def test_audit_command(
    publish: Publish, settings: Settings, monkeypatch: pytest.MonkeyPatch, engine: Any
) -> None:
    from sqlalchemy import text

    publish({"n": 1})
    monkeypatch.setenv("ACCORD_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("ACCORD_DATABASE_URL", settings.database_url)
    code, out, err = accord("log", "audit")
    assert code == 0, err
    assert out.strip() == "ok: 1 entry, 1 checkpoint and 1 record agree"
    with engine.begin() as conn:
        conn.execute(text("UPDATE log_records SET subject = 'forged'"))
    code, _, err = accord("log", "audit")
    assert code == 1
    assert "the log does not hold together: record 0" in err


def test_audit_says_its_whole_sentence_in_the_terminals_language(
    publish: Publish, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish({"n": 1})
    monkeypatch.setenv("ACCORD_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("ACCORD_DATABASE_URL", settings.database_url)
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    code, out, err = accord("log", "audit")
    assert code == 0, err
    assert (
        out.strip() == "ok: 1 件のエントリ、1 件のチェックポイント、1 件のレコードが一致しています"
    )
