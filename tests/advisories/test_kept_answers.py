"""OSV answers kept per process (``advisories.kept_answers``): any change of an advisory, its
package rows or its commit rows, written by another process, is seen by the very next query.

Each test queries twice (the second answer is served from kept matches: the test checks it
was), then changes one row in another process (plain SQL, as a second web process or an
import from the CLI would), then queries again. A trigger missing for one table or event, or
a kept answer used past its version, answers as before the change and fails here. Both
databases (the suite's).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import importer
from accord.advisories.kept_answers import KeptAnswers
from accord.db import unit_of_work
from accord.identity.models import MemberRole, TokenScope
from tests.factories import Factories

JINJA2 = {"package": {"ecosystem": "PyPI", "name": "jinja2"}, "version": "2.4.1"}
COMMIT = "0123456789abcdef0123456789abcdef01234567"
OTHER_COMMIT = "89abcdef0123456789abcdef0123456789abcdef"


def _elsewhere(app: FastAPI, *statements: str, **params: object) -> None:
    """Statements committed by another process in one transaction: only the database can
    tell this one."""
    script = (
        "import json, sys; from sqlalchemy import create_engine, text\n"
        "engine = create_engine(sys.argv[1])\n"
        "with engine.begin() as c:\n"
        "    for s in json.loads(sys.argv[2]):\n"
        "        c.execute(text(s), json.loads(sys.argv[3]))\n"
    )
    url = app.state.engine.url.render_as_string(hide_password=False)
    command = [sys.executable, "-c", script, url, json.dumps(statements), json.dumps(params)]
    subprocess.run(command, check=True)


def _ids(client: TestClient, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    answer = client.post("/v1/query", json=body, headers=headers or {})
    assert answer.status_code == 200, answer.text
    return [v["id"] for v in answer.json().get("vulns", [])]


def _kept_twice(app: FastAPI, client: TestClient, body: dict[str, Any]) -> list[str]:
    first = _ids(client, body)
    hits = app.state.osv_answers.hits
    assert _ids(client, body) == first
    assert app.state.osv_answers.hits > hits  # the second answer used kept matches
    return first


def _row_id(factory: sessionmaker[Session], osv_id: str) -> int:
    with unit_of_work(factory) as db:
        found = db.scalar(text("SELECT id FROM advisories WHERE osv_id = :o"), {"o": osv_id})
    assert found is not None
    return int(found)


def test_a_record_made_amber_elsewhere_is_hidden_next(
    app: FastAPI,
    client: TestClient,
    jinja2: importer.Report,
    make: Factories,
    session_factory: sessionmaker[Session],
) -> None:
    assert "PYSEC-2014-8" in _kept_twice(app, client, JINJA2)
    slug = make.org("Publisher")
    member = make.user()
    make.member(member, slug, MemberRole.MEMBER)
    with unit_of_work(session_factory) as db:
        org = db.scalar(text("SELECT id FROM organizations WHERE slug = :s"), {"s": slug})
    _elsewhere(
        app,
        "UPDATE advisories SET tlp = 'AMBER', organization_id = :org WHERE osv_id = :o",
        org=org,
        o="PYSEC-2014-8",
    )
    assert "PYSEC-2014-8" not in _ids(client, JINJA2)  # anonymous: no longer theirs
    community = make.bearer(make.user(), TokenScope.READ)
    assert "PYSEC-2014-8" not in _ids(client, JINJA2, community)
    # Kept matches serve each caller its own visibility: the publisher's member reads it.
    assert "PYSEC-2014-8" in _ids(client, JINJA2, make.bearer(member, TokenScope.READ))
    assert "PYSEC-2014-8" not in _ids(client, JINJA2)


def test_a_record_withdrawn_elsewhere_is_gone_next(
    app: FastAPI, client: TestClient, jinja2: importer.Report
) -> None:
    assert "PYSEC-2014-8" in _kept_twice(app, client, JINJA2)
    _elsewhere(
        app, "UPDATE advisories SET status = 'withdrawn' WHERE osv_id = :o", o="PYSEC-2014-8"
    )
    assert "PYSEC-2014-8" not in _ids(client, JINJA2)


def test_a_record_replaced_elsewhere_is_answered_as_replaced_next(
    app: FastAPI, client: TestClient, jinja2: importer.Report
) -> None:
    _kept_twice(app, client, JINJA2)
    (first,) = [
        v
        for v in client.post("/v1/query", json=JINJA2).json()["vulns"]
        if v["id"] == "PYSEC-2014-8"
    ]
    changed = json.dumps({**first, "summary": "Changed elsewhere"}, separators=(",", ":"))
    _elsewhere(app, "UPDATE advisories SET document = :d WHERE osv_id = :o", d=changed,
               o="PYSEC-2014-8")  # fmt: skip
    (now,) = [
        v
        for v in client.post("/v1/query", json=JINJA2).json()["vulns"]
        if v["id"] == "PYSEC-2014-8"
    ]
    assert now["summary"] == "Changed elsewhere"


def test_package_rows_inserted_updated_and_deleted_elsewhere_are_seen_next(
    app: FastAPI,
    client: TestClient,
    jinja2: importer.Report,
    session_factory: sessionmaker[Session],
) -> None:
    other = {"package": {"ecosystem": "PyPI", "name": "other-pkg"}, "version": "2.4.1"}
    assert _kept_twice(app, client, other) == []
    row = _row_id(session_factory, "PYSEC-2014-8")
    _elsewhere(
        app,
        "INSERT INTO advisory_packages (advisory_id, ecosystem, ecosystem_variant, name, entry)"
        " SELECT advisory_id, ecosystem, ecosystem_variant, 'other-pkg', entry"
        " FROM advisory_packages WHERE advisory_id = :a",
        a=row,
    )
    assert _ids(client, other) == ["PYSEC-2014-8"]  # inserted
    assert _kept_twice(app, client, other) == ["PYSEC-2014-8"]
    _elsewhere(
        app, "UPDATE advisory_packages SET name = 'moved' WHERE name = 'other-pkg' AND"
        " advisory_id = :a", a=row
    )  # fmt: skip
    assert _ids(client, other) == []  # updated
    assert "PYSEC-2014-8" in _kept_twice(app, client, JINJA2)
    _elsewhere(app, "DELETE FROM advisory_packages WHERE advisory_id = :a AND name = 'jinja2'",
               a=row)  # fmt: skip
    assert "PYSEC-2014-8" not in _ids(client, JINJA2)  # deleted


def test_commit_rows_inserted_updated_and_deleted_elsewhere_are_seen_next(
    app: FastAPI,
    client: TestClient,
    jinja2: importer.Report,
    session_factory: sessionmaker[Session],
) -> None:
    by_commit, by_other = {"commit": COMMIT}, {"commit": OTHER_COMMIT}
    assert _kept_twice(app, client, by_commit) == []
    assert _kept_twice(app, client, by_other) == []
    row = _row_id(session_factory, "PYSEC-2014-8")
    # The commits are ones the record names, as an import would have indexed them (a new
    # digest: compiled entries are kept by the record they came from).
    with unit_of_work(session_factory) as db:
        document = db.scalar(text("SELECT document FROM advisories WHERE id = :a"), {"a": row})
    entry = json.loads(str(document))["affected"][0]
    entry["versions"] = [*entry.get("versions", []), COMMIT, OTHER_COMMIT]
    _elsewhere(
        app,
        "UPDATE advisory_packages SET entry = :e WHERE advisory_id = :a",
        "UPDATE advisories SET document_sha256 = :d WHERE id = :a",
        "INSERT INTO advisory_commits (advisory_id, commit_hash) VALUES (:a, :c)",
        e=json.dumps(entry),
        d="0" * 64,
        a=row,
        c=COMMIT,
    )
    assert _ids(client, by_commit) == ["PYSEC-2014-8"]  # inserted
    assert _kept_twice(app, client, by_commit) == ["PYSEC-2014-8"]
    assert _kept_twice(app, client, by_other) == []
    _elsewhere(app, "UPDATE advisory_commits SET commit_hash = :o WHERE commit_hash = :c",
               o=OTHER_COMMIT, c=COMMIT)  # fmt: skip
    assert _ids(client, by_commit) == []  # updated
    assert _ids(client, by_other) == ["PYSEC-2014-8"]
    assert _kept_twice(app, client, by_other) == ["PYSEC-2014-8"]
    _elsewhere(app, "DELETE FROM advisory_commits WHERE commit_hash = :o", o=OTHER_COMMIT)
    assert _ids(client, by_other) == []  # deleted


def test_kept_matches_stay_within_their_cap_whatever_the_keys_length() -> None:
    # Anonymous callers choose the keys (names and versions up to 500 characters, 1,000
    # queries a batch): what the kept matches hold in memory is counted against the cap,
    # keys included (they were once counted as 200 bytes each, some six times too few).
    cap = 4 * 1024 * 1024
    kept = KeptAnswers(cap)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(20_000):
            kept.keep_matches(1, ("PyPI", f"{i:08d}" + "n" * 492, f"{i:08d}" + "v" * 492, ""), ())
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept._bytes <= cap
    assert held <= 1.5 * cap, held
