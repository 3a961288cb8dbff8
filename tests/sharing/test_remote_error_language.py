"""A remote's and a push target's last error: the English record kept for logs and the
command line, and the same message by its id and values, which the federation pages say in
their reader's language."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from accord.cli.main import app as cli
from accord.config import Settings
from accord.errors import N_, Message, Sentences
from accord.i18n import translations
from accord.jobs.registry import JobContext
from accord.message_records import message_from, record
from accord.sharing import push, remotes
from accord.sharing.federation import RemoteError
from accord.sharing.models import PushTarget, Remote
from accord.sharing.pull_handlers import run_pull
from tests.factories import Factories
from tests.sharing.conftest import SharingWorld
from tests.sharing.test_pull_addresses import _collection_id, _org_id
from tests.sharing.test_pull_pages import PAGE

ES = translations("es").gettext
JA = translations("ja").gettext
FEDERATION = "/admin/sharing/federation"


def test_a_message_kept_as_json_is_said_again_by_its_id_with_its_values() -> None:
    status = Message(
        N_("%(url)s answered %(status_code)s"), url="https://peer.example/", status_code=401
    )
    nested = Message(
        N_("%(url)s: refused: %(message)s (allow the hub's own network with "
           "--allow-private-network)"),
        url="http://10.0.0.1/",
        message=Message(N_("%(host)s resolves to a non-public address"), host="10.0.0.1"),
    )  # fmt: skip
    for message in (status, nested, Sentences([status, N_("not a valid URL")])):
        kept = record(message)
        assert kept is not None
        again = message_from(kept, str(message))
        assert str(again) == str(message)  # the same English record
        assert again.translated(ES) == message.translated(ES)  # type: ignore[attr-defined]
    assert message_from(record(nested), None).translated(ES) == (  # type: ignore[union-attr]
        "http://10.0.0.1/: rechazado: 10.0.0.1 se resuelve en una dirección no pública "
        "(permita la red propia del hub con --allow-private-network)"
    )
    assert record("plain text") is None
    assert message_from(None, "plain text") == "plain text"
    assert message_from({"msgid": "%(gone)s"}, "the record") == "the record"  # damaged


def _last_error_cell(html: str, name: str) -> str:
    row = re.search(rf">{re.escape(name)}</a>.*?</tr>", html, re.S)
    assert row, f"no row for {name}"
    label = "(?:Last error|Último error|最後のエラー)"
    found = re.search(rf'<td data-label="{label}">(.*?)</td>', row.group(0), re.S)
    assert found, f"no last error cell for {name}"
    return found.group(1)


def test_the_pages_say_a_remotes_and_a_targets_last_error_in_the_viewers_language(
    world: SharingWorld,
    make: Factories,
    client: TestClient,
    session_factory: sessionmaker[Session],
) -> None:
    make.session(client, make.user("reader9", operator=True))
    with session_factory.begin() as writing:
        collection, org = _collection_id(writing, world), _org_id(writing, world)
        failed = Remote(
            name="failed",
            api_root="https://peer.example/taxii2/",
            remote_collection="c1",
            collection_id=collection,
            organization_id=org,
        )
        old = Remote(
            name="old",
            api_root="https://old.example/taxii2/",
            remote_collection="c2",
            collection_id=collection,
            organization_id=org,
        )
        target = PushTarget(
            name="pushed", api_root="https://peer.example/taxii2/", collection_id=collection,
            organization_id=org, max_tlp="green",
        )  # fmt: skip
        writing.add_all([failed, old, target])
        status = Message(
            N_("%(url)s answered %(status_code)s"),
            url="https://peer.example/taxii2/collections/c1/objects/", status_code=401,
        )  # fmt: skip
        remotes.keep_error(failed, RemoteError(status).message)
        push.keep_error(target, RemoteError(status).message)
        old.last_error = "stored before its message was kept"  # a row from before: English
    with session_factory() as reading:
        kept = reading.scalars(select(Remote).where(Remote.name == "failed")).one()
        assert kept.last_error == "https://peer.example/taxii2/collections/c1/objects/ answered 401"
        assert kept.last_error_said == {
            "msgid": "%(url)s answered %(status_code)s",
            "params": {
                "url": "https://peer.example/taxii2/collections/c1/objects/",
                "status_code": 401,
            },
        }
    english = client.get(PAGE).text
    assert "objects/ answered 401" in _last_error_cell(english, "failed")
    for language, said in (
        ("es", "https://peer.example/taxii2/collections/c1/objects/ respondió 401"),
        ("ja", "https://peer.example/taxii2/collections/c1/objects/ は 401 を返しました"),
    ):
        page = client.get(PAGE, headers={"Accept-Language": language}).text
        cell = _last_error_cell(page, "failed")
        assert said in cell
        assert "answered" not in cell
        assert _last_error_cell(page, "old") == (
            '<span lang="en">stored before its message was kept</span>'
        )
        federation = client.get(FEDERATION, headers={"Accept-Language": language}).text
        assert said in federation
        assert "answered 401" not in federation


def test_a_pull_the_job_ran_keeps_its_refusal_as_a_message(
    world: SharingWorld,
    settings: Settings,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    assert not settings.outbound_allow_private_addresses
    with session_factory.begin() as writing:
        remote = Remote(name="inside", api_root="http://127.0.0.1:9/taxii2/",
                        remote_collection="c1", collection_id=_collection_id(writing, world),
                        organization_id=_org_id(writing, world))  # fmt: skip
        writing.add(remote)
    context = JobContext(settings, session_factory, session_factory, job_id=0, attempt=1)
    with pytest.raises(RemoteError):
        run_pull(context, {"remote_id": remote.id})
    db.rollback()
    kept = db.scalars(select(Remote).where(Remote.name == "inside")).one()
    assert kept.last_error == "127.0.0.1 resolves to a non-public address"  # the record
    said = kept.last_error_message
    assert said.translated(JA) == "127.0.0.1 は公開されていないアドレスに解決されます"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("language", "schedule", "on_demand", "pushed", "ok"),
    [
        ("C.UTF-8", "every 30 minutes", "on demand", "3 objects pushed", "ok"),
        ("es_ES.UTF-8", "cada 30 minutos", "a petición", "3 objetos enviados", "correcto"),
        (
            "ja_JP.UTF-8",
            "30 分ごと",
            "依頼があったときのみ",
            "送信済みオブジェクト 3 件",
            "問題なし",
        ),
    ],
)
def test_the_listings_say_a_schedule_a_count_and_ok_in_the_terminals_language(
    world: SharingWorld,
    settings: Settings,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    schedule: str,
    on_demand: str,
    pushed: str,
    ok: str,
) -> None:
    with session_factory.begin() as writing:
        collection, org = _collection_id(writing, world), _org_id(writing, world)
        writing.add_all([
            Remote(name="hourly", api_root="https://peer.example/taxii2/", remote_collection="c1",
                   collection_id=collection, organization_id=org, every_minutes=30),
            Remote(name="asked", api_root="https://peer.example/taxii2/", remote_collection="c2",
                   collection_id=collection, organization_id=org),
            PushTarget(name="sent", api_root="https://peer.example/taxii2/",
                       collection_id=collection, organization_id=org, max_tlp="green",
                       pushed=3, every_minutes=30),
        ])  # fmt: skip
    monkeypatch.setenv("ACCORD_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ACCORD_DATABASE_URL", settings.resolved_database_url)
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", language)
    run = CliRunner()
    listed = run.invoke(cli, ["sharing", "remotes"])
    assert listed.exit_code == 0, listed.output
    # The console writes the columns' tabs as spaces: each row is read by its words.
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert schedule in rows["hourly"]
    assert rows["hourly"].endswith(ok)
    assert on_demand in rows["asked"]
    listed = run.invoke(cli, ["sharing", "push", "list"])
    assert listed.exit_code == 0, listed.output
    (row,) = [line for line in listed.stdout.splitlines() if line.startswith("sent")]
    assert pushed in row
    assert schedule in row
    assert row.endswith(ok)
