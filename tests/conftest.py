"""Shared fixtures: one database (SQLite by default, PostgreSQL when asked), the app, clients.

``ACCORD_TEST_DATABASE_URL`` picks the database: unset, each run uses a fresh SQLite file;
``postgresql+psycopg://postgres@127.0.0.1:5432/test`` runs the same suite on PostgreSQL.
The schema is built by the real migrations once per run, and every table is emptied after
each test, so tests exercise real commits (the unit of work, audit rows in its transaction).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

import accord.models  # noqa: F401  (every table on the metadata)
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, upgrade
from accord.identity import credentials
from accord.sharing import lookup_ranges
from accord.web.app import create_app
from tests import emptying
from tests.factories import Factories

# The hub's own password hasher (argon2id with argon2-cffi's RFC 9106 low-memory profile),
# kept for tests/identity/test_credentials_profile.py, which checks that profile.
PRODUCTION_HASHER = credentials._hasher
# In the test process passwords are argon2id too, with argon2-cffi's cheapest parameters: a
# hash and a check cost about a millisecond instead of a tenth of a second or more, and the
# suite signs in and sets passwords thousands of times. A hash carries its parameters, so a
# hub started in a child process (production parameters) still checks these.
credentials._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)

DATABASE_ENV = "ACCORD_TEST_DATABASE_URL"


def _in_memory_temp_root() -> None:
    """Keep the suite's folders (the SQLite databases among them) in memory where the machine
    offers it: a commit's fsync costs about 4 ms on this machine's disk and 13 µs on tmpfs, and
    the suite commits hundreds of thousands of times (half its time, profiled). The code
    under test is unchanged (``synchronous=FULL`` is still set); durability against power
    loss is the disk's, measured in bench/. Set before pytest picks its base folder, which
    pytest-xdist hands to its workers.
    """
    shm = Path("/dev/shm")  # noqa: S108 (a folder of our own is made inside it)
    if os.environ.get("PYTEST_DEBUG_TEMPROOT") or not os.access(shm, os.W_OK):
        return
    stats = os.statvfs(shm)
    if stats.f_bavail * stats.f_frsize < 2 * 1024**3:
        return
    os.environ["PYTEST_DEBUG_TEMPROOT"] = str(shm)


_in_memory_temp_root()

# No deadline on property tests: speed is measured in bench/, never in a test, and a slow or
# busy machine (CI beside other work) made a 200 ms deadline fail correct code.
hypothesis_settings.register_profile("accord", deadline=None)
hypothesis_settings.load_profile("accord")


def pytest_configure(config: pytest.Config) -> None:
    """Under ``-n``, workers steal queued tests from each other instead of keeping the share
    dealt to them at the start: a few tests take minutes (the whole PyPA database, imported
    or converted), and a worker dealt them late held the run while the other sat idle."""
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "worksteal"


# The fixture through which a test reaches the database under test: ``settings`` is the only
# reader of ``ACCORD_TEST_DATABASE_URL`` (``_database_url`` below; tests/test_database_reach.py
# keeps it so), and every fixture that opens that database depends on it (engine,
# session_factory, db, make, app, client, cli_settings, the live and child hubs).
DATABASE_FIXTURE = "settings"
LEFT_TO_SQLITE = "reaches no database under test: run once, in the SQLite run"


def _left_to_sqlite(item: pytest.Item) -> bool:
    """Whether the PostgreSQL run leaves ``item`` to the SQLite run.

    A test whose fixture closure lacks ``settings`` cannot reach the PostgreSQL database:
    it checks pure code, or hubs of its own on SQLite files (their environment without
    ``ACCORD_DATABASE_URL``), the same in both runs. Anything else (a doctest, say) stays.
    """
    fixturenames = getattr(item, "fixturenames", None)
    return fixturenames is not None and DATABASE_FIXTURE not in fixturenames


def pytest_report_header(config: pytest.Config) -> str | None:
    if not os.environ.get(DATABASE_ENV):
        return None
    return f"PostgreSQL run: tests without the {DATABASE_FIXTURE!r} fixture are left to SQLite"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``-n``, the slow tests run first."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items[:] = _slow_first(items, on_postgresql=bool(os.environ.get(DATABASE_ENV)))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """On PostgreSQL, skip the tests that cannot reach its database (``_left_to_sqlite``),
    before their fixtures: the SQLite run checks them, and a second run would check the
    same thing. Skipped here, they share one line of the ``-ra`` summary."""
    if os.environ.get(DATABASE_ENV) and _left_to_sqlite(item):
        pytest.skip(LEFT_TO_SQLITE)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests the PostgreSQL run left to the SQLite run (counted from the
    reports, so under ``-n`` too, where the workers collect)."""
    if not os.environ.get(DATABASE_ENV):
        return
    left = sum(
        1
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple | list) and LEFT_TO_SQLITE in str(report.longrepr[-1])
    )
    terminalreporter.write_line(
        f"PostgreSQL run: {left} tests left to the SQLite run ({LEFT_TO_SQLITE})"
    )


