"""SQLAlchemy Core statements compiled once and run on the session's own DBAPI cursor.

The TAXII read path runs four small indexed statements a request (the caller's token, the
collection's rights, the reader's facts, the page). Through
``Session.execute`` each one paid several times what the database takes to answer it: the
ORM's compile state, the cache look-up, an execution context, a result object, a type
processor per value (a timezone attached to every timestamp). Here a statement is built with
SQLAlchemy (so the TLP filter is still the one rule of ``accord.sharing.visibility``),
compiled once per dialect, its expanding ``IN`` lists rendered once per list length, and run
with the driver's cursor inside the session's transaction. Rows come back as the driver gives
them (callers read only columns whose raw values mean the same on SQLite and PostgreSQL, and
timestamps through :func:`timestamp`), or with ``typed=True`` through the columns' types, as
the ORM would return them. Reads made only of such statements (a TAXII page, the OSV query) run
in a :class:`Reading`, a read transaction on the pool's driver connection without a session.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Hashable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import Compiled
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement


class Reading:
    """A read-only transaction on a pooled driver connection, without an ORM session.

    For the hot reads whose statements all run through this module (a TAXII page, the OSV
    query): a ``Session``'s open, BEGIN (through the engine's events and an execution context)
    and close cost about 80 µs of CPU in a warm loop, the same checkout, BEGIN, ROLLBACK and
    checkin on the driver's connection about 14 (docs/benchmarks.md). The transaction is the
    same as a read-only session's: on SQLite a deferred BEGIN (a reader never takes the write
    turn; its snapshot is taken at its first statement and held to the end), on PostgreSQL
    the driver's own transaction, begun by the first statement. It is rolled back by the
    pool's reset when the connection goes back (``close``, also on an error); a connection
    the reset cannot roll back is invalidated there. A checkout that waits past the pool's
    timeout raises the pool's ``TimeoutError``, as a session's would (503 with Retry-After).
    """

    __slots__ = ("_connection", "_kept", "access", "access_version", "dialect", "on_loop")

    def __init__(
        self,
        engine: Engine,
        access: KeptRows | None = None,
        connections: ReadConnections | None = None,
        *,
        on_loop: bool = False,
    ) -> None:
        self.dialect: Dialect = engine.dialect
        # Rows of the caller's access kept by the process (``kept_rows``), and their version
        # as this transaction reads it (read once, at the first of them).
        self.access = access
        self.access_version: int | None = None
        # On the event loop (``ReadConnections.take_on_loop``): only bounded reads may run.
        self.on_loop = on_loop
        if on_loop:
            kept = connections.take_on_loop() if connections is not None else None
            if kept is None:
                raise OffLoop
        else:
            kept = connections.take() if connections is not None else None
        self._kept = connections if kept is not None else None
        # Else the pool's checkout (and pre-ping).
        self._connection = kept if kept is not None else engine.raw_connection()
        if self.dialect.name == "sqlite":
            try:
                # The pragmas turned pysqlite's own transactions off (accord.db): BEGIN here,
                # so that every statement of the read sees one snapshot.
                driver = self._connection.driver_connection
                assert driver is not None  # a checked-out connection has its driver's
                driver.execute("BEGIN")
            except BaseException:
                self.close()
                raise

    def cursor(self) -> Any:
        """A driver cursor inside this transaction."""
        return self._connection.cursor()

    def close(self) -> None:
        """End the transaction: the connection goes back to the pool, which rolls it back (or
        to the kept ones, rolled back there)."""
        if self._kept is not None:
            if self.on_loop:
                self._kept.give_on_loop(self._connection)
            else:
                self._kept.give(self._connection)
        else:
            self._connection.close()

    def __enter__(self) -> Reading:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class OffLoop(Exception):
    """A reading on the event loop met work that must run in a worker thread instead."""


def leave_loop(db: Reads) -> None:
    """Give up a reading on the event loop (``OffLoop``) where it would need more than point
    reads; a reading elsewhere goes on."""
    if isinstance(db, Reading) and db.on_loop:
        raise OffLoop


class ReadConnections:
    """SQLite connections kept between bare readings, taken and given back without the
    pool's checkout and check-in.

    A pool's checkout and check-in (its lock and queue, the connection's record, the events,
    the reset) cost a kept TAXII page about as much as its version statement
    (docs/benchmarks.md). The connections come from a pool of their own (the engine's pool
    recreated: the same connect events and pragmas, the same bounds), so that those kept idle
    here never leave a session of the hub's pool waiting. Each is rolled back when given back
    (a failed rollback returns it to its pool, which resets or discards it), so no read
    transaction outlives its reading. At most ``keep`` are kept idle; more taken at once are
    given back to their pool. PostgreSQL keeps the pool's path: its checkout pings the server,
    which a kept connection would not.

    One of the kept connections becomes the event loop's own (:meth:`take_on_loop`), for the
    reads short enough to run there (``sharing.reading``): its busy timeout is 0, so a
    statement that would wait for a lock fails at once instead of stalling the loop, and the
    read is done again in a worker thread. It is taken from the idle ones in a worker thread
    (:meth:`prepare_loop`), never connected on the loop.
    """

    def __init__(self, engine: Engine, keep: int) -> None:
        self.keep = keep if engine.dialect.name == "sqlite" else 0
        self._pool = engine.pool.recreate() if self.keep > 0 else None
        # ``list.append`` and ``list.pop`` are atomic: worker threads share it without a lock.
        self._idle: list[Any] = []
        # The loop's connection: taken and given back on the loop's thread only.
        self._loop: Any | None = None
        self._loop_made = False
        self._making = threading.Lock()

    def ready_on_loop(self) -> bool:
        """Whether the loop's connection is there to be taken."""
        return self._loop is not None

    def take_on_loop(self) -> Any | None:
        """The loop's connection (on the loop's thread), or None while it is not made."""
        connection, self._loop = self._loop, None
        return connection

    def give_on_loop(self, connection: Any) -> None:
        """End the loop's connection's transaction and keep it for the loop's next reading."""
        try:
            connection.driver_connection.rollback()
        except Exception:
            # Discarded, not given back: its busy timeout of 0 must not reach a thread's read.
            connection.invalidate()
            self._loop_made = False  # taken again by the next reading in a worker thread
            return
        self._loop = connection

    def prepare_loop(self) -> None:
        """Make the loop's connection once, in a worker thread, of a connection kept idle:
        never a connect, which may wait on the pool (its bound is the pool's, shared with the
        worker threads' readings). Never raises: the reading that calls it is answered."""
        if self._loop_made or self._pool is None:
            return
        with self._making:
            if self._loop_made:
                return
            try:
                connection = self._idle.pop()
            except IndexError:
                return
            try:
                connection.driver_connection.execute("PRAGMA busy_timeout=0")
            except Exception:
                connection.invalidate()
                return
            self._loop_made = True
            self._loop = connection

    def take(self) -> Any | None:
        """An idle connection, or one from the pool; None when none are kept."""
        if self._pool is None:
            return None
        try:
            return self._idle.pop()
        except IndexError:
            return self._pool.connect()

    def give(self, connection: Any) -> None:
        """End ``connection``'s transaction and keep it for the next reading."""
        try:
            connection.driver_connection.rollback()
        except Exception:
            connection.close()  # its pool's reset rolls back again, or discards it
            return
        if len(self._idle) < self.keep:
            self._idle.append(connection)
        else:
            connection.close()

    def close(self) -> None:
        """Close every idle connection (the app's end)."""
        loop, self._loop = self._loop, None
        self._loop_made = False
        if loop is not None:
            loop.invalidate()
        while self._idle:
            self._idle.pop().close()
        if self._pool is not None:
            self._pool.dispose()


