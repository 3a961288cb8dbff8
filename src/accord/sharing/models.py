"""Tables of the sharing domain: collections, sharing groups, STIX objects and their index."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.clock import utcnow
from accord.db import Base, UTCDateTime
from accord.message_records import message_from
from accord.sharing.queue_models import QueueAttempt, QueuedEnvelope
from accord.sharing.status_models import TaxiiStatus

# The queue's tables and the statuses' have modules of their own; they are imported from
# here as before.
__all__ = ["QueueAttempt", "QueuedEnvelope", "TaxiiStatus"]

# BIGINT on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class SharingGroup(Base):
    """A named set of organizations that share with each other; it can travel between hubs."""

    __tablename__ = "sharing_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SharingGroupMember(Base):
    """An organization in a sharing group."""

    __tablename__ = "sharing_group_members"
    __table_args__ = (UniqueConstraint("group_id", "organization_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("sharing_groups.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )


class Collection(Base):
    """A TAXII collection, owned by an organization."""

    __tablename__ = "sharing_collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    alias: Mapped[str | None] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    default_tlp: Mapped[str] = mapped_column(String(16))
    # Who may read besides the grants: anyone (even anonymous), or every member organization.
    public_read: Mapped[bool] = mapped_column(Boolean, default=False)
    community_read: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CollectionGrant(Base):
    """Read or write access to a collection for one organization or one sharing group.

    The organizations and groups granted read access when an object is shared are its named
    recipients (TLP AMBER and RED are visible to them, see ``accord.sharing.tlp``).
    """

    __tablename__ = "sharing_collection_grants"
    __table_args__ = (UniqueConstraint("collection_id", "organization_id", "group_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_collections.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_groups.id", ondelete="CASCADE")
    )
    can_read: Mapped[bool] = mapped_column(Boolean, default=True)
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)


class Audience(Base):
    """The recipients named when objects were shared, kept once per distinct set."""

    __tablename__ = "sharing_audiences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)


class AudienceMember(Base):
    """One organization or sharing group of an audience."""

    __tablename__ = "sharing_audience_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audience_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_audiences.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_groups.id", ondelete="CASCADE"), index=True
    )


class Remote(Base):
    """Another TAXII 2.1 server this hub pulls from, and how far it has read."""

    __tablename__ = "sharing_remotes"
    __table_args__ = (UniqueConstraint("api_root", "remote_collection", "collection_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    api_root: Mapped[str] = mapped_column(String(500))
    # Chosen from the remote's own list of collections on the pages; None until then.
    remote_collection: Mapped[str | None] = mapped_column(String(100))
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_collections.id", ondelete="CASCADE"), index=True
    )
    # The local organization that vouches for what comes from there (its producer here).
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    username: Mapped[str | None] = mapped_column(String(200))
    # The remote's own X-TAXII-Date-Added-Last, as it wrote it: the next pull's added_after.
    checkpoint: Mapped[str | None] = mapped_column(String(40))
    every_minutes: Mapped[int | None] = mapped_column(Integer)
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why the last pull failed (None once one succeeds): the English record, and the same
    # message by its id and values (``accord.message_records``) for the pages to say it in
    # their reader's language (None where it was plain text).
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_said: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The local account the remote hub reads with: what came from there is not sent back.
    peer_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    @property
    def last_error_message(self) -> object:
        """The last error as a message its reader's catalog can say (the English record
        where it was kept as plain text)."""
        return message_from(self.last_error_said, self.last_error)


class PushTarget(Base):
    """A collection of another TAXII 2.1 server this hub writes its new objects to."""

    __tablename__ = "sharing_push_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    api_root: Mapped[str] = mapped_column(String(500))
    # Chosen from the peer's own list of collections it lets us write to; None until then.
    remote_collection: Mapped[str | None] = mapped_column(String(100))
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_collections.id", ondelete="CASCADE"), index=True
    )
    # The local organization standing for the peer: only what it may see is pushed.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    max_tlp: Mapped[str] = mapped_column(String(16))
    username: Mapped[str | None] = mapped_column(String(200))
    token_sealed: Mapped[str | None] = mapped_column(Text)
    every_minutes: Mapped[int | None] = mapped_column(Integer)
    # The last object pushed, in the collection's page order (date added, row id).
    cursor_added: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cursor_row: Mapped[int | None] = mapped_column(RowId)
    pushed: Mapped[int] = mapped_column(Integer, default=0)
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_said: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # as a remote's

    @property
    def last_error_message(self) -> object:
        """The last error as a message its reader's catalog can say (the English record
        where it was kept as plain text)."""
        return message_from(self.last_error_said, self.last_error)


class StixObject(Base):
    """One version of one STIX object in one collection; its JSON is kept as received."""

    __tablename__ = "sharing_objects"
    __table_args__ = (
        UniqueConstraint("collection_id", "stix_id", "version"),
        Index("ix_sharing_objects_page", "collection_id", "date_added", "id"),
        # Everything the accountability counts read (collect_sharing.objects), so that they
        # read the index alone rather than the table (migration sharing_0005).
        Index(
            "ix_sharing_objects_counted",
            "producer_org_id",
            "tlp",
            "date_added",
            "is_first",
            "origin_remote_id",
            "stix_type",
        ),
        # Sightings only: every other object would add a NULL key (migration sharing_0003).
        Index(
            "ix_sharing_objects_sighting_of",
            "sighting_of",
            sqlite_where=text("sighting_of IS NOT NULL"),
            postgresql_where=text("sighting_of IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_collections.id", ondelete="CASCADE")
    )
    stix_id: Mapped[str] = mapped_column(String(300))
    stix_type: Mapped[str] = mapped_column(String(250))
    spec_version: Mapped[str] = mapped_column(String(8))
    version: Mapped[datetime] = mapped_column(UTCDateTime())
    date_added: Mapped[datetime] = mapped_column(UTCDateTime())
    is_latest: Mapped[bool] = mapped_column(Boolean)
    is_first: Mapped[bool] = mapped_column(Boolean)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    tlp: Mapped[str] = mapped_column(String(16))
    producer_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    audience_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_audiences.id", ondelete="SET NULL")
    )
    origin_remote_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_remotes.id", ondelete="SET NULL")
    )
    sighting_of: Mapped[str | None] = mapped_column(String(300))
    sighting_count: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)


class PageVersion(Base):
    """How many times a collection's stored objects changed, the sum of its shards, bumped by
    database triggers on every change of ``sharing_objects`` (sharing_0015) whoever writes, but
    for SQLite's inserts, bumped once an insert by ``ingest_rows.insert`` (sharing_0016); cached
    TAXII pages are served only at the version they were read at (``page_cache``). On
    PostgreSQL a bumped row stays locked until commit, so each writer bumps a shard no other
    holds (16 a collection); SQLite has one writer, shard 0. Rows only grow, never deleted."""

    __tablename__ = "sharing_page_versions"

    collection_id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=False)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


class Observable(Base):
    """An observable value an indicator's pattern compares for equality: the look-up index."""

    __tablename__ = "sharing_observables"

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    object_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_objects.id", ondelete="CASCADE"), index=True
    )
    # sha256(kind, value), its first 64 bits (lookup.key): URLs of any length index the same
    # way, and small keys keep the index small (migration sharing_0006).
    key: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text)


