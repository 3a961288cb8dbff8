"""The log's storage: the head row, tiles and entry segments in the hub's database.

Appending writes the entries (one segment row per append per 256-entry bundle) and raises
the head's size: O(1) small rows, whatever the size of the log. The tiles and the records
(:mod:`accord.transparency.records`) catch up when the next checkpoint is signed
(:func:`build_tree`): the entries appended since are hashed and the rightmost tile of each
level is rewritten once for all of them. Reading any complete subtree
hash is one slice of one tile row: a proof is one query for a few tiles.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Protocol, TypedDict

from sqlalchemy import Insert, TextClause, insert, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from accord import prepared
from accord.clock import utcnow
from accord.transparency import merkle, records, tiles
from accord.transparency.merkle import Node, NodeReader
from accord.transparency.models import LogHead, LogSegment, LogTile
from accord.transparency.tiles import TILE_WIDTH, TileRows

HEAD_ID = 1
# Where a session keeps the publications it has handed indexes to but not yet written
# (:mod:`accord.transparency.batching`): written before anything here reads the head or the
# entries in that session.
PENDING = "accord.transparency.pending"


class Pending(Protocol):
    """Entries a session has handed indexes to and will write before its commit."""

    def flush(self, db: Session) -> None:
        """Write them now."""


def settle(db: Session) -> None:
    """Write the entries ``db`` holds back (:data:`PENDING`), if any."""
    pending: Pending | None = db.info.get(PENDING)
    if pending is not None:
        pending.flush(db)


class SegmentRow(TypedDict):
    """A row of ``log_segments``: a run of entries within one bundle."""

    start: int
    count: int
    data: bytes


class LogIntegrityError(RuntimeError):
    """What is stored is not a well-formed log (a missing tile, a tree that does not extend).

    Never expected: it means storage was damaged or altered, and the hub refuses to go on.
    """


def lock_head(db: Session, *, origin: str) -> LogHead:
    """The head row, locked until the transaction ends (created on first use).

    PostgreSQL takes the row lock (``FOR UPDATE``); SQLite writers already hold the database
    write lock from ``BEGIN IMMEDIATE``. Either way appends happen one after the other.
    """
    settle(db)
    query = (
        select(LogHead)
        .where(LogHead.id == HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    head = db.scalars(query).one_or_none()
    if head is None:
        db.execute(_insert_ignore(db), [_new_head(origin)])
        head = db.scalars(query).one()
    _catch_up(db, head, write=True)
    return head


_LAST_END = text("SELECT start + count FROM log_segments ORDER BY start DESC LIMIT 1")


def _catch_up(db: Session, head: LogHead, *, write: bool) -> None:
    # SQLite: a publication writes its entry alone, after the last one, and leaves the head's
    # size behind (one page changed per commit instead of two: reserve_and_write); the size
    # is the end of the last segment, brought into the head when it is locked.
    if db.get_bind().dialect.name != "sqlite":
        return
    end = db.connection().scalar(_LAST_END) or 0
    if end <= head.size:
        return
    if write:
        head.size, head.updated_at = end, utcnow()
    else:
        set_committed_value(head, "size", end)  # read as it is, written by no one


def _new_head(origin: str) -> dict[str, object]:
    return {
        "id": HEAD_ID,
        "origin": origin,
        "size": 0,
        "tree_size": 0,
        "root_hash": merkle.EMPTY_ROOT,
        "updated_at": utcnow(),
    }


def _insert_ignore(db: Session) -> Insert:
    # Two processes may create the head at once: the second insert must do nothing.
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(LogHead).on_conflict_do_nothing(index_elements=["id"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(LogHead).on_conflict_do_nothing(index_elements=["id"])


def read_head(db: Session) -> LogHead | None:
    """The head row without locking it (for reading)."""
    settle(db)
    head = db.get(LogHead, HEAD_ID)
    if head is not None:
        _catch_up(db, head, write=False)
    return head


@functools.cache
def _tile_query(count: int) -> TextClause:
    # An OR of primary-key lookups, one statement per count: SQLite would scan the table for
    # a row-value IN, and building the expression on each proof costs more than the query.
    where = " OR ".join(f"(level = :l{i} AND idx = :i{i})" for i in range(count))
    return text(f"SELECT level, idx, width, hashes FROM log_tiles WHERE {where}")  # noqa: S608


def _fetch_tiles(db: Session, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], Any]:
    params = {}
    for i, (level, index) in enumerate(keys):
        params[f"l{i}"], params[f"i{i}"] = level, index
    rows = db.connection().execute(_tile_query(len(keys)), params)
    return {(row.level, row.idx): row for row in rows}


def node_reader(db: Session) -> NodeReader:
    """A reader of complete-subtree hashes that fetches all the tiles it needs in one query."""

    def read(nodes: Sequence[Node]) -> dict[Node, bytes]:
        places = {node: tiles.locate(node) for node in nodes}
        found = _fetch_tiles(db, sorted({(level, index) for level, index, _, _ in places.values()}))
        hashes = {}
        for node, (level, index, row, position) in places.items():
            tile = found.get((level, index))
            if tile is None:
                raise LogIntegrityError(f"tile {level}/{index} is missing")
            try:
                hashes[node] = tiles.read_stored(tile.hashes, tile.width, row, position)
            except LookupError as exc:
                raise LogIntegrityError(f"tile {level}/{index}: {exc}") from None
        return hashes

    return read


def append_leaves(
    db: Session, head: LogHead, entries: Sequence[bytes], *, build: bool = False
) -> list[bytes]:
    """Append ``entries`` after the locked ``head``; return their leaf hashes.

    Raises the head's size. With ``build`` (the bulk path) the tiles are grown at once when
    they were up to date; else :func:`build_tree` grows them before the next signature.
    """
    _check_lengths(entries)
    size = head.size
    leaf_hashes = merkle.hash_leaves(entries)
    _write_segments(db, size, entries)
    head.size = size + len(entries)
    head.updated_at = utcnow()
    if build and head.tree_size == size:
        _grow_tree(db, head, entries, leaf_hashes)
    return leaf_hashes


def _check_lengths(entries: Sequence[bytes]) -> None:
    for entry in entries:
        if len(entry) > tiles.MAX_ENTRY_BYTES:
            raise ValueError(f"a log entry is at most {tiles.MAX_ENTRY_BYTES} bytes")


_RESERVE = text(
    "UPDATE log_head SET size = size + :count WHERE id = :id AND origin = :origin RETURNING size"
)
# SQLite: the head's size may lag behind the last segment (see _catch_up).
_RESERVE_SQLITE = text(
    "UPDATE log_head SET size = max(size, coalesce((SELECT start + count FROM log_segments "
    "ORDER BY start DESC LIMIT 1), 0)) + :count WHERE id = :id AND origin = :origin "
    "RETURNING size"
)


def reserve(db: Session, *, origin: str, count: int) -> int | None:
    """Raise the head's size by ``count`` in one statement; the first new index, or None.

    The publication path: the UPDATE takes the head's row lock (PostgreSQL) and writes a few
    bytes. None when there is no head under ``origin`` yet (the caller takes the slow path,
    :func:`lock_head`). The caller writes the entries with :func:`write_entries`.
    """
    statement = _RESERVE_SQLITE if db.get_bind().dialect.name == "sqlite" else _RESERVE
    found = prepared.rows(db, statement, {"count": count, "id": HEAD_ID, "origin": origin})
    return int(found[0][0]) - count if found else None


def write_entries(db: Session, start: int, entries: Sequence[bytes]) -> list[bytes]:
    """Store ``entries`` from index ``start`` (reserved with :func:`reserve`); leaf hashes."""
    _check_lengths(entries)
    if len(entries) == 1:
        # One publication: one row, through a statement compiled once.
        data = tiles.encode_bundle(entries)
        prepared.rows(db, _INSERT_ONE, {"start": start, "count": 1, "data": data})
    else:
        _write_segments(db, start, entries)
    return merkle.hash_leaves(entries)


_INSERT_ONE = insert(LogSegment).returning(LogSegment.start)
_RESERVE_AND_WRITE = text(
    "WITH head AS (UPDATE log_head SET size = size + 1 WHERE id = :id AND origin = :origin "
    "RETURNING size) INSERT INTO log_segments (start, count, data) "
    "SELECT size - 1, 1, :data FROM head RETURNING start"
)


# SQLite: the entry goes after the last segment, and the head is not written (its size is
# brought up to date when it is next locked): a publication committed alone changes one page
# of the database, the rightmost of log_segments, instead of two. Writers take turns on the
# database's write lock, so the last segment cannot move under the statement.
_WRITE_AFTER_LAST = text(
    "INSERT INTO log_segments (start, count, data) SELECT s.start + s.count, 1, :data "
    "FROM log_segments AS s WHERE EXISTS (SELECT 1 FROM log_head WHERE id = :id AND "
    "origin = :origin AND size <= s.start + s.count) ORDER BY s.start DESC LIMIT 1 "
    "RETURNING start"
)


def reserve_and_write(db: Session, *, origin: str, entry: bytes) -> int | None:
    """Take the next index and store ``entry`` there, in one statement; the index.

    PostgreSQL raises the head (taking its row lock) and inserts the entry; SQLite inserts
    the entry after the last one and leaves the head behind (see :data:`_WRITE_AFTER_LAST`).
    None when there is no head under ``origin`` yet, or (SQLite) no entry yet: the caller
    takes the slow path.
    """
    _check_lengths([entry])
    data = tiles.encode_bundle([entry])
    params = {"id": HEAD_ID, "origin": origin, "data": data}
    sqlite = db.get_bind().dialect.name == "sqlite"
    found = prepared.rows(db, _WRITE_AFTER_LAST if sqlite else _RESERVE_AND_WRITE, params)
    return int(found[0][0]) if found else None


def build_tree(db: Session, head: LogHead) -> None:
    """Grow the tiles over the entries appended since they were last grown (locked head)."""
    if head.tree_size > head.size:
        raise LogIntegrityError(f"the tree holds {head.tree_size} of {head.size} entries")
    if head.tree_size == head.size:
        return
    entries = read_entries(db, head.tree_size, head.size)
    if len(entries) != head.size - head.tree_size:
        raise LogIntegrityError(
            f"entries {head.tree_size} to {head.size - 1} are missing "
            f"({len(entries)} of {head.size - head.tree_size} found)"
        )
    _grow_tree(db, head, entries, merkle.hash_leaves(entries))


def _grow_tree(
    db: Session, head: LogHead, entries: Sequence[bytes], leaf_hashes: list[bytes]
) -> None:
    # The records of the new entries go with the tiles: written once for the whole batch.
    records.write_records(db, head.tree_size, entries, leaf_hashes)
    _write_tiles(db, head.tree_size, leaf_hashes)
    head.tree_size += len(leaf_hashes)
    head.root_hash = merkle.root(head.tree_size, node_reader(db))


def segment_rows(size: int, entries: Sequence[bytes]) -> list[SegmentRow]:
    """The segment rows of ``entries`` from index ``size``: one per entry bundle they touch."""
    _check_lengths(entries)
    rows: list[SegmentRow] = []
    done = 0
    while done < len(entries):
        start = size + done
        count = min(TILE_WIDTH - start % TILE_WIDTH, len(entries) - done)
        data = tiles.encode_bundle(entries[done : done + count])
        rows.append({"start": start, "count": count, "data": data})
        done += count
    return rows


def write_segment_rows(db: Session, rows: Sequence[SegmentRow]) -> None:
    """Insert segment rows (from :func:`segment_rows`)."""
    db.connection().execute(insert(LogSegment), list(rows))


def _write_segments(db: Session, size: int, entries: Sequence[bytes]) -> None:
    write_segment_rows(db, segment_rows(size, entries))


def _load_partials(db: Session, size: int) -> dict[tuple[int, int], TileRows]:
    wanted = {(level, index): width for level, index, width in tiles.tile_widths(size)}
    if not wanted:
        return {}
    rows = _fetch_tiles(db, sorted(wanted))
    loaded = {key: TileRows.from_bytes(r.hashes, r.width) for key, r in rows.items()}
    if {key: tile.width for key, tile in loaded.items()} != wanted:
        raise LogIntegrityError(f"the rightmost tiles do not match a tree of size {size}")
    return loaded


def _write_tiles(db: Session, size: int, leaf_hashes: list[bytes]) -> None:
    existing = _load_partials(db, size)
    held = dict(existing)
    changed = tiles.grow(held, size, leaf_hashes)
    inserts = []
    for level, index in dict.fromkeys(changed):
        values = {"width": held[(level, index)].width, "hashes": held[(level, index)].to_bytes()}
        if (level, index) in existing:
            db.execute(
                update(LogTile).where(LogTile.level == level, LogTile.idx == index).values(values)
            )
        else:
            inserts.append({"level": level, "idx": index, **values})
    if inserts:
        db.execute(insert(LogTile), inserts)


def read_entries(db: Session, start: int, end: int) -> list[bytes]:
    """Entries ``start`` to ``end - 1`` (fewer if the log is shorter)."""
    if start >= end:
        return []
    settle(db)
    first = db.scalar(
        select(LogSegment.start).where(LogSegment.start <= start).order_by(LogSegment.start.desc())
    )
    rows = db.execute(
        select(LogSegment.start, LogSegment.data)
        .where(LogSegment.start >= (first or 0), LogSegment.start < end)
        .order_by(LogSegment.start)
    ).all()
    entries: list[bytes] = []
    for row in rows:
        for offset, entry in enumerate(tiles.decode_bundle(row.data)):
            if start <= row.start + offset < end:
                entries.append(entry)
    return entries


def read_entry(db: Session, index: int) -> bytes | None:
    """Entry ``index``, or None past the end of the log."""
    found = read_entries(db, index, index + 1)
    return found[0] if found else None


def read_tile(db: Session, level: int, index: int, width: int) -> bytes | None:
    """Tile ``level/index`` as the specification serves it, if it holds ``width`` hashes."""
    row = db.execute(
        select(LogTile.width, LogTile.hashes).where(LogTile.level == level, LogTile.idx == index)
    ).one_or_none()
    if row is None or row.width < width:
        return None
    return bytes(row.hashes[: width * merkle.HASH_SIZE])
