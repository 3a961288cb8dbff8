"""Hub configuration, read once at start from ``ACCORD_*`` variables and an optional file.

Settings are handed to services as arguments; nothing reads them from a global. A missing or
malformed value fails at start with the name of the variable (pydantic-settings raises, and
:func:`load_settings` turns that into a :class:`~accord.errors.ConfigError`).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from accord.errors import ConfigError

# Connections and threads beyond the admitted requests: /healthz's own lane and the web
# process's background threads (the job worker, the deliveries flusher, the checkpointer).
RESERVED_CONNECTIONS = 8
# SQLite's page cache per connection by default, KiB (Settings.sqlite_cache_kib).
SQLITE_CACHE_KIB = 65_536


class Settings(BaseSettings):
    """Everything an operator can set. Each field is ``ACCORD_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="ACCORD_",
        env_file=None,
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Field(
        default=Path("accord-data"), description="Holds the SQLite file and keys."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is an SQLite file in the data directory.",
    )
    base_url: str | None = Field(
        default=None,
        description="The public address of the hub, for links it prints and sends; "
        "default http://HOST:PORT.",
    )
    # The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto the hub believes:
    # addresses or networks, comma-separated. Empty: none, and the client is the peer of the
    # connection, whoever sends the header (accord.web.app).
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    hub_name: str = Field(default="Accord hub", min_length=1, max_length=100)

    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    # Second factors (accord.identity.factors). Operators must have one, after a grace period
    # that starts at their first sign-in (so the first operator of a new hub can enrol).
    operators_need_second_factor: bool = True
    second_factor_grace_hours: int = Field(default=72, ge=0, le=24 * 90)
    # How long the password step of a sign-in waits for the second factor.
    second_factor_pending_minutes: int = Field(default=5, ge=1, le=60)
    # Sensitive actions ask for the second factor again once the last proof is this old.
    step_up_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # The WebAuthn relying party: the public URL's host unless set (a registrable domain).
    webauthn_rp_id: str | None = Field(default=None, max_length=253)
    token_max_days: int = Field(default=365, ge=1, le=3650)
    bootstrap_minutes: int = Field(default=60, ge=5, le=24 * 60)

    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    # Failed sign-ins in a window: from one address on one account, then from one address on
    # all accounts together. No limit counts an account's failures from everywhere: anyone
    # could then lock anyone out (accord.identity.ratelimit.login_throttles).
    login_failures_per_window: int = Field(default=5, ge=1)
    login_address_failures_per_window: int = Field(default=50, ge=1)
    login_window_seconds: int = Field(default=900, ge=10)
    public_form_per_hour: int = Field(default=20, ge=1, description="Per client address.")
    disclosure_reports_per_target_per_hour: int = Field(
        default=30, ge=1, description="Vulnerability reports one organization may receive."
    )
    disclosure_coordinator_org: str | None = Field(
        default=None,
        description="Slug of the organization whose members coordinate disclosure cases "
        "(besides the hub's operators).",
    )
    disclosure_coordinators_decide_embargo: bool = Field(
        default=False,
        description="A coordinator's embargo proposal takes force at once, without waiting "
        "for every vendor that may be affected to accept it.",
    )
    disclosure_inactive_days: int = Field(
        default=60,
        ge=1,
        le=3650,
        description="An open report or case with no activity for this many days is shown "
        "as inactive (in the inbox's inactive view and on the case page).",
    )
    advisory_id_prefix: str = Field(
        default="ACCORD",
        pattern=r"^[A-Z][A-Z0-9]{1,15}$",
        description="The hub's prefix in the ids of advisories published from disclosure "
        "cases (x_PREFIX-YEAR-NUMBER).",
    )

    # The transparency log's witnesses (docs/transparency.md): add-checkpoint requests one
    # client address may make a minute, and how many of this hub's configured witnesses must
    # cosign a checkpoint for the hub (and clients that read its policy) to count it witnessed.
    witness_requests_per_minute: int = Field(default=600, ge=1)
    log_witness_quorum: int = Field(default=0, ge=0, le=100)
    # The log's cadence: one checkpoint signed at most this often covers every publication
    # since the last (0: one per publication, in its transaction). The web process signs the
    # entries waiting every interval; `accord log sign` signs at once.
    log_checkpoint_seconds: float = Field(default=1.0, ge=0, le=3600)

    outbound_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    outbound_max_bytes: int = Field(default=65_536, ge=1024)
    # A disclosure policy page or a CSAF provider-metadata.json may be larger than a
    # security.txt; the registry's reachability checks read up to this much.
    registry_check_max_bytes: int = Field(default=1_048_576, ge=1024)
    # RFC 9116 requires HTTPS; tests and closed networks may relax it, and the check
    # still reports "not served over HTTPS" as a finding when they do.
    securitytxt_allow_http: bool = False
    # Outbound checks refuse loopback, private and link-local addresses, so that a URL an
    # organization enters cannot make the hub probe its own network; tests and hubs inside
    # a closed network may allow them.
    outbound_allow_private_addresses: bool = False
    # A push sends only objects added at least this long ago (longer than any write that adds
    # objects stays open), so that one committing late is not skipped (sharing/push.py).
    push_settle_seconds: int = Field(default=120, ge=0, le=24 * 3600)
    # The CSAF aggregator (accord.aggregation, docs/csaf-aggregator.md): the largest document
    # it downloads (CSAF 2.0 Appendix C's soft limit is 15 MiB), feeds and indexes included;
    # plain http only in tests and closed networks; a CA file to trust besides the system's
    # (a closed network's own CA); the most documents one provider's feeds may list.
    csaf_max_document_bytes: int = Field(default=16 * 1_048_576, ge=1024)
    csaf_allow_http: bool = False
    csaf_ca_file: Path | None = None
    csaf_max_listed: int = Field(default=200_000, ge=1)
    # The most documents one pass downloads: a pass stays well within the job lease, and one
    # with more to read queues the next pass at once.
    csaf_pass_max_downloads: int = Field(default=500, ge=1)
    # How often the hub asks each single sign-on provider whether it still knows the people
    # it signed in (accord.identity.oidc.handlers); one it no longer knows loses access.
    oidc_check_minutes: int = Field(default=60, ge=1, le=1440)

    # How often a web process adds the objects its TAXII GETs delivered to the statistics
    # (sharing_deliveries); a process killed with SIGKILL loses at most this many seconds.
    deliveries_flush_seconds: float = Field(default=10.0, gt=0, le=3600)
    # How often the web process checkpoints the SQLite write-ahead log (accord.checkpoints).
    sqlite_checkpoint_seconds: float = Field(default=0.25, gt=0, le=60)

    # SQLite's page cache, per connection (KiB). Pages read through the memory map (the first
    # 256 MB of the file) are not copied into it; it holds the pages a connection wrote, those
    # whose newest copy is still in the write-ahead log, and those read past the map, and it
    # is emptied when the connection next sees another's commit. Under writes it stays small
    # (docs/benchmarks.md, the soak); a read-mostly hub on a larger file fills it, up to this
    # times the SQLite connections open (at most db_connections an engine: the hub's file and
    # each side store); the queue's drainer has its own (accord.sharing.queue).
    sqlite_cache_kib: int = Field(default=SQLITE_CACHE_KIB, ge=64, le=16 * 1024 * 1024)

    # glibc's malloc arenas a serving process may make (accord.arenas): fewer share their free
    # space over a long run; 0 keeps glibc's own limit (eight per core). MALLOC_ARENA_MAX in
    # the environment wins.
    malloc_arenas: int = Field(default=2, ge=0, le=1024)
    # A serving process's full garbage collections, at most this often (accord.collector):
    # the interpreter's own rule pauses a busy process every few seconds; 0 keeps that rule.
    gc_full_seconds: float = Field(default=60.0, ge=0, le=3600)

    # TAXII pages kept in memory per process, served while their collection's objects are
    # unchanged (accord.sharing.page_cache): at most this many bytes of object JSON; 0 is off.
    taxii_page_cache_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    # Rows of callers' tokens, collections' rights and readers' facts kept per process, used
    # while nothing they are read from changed (accord.identity.access_cache); 0 is off.
    access_cache_entries: int = Field(default=4096, ge=0)
    # OSV queries' matches and the records they answer, kept per process while no advisory
    # changed (accord.advisories.kept_answers); bytes, 0 is off.
    osv_answer_cache_bytes: int = Field(default=32 * 1024 * 1024, ge=0)

    # Large look-ups (POST /api/v1/sharing/lookup, accord.sharing.lookup_pool): one of at
    # least lookup_split_values values is cut into slices, the request's thread answering one
    # and warm helper processes the others (same reader, same answer, byte for byte). Helper
    # processes per web process: unset, one fewer than the cores; 0 turns the split off. They
    # start with the first large look-up; each may hold two database connections (counted in
    # PostgreSQL's budget, accord.db.connections_needed; unset, `accord serve` starts fewer
    # where the server's max_connections would not hold them) and its own memory: SQLite's page
    # cache, the warninglists' matcher (the bench's helper, 100,000 warninglist entries:
    # 130 MB of its own once warm, 200 MB after look-ups of 10,000 values; docs/benchmarks.md).
    lookup_helpers: int | None = Field(default=None, ge=0, le=64)
    lookup_split_values: int = Field(default=2000, ge=2)

    # TAXII envelopes of at least this many objects are acknowledged once checked (status
    # pending) and stored by the queue's drainer, many envelopes in one transaction
    # (accord.sharing.queue); smaller ones are stored before the answer.
    taxii_queue_from_objects: int = Field(default=500, ge=1)
    # How many objects the drainer stores in one transaction (whole envelopes): on SQLite
    # other writers wait for it, about 70 µs an object near a million stored. Larger batches
    # write each index page they share once: 20,000 took 5 to 16% less CPU an object than
    # 10,000 there (bench/taxii_drain.py).
    taxii_queue_batch_objects: int = Field(default=20_000, ge=1)
    # Past this many objects waiting, a POST waits for room (up to the wait), then gets 503.
    taxii_queue_max_objects: int = Field(default=200_000, ge=1)
    taxii_queue_wait_seconds: float = Field(default=60.0, ge=0, le=600)
    # Start the queue's drainer with the web process, so that the first queued envelope is
    # stored at once rather than after the drainer's own start (a new interpreter importing
    # the hub: about a second, more on a busy machine). False starts it with the first queued
    # envelope: a process less for a hub that never receives a large envelope.
    taxii_drainer_at_start: bool = True

    # Load (accord.web.admission): requests one process serves at once; past them, requests
    # wait their turn in a bounded line for a bounded time, and past that get 503 with
    # Retry-After at once. The database pool and the worker threads are sized from it
    # (see the properties below), so that an admitted request never waits for either.
    max_requests_in_flight: int = Field(default=16, ge=1, le=1024)
    # Requests that may write (any method but GET and HEAD) have slots of their own: on
    # SQLite they take turns on one writer, and writers waiting for their turn in the
    # readers' slots held back the reads. They wait in their own line, holding nothing.
    max_writes_in_flight: int = Field(default=4, ge=1, le=1024)
    # On SQLite, reads let in at once while writers wait in their line: the one writer's
    # every step competes for the interpreter lock with each thread serving a read, and
    # beside sixteen of them writes ran at a third of their pace (docs/benchmarks.md).
    max_reads_while_writers_wait: int = Field(default=6, ge=1, le=1024)
    max_requests_queued: int = Field(default=1024, ge=0)
    request_queue_seconds: float = Field(default=10.0, ge=0, le=300)
    # A request whose wait in line would outlast this (the line ahead of it times the time a
    # place has been held of late) is refused at once rather than answered seconds late:
    # a client told to come back is better served than one kept waiting (p99 under a second).
    # One let in line waits at most twice this (accord.web.gate.LINE_OVERRUN); the rest of the
    # second is the route's own time and the event loop's. At 0.5, the line alone took the
    # whole second at p99 under 200 clients on SQLite, and the answers' p99 was 1.2 to 2.0 s;
    # at 0.25, 0.72 to 0.74 s in three runs of four (1.28 s in one whose event loop lagged up
    # to a second), as many answered a second, a fifth to a third more told to come back
    # (docs/benchmarks.md, 2026-12-06 21:27). A line only absorbs bursts: under a sustained
    # load a longer one adds waiting, not answers.
    request_wait_budget_seconds: float = Field(default=0.25, gt=0, le=300)
    # How long a client may take to send its request body (read before the request takes a
    # slot: past it, 408), or to take each part of its answer while the request holds one.
    # One watch a loop looks four times a span (web.admission.Watch): enforced up to a quarter late.
    request_body_seconds: float = Field(default=30.0, gt=0, le=600)
    # How long a request waits for a database connection, or on SQLite for its turn to write,
    # before it is answered 503 with Retry-After instead of hanging.
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    # Background jobs (accord.jobs). None: a worker runs inside `accord serve` on the
    # embedded SQLite default and not on PostgreSQL, where `accord worker` runs apart.
    worker_in_process: bool | None = None
    job_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # A claimed job is taken again by another worker once its lease expires (a worker that
    # died); it must exceed the longest job, which outbound_timeout_seconds bounds.
    job_lease_seconds: float = Field(default=300.0, gt=0)
    job_max_attempts: int = Field(default=8, ge=1, le=50)
    job_backoff_base_seconds: float = Field(default=30.0, ge=0)
    job_backoff_max_seconds: float = Field(default=6 * 3600.0, ge=0)

    # Notifications: email over SMTP. The password is never logged or shown.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str | None = Field(default=None, description="Default: accord@<public host>.")
    smtp_starttls: bool = True
    smtp_tls: bool = False
    # Webhooks must be https:// unless allowed (tests, closed networks).
    webhook_allow_http: bool = False

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part for part in value.replace(",", " ").split() if part)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        networks = []
        for entry in value:
            try:
                networks.append(str(ipaddress.ip_network(entry, strict=False)))
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return tuple(networks)

    @model_validator(mode="after")
    def _one_tls_mode(self) -> Settings:
        if self.smtp_tls and self.smtp_starttls:
            raise ValueError("ACCORD_SMTP_TLS and ACCORD_SMTP_STARTTLS exclude each other")
        return self

    @property
    def runs_worker_in_process(self) -> bool:
        """Whether the web process runs a job worker: as configured, else on SQLite only."""
        if self.worker_in_process is not None:
            return self.worker_in_process
        return self.resolved_database_url.startswith("sqlite")

    @property
    def worker_threads(self) -> int:
        """Threads for sync routes and database work: one per admitted request (a request
        holds at most one at a time), plus the lane of /healthz and the background's."""
        return self.max_requests_in_flight + self.max_writes_in_flight + RESERVED_CONNECTIONS

    @property
    def db_pool_size(self) -> int:
        """Connections kept open: one per thread. A read may hold a second for a moment (its
        guard's session and a reader of its own), which the overflow allows."""
        return self.worker_threads

    @property
    def db_max_overflow(self) -> int:
        """Connections opened past the pool when every kept one is in use: one per read
        slot (a write holds one at a time: its guard's session is the one it writes with)."""
        return self.max_requests_in_flight

    @property
    def db_connections(self) -> int:
        """The connections one web process may open at most: 2 x reads + writes + 8 (44 by
        default). With its queue drainer's, what ``accord serve`` checks PostgreSQL has room
        for, for every worker process (``accord.db.check_connection_budget``)."""
        return self.db_pool_size + self.db_max_overflow

    @property
    def lookup_helper_processes(self) -> int:
        """Look-up helper processes per web process (``lookup_helpers``, else the cores less
        one); each may hold two database connections."""
        if self.lookup_helpers is not None:
            return self.lookup_helpers
        return max((os.cpu_count() or 1) - 1, 0)

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one, else SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'accord.db').resolve()}"

    @property
    def public_url(self) -> str:
        """Where users reach the hub: the configured base URL, else the listening address."""
        return self.base_url or f"http://{self.host}:{self.port}"

    @property
    def secure_cookies(self) -> bool:
        """Cookies get the Secure flag whenever the hub is served over HTTPS."""
        return self.public_url.startswith("https://")


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from the environment, an optional ``.env``-style file and overrides.

    Raises :class:`ConfigError` naming each bad variable, so that start-up fails loudly.
    """
    try:
        if config_file is not None:
            if not config_file.is_file():
                raise ConfigError(f"config file {config_file} does not exist")
            return Settings(_env_file=config_file, **overrides)
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"ACCORD_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
