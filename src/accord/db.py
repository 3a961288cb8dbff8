"""Storage: the declarative base, engines for SQLite and PostgreSQL, sessions and migrations.

The engine and session factory are built from settings and handed to whoever needs them (the
web app keeps them on ``app.state``; the CLI builds its own); no module-level engine exists.
"""

from __future__ import annotations

import enum
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, DateTime, Engine, Enum, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from accord import jsonio
from accord.config import RESERVED_CONNECTIONS, SQLITE_CACHE_KIB, Settings
from accord.errors import N_, ConfigError, Overloaded
from accord.sqlite_pragmas import sqlite_pragmas

if TYPE_CHECKING:
    from alembic.config import Config

# Stable constraint names, so that migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def str_enum(cls: type[enum.StrEnum], name: str) -> Enum:
    """A column type for a string enum: plain strings with a CHECK constraint.

    Portable (no native PostgreSQL enum type to migrate) and readable in SQL.
    """
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda e: [m.value for m in e],
    )


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no time zones; PostgreSQL's ``timestamptz`` has. Storing naive UTC on both and
    attaching UTC on the way out keeps comparisons identical across the two.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is UTC:
            return value.replace(tzinfo=None)  # the common case, without astimezone's cost
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        to_utc = self.process_bind_param

        # SQLite stores the text SQLAlchemy's DATETIME writes ("2024-01-31 12:00:00.000000"),
        # which isoformat writes in one C call; the composed processors filled a format string
        # from a dictionary, per timestamp (8% of the queue drainer's samples at a million
        # objects, two timestamps a row). tests/test_db.py holds the two to the same text.
        def process(value: datetime | None) -> str | None:
            if value is not None and value.tzinfo is UTC:
                return value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"
            naive = to_utc(value, dialect)
            return None if naive is None else naive.isoformat(" ", "microseconds")

        return process


# The connections a TAXII queue drainer process opens on PostgreSQL: its batch's transaction
# and the queue's (the same database there), one at a time each.
DRAINER_CONNECTIONS = 2
# A look-up helper's (accord.sharing.lookup_pool): its slice's transaction, and the one in
# which the stored ranges are read now and then (accord.sharing.lookup_ranges).
LOOKUP_HELPER_CONNECTIONS = 2


def make_engine(
    settings: Settings, *, connections: int | None = None, server_options: str | None = None
) -> Engine:
    """Create the engine for the configured database, with SQLite set up for durability.

    The pool is sized with the web process's admitted requests and threads
    (``Settings.db_pool_size``): a request let in never waits for a connection, and a wait
    that does happen (the pool used from elsewhere) ends after ``db_pool_timeout_seconds``
    in :class:`~accord.errors.Overloaded` (503 with Retry-After), never in a hang.
    ``connections`` bounds the pool instead, for a process that is not a web process (the
    queue's drainer): PostgreSQL's connections are shared by every process of the hub.
    ``server_options``: PostgreSQL settings for every connection (libpq's ``options``, as
    ``-c name=value``), set at its start without a statement; ignored on SQLite.
    """
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return _sqlite(url, settings=settings, connections=connections)
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size if connections is None else connections,
        max_overflow=settings.db_max_overflow if connections is None else 0,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_args={"options": server_options} if server_options else {},
        **_JSON,
    )


def connections_needed(settings: Settings, *, processes: int) -> int:
    """The PostgreSQL connections ``processes`` web processes, their drainers and their
    look-up helpers (``accord.sharing.lookup_pool``) may open."""
    helpers = settings.lookup_helper_processes * LOOKUP_HELPER_CONNECTIONS
    own = settings.db_connections + DRAINER_CONNECTIONS + helpers
    return processes * own


def server_limits(conn: Connection) -> tuple[int, int]:
    """PostgreSQL's ``max_connections`` and the connections it reserves for superusers."""
    limit = int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
    reserved = int(conn.exec_driver_sql("SHOW superuser_reserved_connections").scalar_one())
    return limit, reserved


