"""OSV answers kept per process are byte for byte the answers computed afresh, and both are
those of the code before answers were kept (2026-12-07: digests in ``osv_answers.json``).

300 real PyPA records, some made GREEN, AMBER or RED of one of two publishers, some
withdrawn; about 1,300 queries (each affected package with listed, fixed and unknown
versions, without a version, by purl, by commit; a few that match nothing), answered to four
callers (anonymous, a signed-in account, a member of one publisher, an operator), one by one
with full records and as batches with ids and with full records.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import importer, osv_api, querying
from accord.db import unit_of_work
from accord.identity.models import MemberRole
from accord.identity.policy import ANONYMOUS, Actor
from accord.prepared import Reading
from tests.advisories.conftest import VULNS, import_path
from tests.factories import Factories

STORED = Path(__file__).with_name("osv_answers.json")
RECORDS = 300


def bodies() -> list[dict[str, Any]]:
    """The wire queries, from the first records' affected entries (deterministic)."""
    found: list[dict[str, Any]] = []
    for path in sorted(VULNS.rglob("*.yaml"))[:RECORDS]:
        for entry in importer.parse(path.read_text(), name=path.name).get("affected") or []:
            package = {"ecosystem": "PyPI", "name": entry["package"]["name"]}
            listed = (entry.get("versions") or [])[:3]
            fixed = [
                e["fixed"] for r in entry.get("ranges") or [] for e in r["events"] if "fixed" in e
            ][:1]
            for version in [*listed, *fixed, "0.0.0.dev1", "not a version"]:
                found.append({"package": package, "version": version})
            found.append({"package": package})
            found.append({"package": {"purl": f"pkg:pypi/{package['name']}@{listed[0]}"}}
                         if listed else {"package": package, "version": "1.0"})  # fmt: skip
            for r in entry.get("ranges") or []:
                if r["type"] == "GIT":
                    found += [{"commit": e["introduced"]} for e in r["events"]
                              if e.get("introduced", "0") != "0"][:1]  # fmt: skip
    found.append({"package": {"ecosystem": "PyPI", "name": "no-such-package"}, "version": "1"})
    found.append({"commit": "f" * 40})
    return found


def arrange(factory: sessionmaker[Session], folder: Path, make: Factories) -> dict[str, Actor]:
    """Import the records, vary their TLP, publisher and status; the callers."""
    for path in sorted(VULNS.rglob("*.yaml"))[:RECORDS]:
        shutil.copy(path, folder / path.name)
    import_path(factory, folder)
    first, second = make.org("Publisher A"), make.org("Publisher B")
    member = make.user()
    make.member(member, first, MemberRole.MEMBER)
    with unit_of_work(factory) as db:
        orgs = [
            db.scalar(text("SELECT id FROM organizations WHERE slug = :s"), {"s": slug})
            for slug in (first, second)
        ]
        user = db.scalar(text("SELECT id FROM users WHERE username = :u"), {"u": member.username})
        ids = db.scalars(text("SELECT id FROM advisories ORDER BY osv_id")).all()
        for index, row in enumerate(ids):
            tlp = {0: "GREEN", 1: "AMBER", 2: "RED", 3: "AMBER+STRICT"}.get(index % 7)
            if tlp is not None:
                db.execute(
                    text("UPDATE advisories SET tlp = :t, organization_id = :o WHERE id = :i"),
                    {"t": tlp, "o": orgs[index % 2], "i": row},
                )
            if index % 11 == 5:
                db.execute(text("UPDATE advisories SET status = 'withdrawn' WHERE id = :i"),
                           {"i": row})  # fmt: skip
    assert user is not None
    assert all(o is not None for o in orgs)
    return {
        "anonymous": ANONYMOUS,
        "signed in": Actor(user_id=10_000, username="someone"),
        "member": Actor(user_id=user, username=member.username,
                        roles={int(orgs[0]): MemberRole.MEMBER}),  # type: ignore[arg-type]
        "operator": Actor(user_id=10_001, username="operator", is_operator=True),
    }  # fmt: skip


def answers(
    engine: Engine, actors: dict[str, Actor], kept: Any = None
) -> Iterator[tuple[str, bytes]]:
    """Every answer, named by caller and kind (``kept``: an ``advisories.kept_answers``)."""
    queries = [osv_api.to_query(osv_api.QueryIn.model_validate(b)) for b in bodies()]
    extra = {"kept": kept} if kept is not None else {}
    for name, actor in actors.items():
        with Reading(engine) as db:
            for index, query in enumerate(queries):
                body = osv_api.answer(db, [query], actor=actor, full=True, batch=False, **extra)
                yield f"{name} query {index}", _bytes(body)
            for full in (False, True):
                body = osv_api.answer(db, queries, actor=actor, full=full, batch=True, **extra)
                yield f"{name} batch full={full}", _bytes(body)


def digests(named: Iterator[tuple[str, bytes]]) -> dict[str, str]:
    """One SHA-256 per caller and kind (the single queries of a caller in one)."""
    found: dict[str, Any] = {}
    for name, body in named:
        key = name.rsplit(" ", 1)[0] if " query " in name else name
        found.setdefault(key, hashlib.sha256()).update(body + b"\n")
    return {key: digest.hexdigest() for key, digest in found.items()}


def _bytes(body: str | bytes) -> bytes:
    return body.encode() if isinstance(body, str) else body


@pytest.fixture
def world(
    session_factory: sessionmaker[Session], tmp_path: Path, make: Factories
) -> dict[str, Actor]:
    return arrange(session_factory, tmp_path, make)


def test_kept_answers_are_the_answers_computed_afresh_and_before(
    engine: Engine, world: dict[str, Actor]
) -> None:
    from accord.advisories.kept_answers import KeptAnswers

    fresh = dict(answers(engine, world))
    assert len(fresh) > 4 * 1000
    kept = KeptAnswers(64 * 1024 * 1024)
    assert dict(answers(engine, world, kept)) == fresh  # read and kept
    misses = kept.misses
    assert dict(answers(engine, world, kept)) == fresh  # served from what was kept
    assert kept.hits > 4 * 1000
    assert kept.misses == misses
    tight = KeptAnswers(50_000)  # dropped and built again many times over
    assert dict(answers(engine, world, tight)) == fresh
    assert digests(iter(fresh.items())) == json.loads(STORED.read_text())


def test_a_query_reads_no_rows_when_its_answer_is_kept(engine: Engine) -> None:
    from accord.advisories.kept_answers import KeptAnswers

    kept = KeptAnswers(1024)
    query = querying.Query(ecosystem="PyPI", name="x", version="1")
    with Reading(engine) as db:
        version = kept.version(db)
        kept.keep_matches(version, ("PyPI", "x", "1", None), ())
        assert (
            querying.run(db, [query], actor=ANONYMOUS, kept=kept, version=version)[0].matches == []
        )
        assert kept.hits == 1
        assert kept.matches(version + 1, ("PyPI", "x", "1", None)) is None