class ObjectRef(Base):
    """What an object points at, for the pages that ask who points at an object: the two ends
    of a relationship (roles ``source`` and ``target``) and an attack-pattern's own ATT&CK id
    (``attack-id``). An index seek rather than a search of every body (migration sharing_0011,
    written by ``sharing.refs``)."""

    __tablename__ = "sharing_object_refs"
    __table_args__ = (Index("ix_sharing_object_refs_ref", "ref", "role"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    object_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_objects.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(300))


class SharingSecret(Base):
    """A random secret of the hub (the root of the pagination cursor key), shared by processes."""

    __tablename__ = "sharing_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class ObjectDelivery(Base):
    """How many of one producer's object versions were delivered to readers of one other
    organization on one UTC day (TAXII GETs of objects, federation pulls included).

    Statistics for accountability, not records: ``sharing.deliveries`` counts in memory and
    adds its counts here every few seconds (see docs/sharing.md for what a crash loses).
    """

    __tablename__ = "sharing_deliveries"
    __table_args__ = (
        UniqueConstraint("producer_org_id", "reader_org_id", "day"),
        Index("ix_sharing_deliveries_day", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    producer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    reader_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    objects: Mapped[int] = mapped_column(Integer)


class ObservablePrefix(Base):
    """A prefix length some indexed address range has (``ipv4-net``, 24): a look-up of an
    address seeks the range holding it at each of these lengths (``lookup.network_keys``).
    Added at ingest, never removed (a stale length costs one seek that finds nothing)."""

    __tablename__ = "sharing_observable_prefixes"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    length: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class Warninglist(Base):
    """A list of known-benign values in MISP's warninglist format, loaded by an operator.

    The hub's default lists ship in ``sharing/data/warninglists/`` and are not stored: a row
    named like one replaces it (a newer version loaded), or turns it off (``enabled`` false,
    no entries). See ``sharing.warninglists``.
    """

    __tablename__ = "sharing_warninglists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    list_type: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(40), default="")
    matching_attributes: Mapped[list[str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    # Every change sets it: the processes' matchers compare it to know theirs is stale.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WarninglistEntry(Base):
    """One value, hostname, substring, range or regular expression of a warninglist."""

    __tablename__ = "sharing_warninglist_entries"

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    list_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_warninglists.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(Text)