def fitted_lookup_helpers(engine: Engine, settings: Settings, *, processes: int) -> int | None:
    """Fewer look-up helpers than the automatic count (the cores less one) when PostgreSQL
    has no room for that many beside ``processes`` web processes: the count that fits, even
    none; None when nothing needs to change (SQLite, a count the operator set, room enough).
    The automatic count is what a large look-up could use, not what the operator asked for:
    a hub that serves look-ups in one process beats one that will not start."""
    if engine.dialect.name != "postgresql" or settings.lookup_helpers is not None:
        return None
    with engine.connect() as conn:
        limit, reserved = server_limits(conn)
    room = limit - reserved
    if connections_needed(settings, processes=processes) <= room:
        return None
    without = settings.model_copy(update={"lookup_helpers": 0})
    spare = room - connections_needed(without, processes=processes)
    return max(spare // (processes * LOOKUP_HELPER_CONNECTIONS), 0)


def check_connection_budget(engine: Engine, settings: Settings, *, processes: int) -> str | None:
    """Fail at start, naming the settings, if PostgreSQL can never take every connection the
    hub's processes may open: past ``max_connections`` a request is refused a connection
    ("too many clients") at the worst moment, under load, instead of once, at start.

    Connections other clients hold now only warn (the message returned): they come and go
    (a test run, a backup, a restarted hub's old pool), and refusing to start for them would
    make a restart fail at random."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        limit, reserved = server_limits(conn)
        # Others' connections (another hub's, an `accord worker`'s), not this one, closed next.
        others = int(
            conn.exec_driver_sql(
                "SELECT count(*) - 1 FROM pg_stat_activity WHERE backend_type = 'client backend'"
            ).scalar_one()
        )
    needed = connections_needed(settings, processes=processes)
    said = (
        f"{processes} web process(es) may open {needed} PostgreSQL connections "
        f"({settings.db_connections} each: 2 x ACCORD_MAX_REQUESTS_IN_FLIGHT "
        f"+ ACCORD_MAX_WRITES_IN_FLIGHT + {RESERVED_CONNECTIONS}, and "
        f"{DRAINER_CONNECTIONS} for its TAXII queue drainer, "
        f"{LOOKUP_HELPER_CONNECTIONS} for each of its {settings.lookup_helper_processes} "
        "look-up helpers: ACCORD_LOOKUP_HELPERS)"
    )
    if needed > limit - reserved:
        raise ConfigError(
            f"{said}, but the server has room for {limit - reserved} (max_connections {limit}, "
            f"{reserved} reserved for superusers): lower those settings or --workers, or "
            "raise max_connections"
        )
    if needed > limit - reserved - others:
        return (
            f"{said}, and other clients hold {others} of the {limit - reserved} the server "
            "allows now: under load some requests may be refused a connection"
        )
    return None


def _json_dumps(value: Any) -> str:
    # JSON columns through orjson: a TAXII status lists a thousand objects, and the standard
    # library's encoder took a tenth of what storing them cost (see accord.jsonio).
    return jsonio.dumps(value).decode()


_JSON = {"json_serializer": _json_dumps}


def sqlite_engine(path: Path) -> Engine:
    """An engine on the SQLite file at ``path``, set up like the hub's own."""
    return _sqlite(f"sqlite:///{path.resolve()}")


def side_store(settings: Settings, hub_engine: Engine, name: str, *tables: Any) -> Engine:
    """The engine of a store that must never wait for the hub database's write lock.

    On SQLite, a side file of the data directory (``name``), created with ``tables``: SQLite
    has one writer at a time, and a request holding the hub's write lock (or a batch being
    stored) would otherwise hold these writes back. On PostgreSQL, the hub database itself,
    whose migrations created the tables, shared by every process.
    """
    if hub_engine.dialect.name != "sqlite":
        return hub_engine
    engine = _sqlite(f"sqlite:///{(settings.data_dir / name).resolve()}", settings=settings)
    for table in tables:
        table.create(engine, checkfirst=True)
    return engine


def _sqlite(
    url: str, *, settings: Settings | None = None, connections: int | None = None
) -> Engine:
    # A pool as deep as the requests one process serves at once: a connection beyond the pool
    # is closed when returned, and opening one (the file, WAL, the pragmas, the memory map)
    # costs more than the query it was opened for.
    wait = settings.db_pool_timeout_seconds if settings else 30.0
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=connections or (settings.db_pool_size if settings else 20),
        max_overflow=0 if connections else (settings.db_max_overflow if settings else 20),
        pool_timeout=wait,
        **_JSON,
    )
    cache_kib = settings.sqlite_cache_kib if settings else SQLITE_CACHE_KIB
    event.listen(engine, "connect", functools.partial(sqlite_pragmas, cache_kib=cache_kib))
    # pysqlite opens transactions lazily and not for reads; take over so that a
    # write transaction starts with BEGIN IMMEDIATE and writers queue instead of failing.
    turn = WriteTurn(wait)
    event.listen(engine, "begin", turn.begin)
    event.listen(engine, "checkin", turn.checkin)
    return engine


