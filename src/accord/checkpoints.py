"""SQLite WAL checkpoints in a background thread, off the path of the request that commits.

In WAL mode a commit appends every page it changed to the write-ahead log; a checkpoint later
copies those pages back into the database file and syncs it. By default the connection that
commits runs the checkpoint itself once the log passes 1,000 pages, so the request pays for
it: copying every page of the log and an fsync of the database file. A TAXII envelope of 1,000
objects changes a leaf page of each random-keyed index per object (the (collection, id,
version) key, the observable key), about 3,000 pages; at a million stored objects that
checkpoint was half of what storing the envelope cost (measured in docs/benchmarks.md).

A checkpoint does not need the write lock: it runs beside readers and a writer, copying the
frames no reader still needs. So the web process runs one here, every ``every`` seconds, on
its own connection, and a writer checkpoints only past ``BACKSTOP_PAGES`` (set on every
connection in ``accord.db``), should this thread fall behind or not run at all (the CLI).
Durability does not change: ``synchronous=FULL`` still syncs the log at each commit, and the
checkpoint syncs the database file before the log is reused.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.pool import PoolProxiedConnection

from accord.background import Every

# A writer's own checkpoint threshold, in pages (256 MB at SQLite's default 4 KB pages). Above
# one commit of the queue's drainer: a batch of 20,000 objects dirties some 30,000 pages (125 MB)
# at a million stored objects; at 64 MB every batch (then of 10,000) checkpointed itself,
# synchronously, in the drainer: 12% of its time per object (docs/benchmarks.md). The log is
# cut back to this size when it is reused.
BACKSTOP_PAGES = 65536


class Checkpointer(Every):
    """A daemon thread running a PASSIVE checkpoint of one SQLite database now and then."""

    def __init__(self, engine: Engine, *, every: float) -> None:
        super().__init__(
            self._checkpoint,
            seconds=every,
            name="accord-checkpoints",
            failure="background WAL checkpoint failed; the writers' backstop still runs",
        )
        self._engine = engine
        self._connection: PoolProxiedConnection | None = None

    @staticmethod
    def wanted(engine: Engine) -> bool:
        """Whether ``engine`` is SQLite on a file (PostgreSQL checkpoints on its own)."""
        return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")

    def stop(self) -> None:
        """Stop after a last checkpoint, and close the thread's connection."""
        super().stop()
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _checkpoint(self) -> None:
        # Its own connection from the engine (the pragmas of accord.db, busy timeout included),
        # kept for the thread's life rather than taken from the pool for each checkpoint.
        if self._connection is None:
            self._connection = self._engine.raw_connection()
        cursor = self._connection.cursor()
        try:
            # PASSIVE: copy what can be copied now, never wait for a reader or the writer.
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            cursor.fetchall()
        finally:
            cursor.close()