def _slow_first(items: list[pytest.Item], *, on_postgresql: bool) -> list[pytest.Item]:
    """The tests marked ``slow`` that will run, ahead of the rest, each group in its order.

    Workers take their share of the queue from its front and steal from the back of each
    other's: a test of minutes started last held the run's tail while the other worker sat
    idle (the whole PyPA database, converted or imported, 1 to 5 minutes on a loaded
    machine). Started first, it runs while the other worker works through the short ones,
    which are then shared out to the end. Every worker sorts the same collection the same
    way, as pytest-xdist requires. Which tests run, and what they check, is unchanged.
    """

    def slow(item: pytest.Item) -> bool:
        skipped = on_postgresql and _left_to_sqlite(item)
        return item.get_closest_marker("slow") is not None and not skipped

    return [i for i in items if slow(i)] + [i for i in items if not slow(i)]


def _database_url() -> str | None:
    """The PostgreSQL URL to test against, one database per pytest-xdist worker.

    Workers empty every table after each test, so two workers must never share a database:
    worker ``gw1`` of a run against ``.../test`` gets ``.../test_gw1``, created on first use.
    """
    url = os.environ.get(DATABASE_ENV)
    if not url:
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = make_url(url)
    name = f"{base.database}_{worker}" if worker else base.database
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test database's commits return before the server's WAL reaches the disk (a
        # server crash could lose the last ones; nothing else changes): the suite commits
        # hundreds of thousands of times, each a 4 ms fsync on this disk otherwise.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("accord-data")


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=_database_url(),
        base_url="http://testserver",
        securitytxt_allow_http=True,
        outbound_timeout_seconds=2.0,
        # Tests run jobs themselves, with a worker they drive (tests/jobs).
        worker_in_process=False,
        # Every test's client enters the lifespan: no drainer process for each of them; the
        # queue's tests start it as a hub does (tests/sharing/test_drainer_start.py).
        taxii_drainer_at_start=False,
        # Nor look-up helper processes for each test's hub: the pool's tests start their own
        # (tests/sharing/test_lookup_pool.py).
        lookup_helpers=0,
        job_backoff_base_seconds=0.01,
        job_backoff_max_seconds=0.05,
        # One checkpoint per publication, as tests read proofs right after publishing; the
        # cadence has its own tests (tests/transparency/test_cadence.py).
        log_checkpoint_seconds=0,
        # The suite's hub waits rather than refusing early: CI runs two suites on two cores,
        # and a request's expected wait there is no sign of overload. The budget has its own
        # tests (tests/web/test_admission.py), with hubs of their own.
        request_wait_budget_seconds=60,
    )


def _reset_schema(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    _reset_schema(engine)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" in request.fixturenames:
        state = request.getfixturevalue("app").state
        state.limiter.clear()
        state.queue.clear()
        # The hub secret is emptied with the tables below; a key derived from it goes too.
        state.sharing_cursor_key = None
        # Pages kept of the emptied tables go too (in a hub, versions never go back).
        state.page_cache.clear()
        state.access_cache.clear()
        if getattr(state, "osv_answers", None) is not None:
            state.osv_answers.clear()
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    with engine.begin() as conn:
        emptying.empty(conn)
    # The ranges kept for look-ups go too: emptied, the objects' version starts again.
    lookup_ranges.clear()
    # The log's last published checkpoint, kept beside the database, goes with its tables:
    # otherwise the next test's first signature would (rightly) be refused as a fork.
    data: Path = request.getfixturevalue("settings").data_dir
    (data / "transparency-published-checkpoint").unlink(missing_ok=True)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session for inspecting what requests stored.

    It only reads (so it never holds SQLite's write lock while a request wants it); call
    ``db.rollback()`` after a request to end the snapshot and see what the request wrote.
    Arrange data with the ``make`` factories, which commit as a request would.
    """
    with make_sessionmaker(engine, read_only=True)() as session:
        yield session


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app: FastAPI, engine: Engine) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def make(session_factory: sessionmaker[Session], settings: Settings) -> Factories:
    return Factories(session_factory, settings)