_HOLDS_TURN = "accord_write_turn"


class WriteTurn:
    """The one writer of an SQLite engine in this process, and the line the others wait in.

    Reads (sessions opened with READ_ONLY) share the database; writes take the write lock up
    front with BEGIN IMMEDIATE, so that two writers never deadlock on a lock upgrade. Without
    a line of its own, a writer that finds the lock taken sleeps in SQLite's busy handler
    (1, 2, 5, ... up to 100 ms between tries) and wakes late; under load the writers of one
    process then took turns slower than they wrote. Here they wait on a lock handed over as
    soon as the holder's connection is back in the pool (after its COMMIT or ROLLBACK), and
    only other processes (the queue's drainer, the CLI) are met through the busy handler.
    A writer that waits past ``seconds`` gets :class:`~accord.errors.Overloaded` (503).

    The lock is not fair: a thread writing in a loop takes it back as soon as it lets it go,
    and a writer that comes once a second (the log's cadence) waited out its ``seconds`` and
    failed behind a steady stream of publications. A writer marked :data:`FIRST` goes first:
    while one waits, the others wait for it before they ask for the lock.
    """

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._seconds = seconds
        self._first = 0  # FIRST writers waiting
        self._no_first = threading.Event()  # set while none waits
        self._no_first.set()
        self._counting = threading.Lock()

    def begin(self, conn: Any) -> None:
        """The engine's ``begin`` event: BEGIN, or BEGIN IMMEDIATE once this writer's turn."""
        options = conn.get_execution_options()
        if options.get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        # A connection keeps its turn until it is checked in: a second transaction on it (a
        # commit, then more work) must not wait for itself.
        if not conn.info.get(_HOLDS_TURN):
            if options.get(FIRST):
                taken = self._take_first()
            else:
                taken = self._no_first.wait(self._seconds) and self._lock.acquire(
                    timeout=self._seconds
                )
            if not taken:
                raise Overloaded(N_("the hub is busy writing; try again shortly"))
            conn.info[_HOLDS_TURN] = True
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    def _take_first(self) -> bool:
        with self._counting:
            self._first += 1
            self._no_first.clear()
        try:
            return self._lock.acquire(timeout=self._seconds)
        finally:
            with self._counting:
                self._first -= 1
                if not self._first:
                    self._no_first.set()

    def checkin(self, _dbapi_connection: Any, record: Any) -> None:
        """The pool's ``checkin`` event: the transaction is over, the next writer may go."""
        if record.info.pop(_HOLDS_TURN, False):
            self._lock.release()


READ_ONLY = "accord_read_only"
# A writer that goes before the others waiting for SQLite's write turn (WriteTurn).
FIRST = "accord_write_first"


def make_sessionmaker(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """A session factory bound to ``engine``; sessions keep objects readable after commit.

    ``read_only`` sessions begin every transaction as a plain (deferred) BEGIN on SQLite, so
    that readers never hold the write lock; the option rides on every connection they check
    out, not only the first.
    """
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed if the block succeeds, rolled back if it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration pointing at the packaged migrations and this engine."""
    # Alembic is imported here, not at the top: only migrating needs it, and importing it
    # costs every CLI command a few hundred milliseconds.
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("accord") / "migrations"))
    # Dated file names: the folder reads as a history, whatever the domain.
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision of every domain's migration branch."""
    from alembic import command

    command.upgrade(alembic_config(engine), "heads")
