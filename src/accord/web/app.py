"""The application factory: builds the hub from settings, nothing from globals."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

import anyio
import httpx
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord import __version__, arenas, collector
from accord.background import Every
from accord.checkpoints import Checkpointer
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work
from accord.group_commit import GroupCommit
from accord.identity.access_cache import AccessCache
from accord.identity.ratelimit import RateLimiter
from accord.prepared import ReadConnections
from accord.sharing import misp_pages
from accord.sharing.deliveries import Deliveries, Flusher
from accord.sharing.drainer import Drainer
from accord.sharing.lookup_pool import LookupPool
from accord.sharing.page_cache import PageCache
from accord.sharing.queue import Queue
from accord.transparency.batching import Publications
from accord.web import errors
from accord.web.admission import Admission
from accord.web.app_state import AppState
from accord.web.direct_routes import serve_directly
from accord.web.rendering import make_environment
from accord.web.request_session import commits_where_it_ran
from accord.web.routing import RouteIndex
from accord.web.security import BodyLimit, SecurityHeaders, TrustedProxies

API_PREFIX = "/api/v1"


def mounted_routers() -> list[tuple[str, APIRouter]]:
    """Every router the hub serves, with its prefix: the API's, then the pages'."""
    from accord.accountability import pages as accountability_pages
    from accord.accountability import routes as accountability_routes
    from accord.advisories import draft_pages as advisories_drafts
    from accord.advisories import export_routes as advisories_exports
    from accord.advisories import osv_api as advisories_osv_api
    from accord.advisories import pages as advisories_pages
    from accord.advisories import routes as advisories_routes
    from accord.advisories import score_pages as advisories_score
    from accord.aggregation import pages as aggregation_pages
    from accord.aggregation import routes as aggregation_routes
    from accord.campaigns import admin_pages as campaigns_admin_pages
    from accord.campaigns import pages as campaigns_pages
    from accord.campaigns import routes as campaigns_routes
    from accord.check import pages as check_pages
    from accord.check import routes as check_routes
    from accord.dashboards import pages as dashboard_pages
    from accord.disclosure import case_forms as disclosure_case_forms
    from accord.disclosure import case_pages as disclosure_case_pages
    from accord.disclosure import pages as disclosure_pages
    from accord.disclosure import reporter_routes as disclosure_reporter_routes
    from accord.disclosure import routes as disclosure_routes
    from accord.disclosure import vulnerability_forms as disclosure_vulnerability_forms
    from accord.disclosure import vulnerability_routes as disclosure_vulnerability_routes
    from accord.identity import admin_pages as identity_admin_pages
    from accord.identity import factor_pages, member_pages, security_pages
    from accord.identity import pages as identity_pages
    from accord.identity import routes as identity_routes
    from accord.identity.oidc import pages as oidc_pages
    from accord.jobs import pages as jobs_pages
    from accord.jobs import routes as jobs_routes
    from accord.notifications import pages as notifications_pages
    from accord.notifications import routes as notifications_routes
    from accord.registry import admin_pages as registry_admin_pages
    from accord.registry import departure_pages as registry_departure_pages
    from accord.registry import pages as registry_pages
    from accord.registry import policy_pages as registry_policy_pages
    from accord.registry import profile_pages as registry_profile_pages
    from accord.registry import routes as registry_routes
    from accord.sharing import api as sharing_api
    from accord.sharing import federation_pages as sharing_federation_pages
    from accord.sharing import misp_pages as sharing_misp_pages
    from accord.sharing import object_pages as sharing_object_pages
    from accord.sharing import pages as sharing_pages
    from accord.sharing import pull_pages as sharing_pull_pages
    from accord.sharing import routes as sharing_routes
    from accord.sharing import warninglist_pages
    from accord.transparency import pages as transparency_pages
    from accord.transparency import routes as transparency_routes
    from accord.transparency import witness_pages as transparency_witness_pages
    from accord.web import pages as web_pages

    return [
        # The machine-facing hot paths first: Starlette tries routes in order, and matching
        # past some hundred routes to reach them cost TAXII reads about 15% of their time.
        # Their prefixes (/v1/, /taxii2/) are their own, so the order changes no answer.
        ("", advisories_osv_api.router),  # OSV.dev's own paths, at the root: /v1/...
        ("/taxii2", sharing_routes.router),
        (API_PREFIX, identity_routes.router),
        (API_PREFIX, registry_routes.router),
        (API_PREFIX, advisories_routes.router),
        (API_PREFIX, advisories_exports.api_router),
        ("", advisories_exports.provider_router),  # CSAF 2.0's well-known paths
        ("", aggregation_routes.router),  # the CSAF aggregator's well-known paths
        (API_PREFIX, transparency_routes.router),
        ("", transparency_routes.public_router),
        ("", web_pages.router),
        ("", identity_pages.router),
        ("", identity_admin_pages.router),
        ("", factor_pages.router),
        ("", member_pages.router),
        ("", security_pages.router),
        ("", oidc_pages.router),
        ("", aggregation_pages.router),
        ("", registry_pages.router),
        ("", registry_admin_pages.router),
        ("", registry_profile_pages.router),
        ("", registry_departure_pages.router),
        ("", registry_policy_pages.router),
        ("", advisories_pages.router),
        ("", advisories_drafts.router),
        ("", advisories_score.router),
        ("", transparency_pages.router),
        (API_PREFIX, sharing_api.router),
        (API_PREFIX, check_routes.router),
        ("", check_pages.router),
        # Before sharing_pages: /sharing/collections/new is not a collection's id.
        ("", sharing_object_pages.router),
        ("", sharing_pages.router),
        ("", warninglist_pages.router),
        ("", sharing_federation_pages.router),
        ("", sharing_pull_pages.router),
        ("", sharing_misp_pages.router),
        ("", transparency_witness_pages.router),
        (API_PREFIX, jobs_routes.router),
        ("", jobs_pages.router),
        (API_PREFIX, notifications_routes.router),
        ("", notifications_pages.router),
        (API_PREFIX, disclosure_reporter_routes.router),
        (API_PREFIX, disclosure_routes.router),
        (API_PREFIX, disclosure_vulnerability_routes.router),
        ("", disclosure_pages.router),
        ("", disclosure_case_pages.router),
        ("", disclosure_case_forms.router),
        ("", disclosure_vulnerability_forms.router),
        (API_PREFIX, accountability_routes.router),
        ("", accountability_pages.router),
        ("", dashboard_pages.router),
        (API_PREFIX, campaigns_routes.router),
        ("", campaigns_pages.router),
        ("", campaigns_admin_pages.router),
    ]


_heap_frozen = False


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The embedded default runs background jobs in the web process; at scale, `accord worker`.
    from accord.jobs.worker import Worker, WorkerThread

    await _warm_routes(app)
    _seed(app)
    # What is alive once the app is built (modules, the ORM's mappings, templates, routes) lives
    # as long as the process; out of the collector's reach it is no longer traversed by every
    # full collection, which a TAXII envelope's thousands of objects set off every few
    # envelopes (measured: ingest 15% faster at a million objects, docs/benchmarks.md). Once a
    # process: a full collection costs a good part of a second on a large heap. A flag says
    # whether it was done, not gc.get_freeze_count(), which walks every frozen object (150 ms
    # for each lifespan after the first, and the suite enters one per test).
    global _heap_frozen
    if not _heap_frozen:
        # Before the lifespan's threads and the request pool make their arenas.
        arenas.limit(app.state.settings.malloc_arenas)
        gc.collect()
        gc.freeze()
        _heap_frozen = True
        collector.collect_fully_every(app.state.settings.gc_full_seconds)
    flusher = Flusher(
        app.state.deliveries,
        app.state.sessionmaker,
        every=app.state.settings.deliveries_flush_seconds,
    )
    flusher.start()
    checkpointer = None
    if Checkpointer.wanted(app.state.engine):
        checkpointer = Checkpointer(
            app.state.engine, every=app.state.settings.sqlite_checkpoint_seconds
        )
        checkpointer.start()
    signer = None
    if app.state.settings.log_checkpoint_seconds > 0:
        signer = log_cadence(app.state.settings, app.state.sessionmaker)
        signer.start()
    # The queue's drainer process starts now (``taxii_drainer_at_start``; else with the first
    # queued envelope, or now if some wait), and again whenever it is found dead with entries
    # waiting.
    outer = app.state.drainer  # a lifespan within another (tests) hands it back at its end
    drainer = app.state.drainer = Drainer(app.state.settings)
    drainer.watch(app.state.queue)
    if app.state.settings.taxii_drainer_at_start:
        drainer.wake()
        # Served once the drainer can drain: the first envelope is stored at once rather
        # than after the drainer's start (bounded: past it the hub serves anyway).
        await anyio.to_thread.run_sync(drainer.wait_ready)
    thread = None
    if app.state.settings.runs_worker_in_process:
        worker = Worker(
            settings=app.state.settings, sessions=app.state.sessionmaker, readers=app.state.reader
        )
        thread = WorkerThread(worker)
        thread.start()
    try:
        yield
    finally:
        if thread is not None:
            thread.stop()
        drainer.stop()
        app.state.drainer = outer
        flusher.stop()
        if signer is not None:
            signer.stop()
        if checkpointer is not None:
            checkpointer.stop()
        app.state.read_connections.close()
        app.state.lookup_pool.stop()


def log_cadence(settings: Settings, sessions: sessionmaker[Session]) -> Every:
    """The transparency log's cadence: the entries waiting signed every interval."""
    from accord.transparency import services as log

    return log.cadence(sessions, settings=settings)