_T = TypeVar("_T")


class KeptRows(Protocol):
    """Rows of statements kept across requests while what they read is unchanged
    (``accord.identity.access_cache``)."""

    def rows(
        self, db: Reading, statement: ClauseElement, params: Mapping[str, Any], *, typed: bool
    ) -> list[tuple[Any, ...]]: ...

    def built(self, db: Reading, key: Hashable, build: Callable[[], _T]) -> _T: ...


# What the statements of this module read through: a session's transaction or a bare one.
Reads = Session | Reading
Processor = Callable[[Any], Any]
# A limit on the cached expansions of one statement: list lengths vary with the reader (its
# organizations and audiences) and with match[id]; a few hundred shapes is plenty.
_MAX_EXPANSIONS = 512


# A statement expanded for one set of list lengths (``Prepared._expand``), worked out once: its
# SQL, its named parameters' names (None: positional) and, per value the driver takes, where
# it comes from (the parameter, or None for a value fixed in the statement; a list's item, or
# -1 for the whole value; the type processor; the fixed value). A run only gathers values.
_Slot = tuple[str | None, int, "Processor | None", Any]
_Expansion = tuple[str, tuple[str, ...] | None, tuple[_Slot, ...]]


class Prepared:
    """A Core statement, compiled for one dialect, ready to run with bound values."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled: Compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self._compiled = compiled
        self._positional = bool(dialect.positional)
        # Type processing of bound values (a timestamp becomes naive UTC, and on SQLite the
        # text SQLAlchemy stores): done here for the few parameters whose type has one.
        self._processors: dict[str, Processor] = {}
        for bind in compiled.binds.values():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors[bind.key] = processor
        # The expanding binds' names (IN lists), in one order: a run's lengths are its key.
        self._lists = tuple(sorted({b.key for b in compiled.binds.values() if b.expanding}))
        self._expansions: dict[tuple[Any, ...], _Expansion] = {}
        columns = getattr(statement, "selected_columns", ())
        self._results: list[Processor | None] = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        ]

    def typed_rows(self, db: Reads, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Like :meth:`rows`, each value converted by its column's type (enums, timestamps
        with their time zone, booleans): for statements of a few rows."""
        found = self.rows(db, params)
        return [
            tuple(p(v) if p else v for p, v in zip(self._results, row, strict=True))
            for row in found
        ]

    def rows(self, db: Reads, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """The statement's rows for ``params``, in the session's (or reading's) transaction."""
        sql, names, slots = self._expansion(params)
        values: list[Any] = []
        for source, index, processor, fixed in slots:
            if source is None:
                values.append(fixed)
                continue
            value = params[source] if index < 0 else params[source][index]
            if processor is not None:
                values.append(processor(value))
            else:
                # Drivers bind str and int, not their enum subclasses (TLP levels: StrEnum).
                values.append(value.value if isinstance(value, enum.Enum) else value)
        # ``Session.connection`` begins the session's transaction (BEGIN on SQLite, as for
        # any statement): the cursor reads inside it, on the connection it holds.
        cursor = db.cursor() if isinstance(db, Reading) else db.connection().connection.cursor()
        try:
            if names is None:
                cursor.execute(sql, values)
            else:
                cursor.execute(sql, dict(zip(names, values, strict=True)))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _expansion(self, params: Mapping[str, Any]) -> _Expansion:
        # The names given (a value left out comes from the statement) and the lists' lengths.
        key = (frozenset(params), *[len(params[n]) if n in params else -1 for n in self._lists])
        found = self._expansions.get(key)
        if found is None:
            if len(self._expansions) >= _MAX_EXPANSIONS:
                self._expansions.clear()
            found = self._expansions[key] = self._expand(params)
        return found

    def _expand(self, params: Mapping[str, Any]) -> _Expansion:
        """The SQL for the lengths of ``params``' lists, and where each value comes from: a
        list's item (``name_1``, ``name_2``...) before a parameter of that name, else a
        parameter, else a value fixed in the statement."""
        state = self._compiled.construct_expanded_state(dict(params))
        lists = [name for name in self._lists if name in params]
        items = {f"{n}_{i}": (n, i - 1) for n in lists for i in range(1, len(params[n]) + 1)}
        positional = self._positional and bool(state.positiontup)
        names = tuple(state.positiontup or ()) if positional else tuple(state.parameters)
        slots: list[_Slot] = []
        for name in names:
            source, index = items.get(name, (name if name in params else None, -1))
            if source is None:
                slots.append((None, -1, None, _plain(state.parameters[name])))
            else:
                slots.append((source, index, self._processors.get(source), None))
        return state.statement, None if positional else names, tuple(slots)


_PREPARED: dict[tuple[int, str], Prepared] = {}


def prepared(statement: ClauseElement, db: Reads) -> Prepared:
    """``statement`` compiled for the session's database, once per process."""
    dialect = db.dialect if isinstance(db, Reading) else db.get_bind().dialect
    key = (id(statement), dialect.name)
    found = _PREPARED.get(key)
    if found is None or found._compiled.statement is not statement:
        found = _PREPARED[key] = Prepared(statement, dialect)
    return found


def rows(db: Reads, statement: ClauseElement, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Run a statement built once (a module constant) on the session's DBAPI cursor."""
    return prepared(statement, db).rows(db, params)


def typed_rows(
    db: Reads, statement: ClauseElement, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """:func:`rows`, its values converted by their columns' types."""
    return prepared(statement, db).typed_rows(db, params)


def kept_rows(
    db: Reads, statement: ClauseElement, params: Mapping[str, Any], *, typed: bool = False
) -> list[tuple[Any, ...]]:
    """:func:`rows` (or :func:`typed_rows`) of a statement that reads only the tables the
    access version watches (migration identity_0007): from the reading's kept rows when that
    version is the one they were read at. In a session, read as :func:`rows` reads."""
    if isinstance(db, Reading) and db.access is not None:
        return db.access.rows(db, statement, params, typed=typed)
    found = prepared(statement, db)
    return found.typed_rows(db, params) if typed else found.rows(db, params)


def kept_value(db: Reads, key: Hashable, build: Callable[[], _T]) -> _T:
    """What ``build`` makes of :func:`kept_rows` alone, kept with them (``KeptRows.built``)
    in a reading that keeps rows; else built afresh."""
    if isinstance(db, Reading) and db.access is not None:
        return db.access.built(db, key, build)
    return build()


def timestamp(value: datetime | str) -> datetime:
    """A timestamp column as the driver returns it (SQLite: text; PostgreSQL: naive UTC),
    timezone-aware, as ``accord.db.UTCDateTime`` gives it."""
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC)


def _plain(value: Any) -> Any:
    # Drivers bind str and int, not their enum subclasses (TLP levels are a StrEnum).
    return value.value if isinstance(value, enum.Enum) else value
