"""Tables of the transparency log.

The tree lives in ``log_tiles`` (each tile with the tree levels it spans, see
:mod:`accord.transparency.tiles`) and the entries in ``log_segments`` (runs of entries in
entry-bundle form, never crossing a bundle boundary). Nothing per entry is written on the
bulk path; ``log_records`` indexes the hub's own publications (type, subject, document
digest, leaf hash). ``log_head`` is the single row that appends lock, so that the log stays
linear whatever the number of writers. Every row but the head and the rightmost tiles is
written once and never changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.clock import utcnow
from accord.db import Base, UTCDateTime

# SQLite makes "INTEGER PRIMARY KEY" the rowid (no second index); PostgreSQL needs 64 bits.
Index64 = BigInteger().with_variant(Integer(), "sqlite")


class LogHead(Base):
    """The log's size and its tree; the row every append locks first.

    ``size`` counts the entries appended; the tiles cover the first ``tree_size`` of them and
    ``root_hash`` is that tree's root. Appends only raise ``size``: the tree catches up when
    the next checkpoint is signed (:func:`accord.transparency.store.build_tree`).
    """

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    tree_size: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LogTile(Base):
    """One tile of hashes with the seven tree levels above them (``width`` hashes in row 0)."""

    __tablename__ = "log_tiles"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    width: Mapped[int] = mapped_column(SmallInteger)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)


class LogSegment(Base):
    """Entries ``start`` to ``start + count - 1``, each after its uint16 length."""

    __tablename__ = "log_segments"

    start: Mapped[int] = mapped_column(Index64, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class LogRecord(Base):
    """What an entry the hub appended records: the publication it stands for."""

    __tablename__ = "log_records"
    __table_args__ = (
        Index("ix_log_records_document_sha256", "document_sha256"),
        Index("ix_log_records_leaf_hash", "leaf_hash"),
    )

    idx: Mapped[int] = mapped_column(Index64, primary_key=True, autoincrement=False)
    entry_type: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    document_sha256: Mapped[str] = mapped_column(String(64))
    public: Mapped[bool] = mapped_column(default=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LogCheckpoint(Base):
    """A signed tree head. At most one per size, so two different roots can never be signed."""

    __tablename__ = "log_checkpoints"

    size: Mapped[int] = mapped_column(Index64, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WitnessedLog(Base):
    """A log this hub witnesses (C2SP tlog-witness): its origin, key and the last tree cosigned.

    ``size`` and ``root_hash`` are the latest checkpoint cosigned for the origin (0 and None
    before the first). Every add-checkpoint request locks the row, checks and updates it in
    one transaction, so two requests can never both cosign from one state.
    """

    __tablename__ = "witness_logs"

    origin: Mapped[str] = mapped_column(String(300), primary_key=True)
    verifier_key: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    root_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    checkpoint: Mapped[str | None] = mapped_column(Text, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The last request refused for this log (its reason, as answered) and when: operators
    # see a log that drifted, forked or rotated its key without a valid announcement.
    last_refusal: Mapped[str | None] = mapped_column(Text, nullable=True)
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LogWitness(Base):
    """A witness this hub asks to cosign its checkpoints; ``size`` is the last it cosigned."""

    __tablename__ = "log_witnesses"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    verifier_key: Mapped[str] = mapped_column(Text)
    allow_private: Mapped[bool] = mapped_column(default=False)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LogCosignature(Base):
    """A witness's cosignature line on the checkpoint of one size."""

    __tablename__ = "log_cosignatures"

    size: Mapped[int] = mapped_column(Index64, primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(String(300), primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[int] = mapped_column(BigInteger)


class LogKey(Base):
    """A key that signed (or signs) this log's checkpoints, from the checkpoint ``from_size``.

    The first key has no ``announcement``; each later one was announced by a checkpoint that
    both it and the key before it signed (``announcement``, a signed note), so a verifier
    that trusts one key can follow the chain to the next.
    """

    __tablename__ = "log_keys"

    key_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    verifier_key: Mapped[str] = mapped_column(Text)
    from_size: Mapped[int] = mapped_column(BigInteger)
    announcement: Mapped[str | None] = mapped_column(Text, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