def _seed(app: FastAPI) -> None:
    """Store what a fresh hub starts with (the accord's first text) before serving.

    Seeded by the first ``GET /api/v1/accord`` instead, it was written in a request's read
    transaction, which on SQLite must then take the write lock mid-transaction: with any
    other writer busy (a fresh hub's start-up jobs), "database is locked" and a 500.
    """
    from accord.registry import services as registry

    with unit_of_work(app.state.sessionmaker) as db:
        registry.current_version(db)


async def _warm_routes(app: FastAPI) -> None:
    """Have FastAPI build every route's handler now rather than at the first request.

    FastAPI builds an included router's handlers (dependencies, parameter models) on the first
    request that reaches it: about 200 ms in all for the hub's routers, paid by whoever comes
    first after a start (docs/benchmarks.md). A request for a path no route has is matched
    against every router, so one, through the app's public ASGI interface, builds them all.
    It is answered 404 and touches nothing else.
    """
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://warm-up.invalid") as client:
        await client.get("/.accord-warm-up")


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """A hub serving ``settings``' database. The schema must be migrated already."""
    app = FastAPI(
        title="Accord",
        version=__version__,
        description=(
            "The Cybersecurity Tech Accord hub: identity and audit, the signatory registry, "
            "the transparency log, advisories (OSV, CSAF) and threat sharing (TAXII 2.1)."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        # The interactive docs pull scripts from a CDN and inline code; the CSP forbids both.
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    # Read on every request: as plain attributes, not through State.__getattr__.
    app.state = AppState()
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.reader = make_sessionmaker(app.state.engine, read_only=True)
    # Small TAXII writes of many requests share a transaction on SQLite (accord.group_commit).
    app.state.group_commit = GroupCommit(app.state.sessionmaker)
    # Publications through the log of many requests share a commit (transparency.batching).
    app.state.publications = Publications(app.state.sessionmaker)
    app.state.limiter = RateLimiter.for_hub(settings, app.state.engine)
    # Large TAXII envelopes wait here to be stored in batches (accord.sharing.queue).
    app.state.queue = Queue.for_hub(settings, app.state.engine)
    app.state.drainer = None  # the lifespan's
    app.state.templates = make_environment()
    # Objects TAXII GETs delivered, counted in memory and flushed by the lifespan's thread.
    app.state.deliveries = Deliveries()
    # TAXII pages served again while their collection is unchanged (accord.sharing.page_cache).
    app.state.page_cache = PageCache(settings.taxii_page_cache_bytes)
    # What a caller's access is read from, kept while unchanged (accord.identity.access_cache).
    app.state.access_cache = AccessCache(settings.access_cache_entries)
    # Helper processes answering slices of large look-ups, started with the first of them.
    app.state.lookup_pool = LookupPool(settings)
    # SQLite connections kept between the bare readings (accord.prepared.ReadConnections).
    app.state.read_connections = ReadConnections(app.state.engine, settings.max_requests_in_flight)

    app.state.routers = mounted_routers()
    for prefix, router in app.state.routers:
        # A writing route's commit in the route's own thread (accord.web.request_session).
        commits_where_it_ran(router.routes)
        app.include_router(router, prefix=prefix)
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("accord") / "web" / "static")),
        name="static",
    )
    errors.install(app)
    # Each request matched against the routes its path's first segments can reach only.
    RouteIndex.install(app.router)
    RouteIndex.match_once(app.router)
    # The hot reads' handlers served without FastAPI's dependency stacks (web.direct_routes).
    serve_directly(app.router)
    # Upload pages that take more than ACCORD_MAX_REQUEST_BYTES, and say so beside the field.
    larger = {misp_pages.PATH: misp_pages.MAX_BODY_BYTES}
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes, larger=larger)
    # Outside the body limit: a request refused for load is refused before its body is read.
    app.add_middleware(Admission, settings=settings, larger=larger)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    if settings.trusted_proxies:
        # Outermost, so that everything inside sees the client behind the proxy.
        app.add_middleware(TrustedProxies, networks=settings.trusted_proxies)
    return app
