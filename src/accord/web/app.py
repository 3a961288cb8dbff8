"""The application factory: builds the hub from settings, nothing from globals."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from accord import __version__
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker
from accord.web import errors
from accord.web.rendering import make_environment
from accord.web.security import BodyLimit, SecurityHeaders

API_PREFIX = "/api/v1"


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """A hub serving ``settings``' database. The schema must be migrated already."""
    from accord.advisories import osv_api as advisories_osv_api
    from accord.advisories import pages as advisories_pages
    from accord.advisories import routes as advisories_routes
    from accord.identity import pages as identity_pages
    from accord.identity import routes as identity_routes
    from accord.registry import pages as registry_pages
    from accord.registry import routes as registry_routes
    from accord.web import pages as web_pages

    app = FastAPI(
        title="Accord",
        version=__version__,
        description="The Cybersecurity Tech Accord hub: registry, identity and the audit log.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        # The interactive docs pull scripts from a CDN and inline code; the CSP forbids both.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.templates = make_environment()

    api = APIRouter(prefix=API_PREFIX)
    api.include_router(identity_routes.router)
    api.include_router(registry_routes.router)
    api.include_router(advisories_routes.router)
    app.include_router(api)
    app.include_router(advisories_osv_api.router)  # OSV's own paths, at the root: /v1/...
    app.include_router(web_pages.router)
    app.include_router(identity_pages.router)
    app.include_router(registry_pages.router)
    app.include_router(advisories_pages.router)
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("accord") / "web" / "static")),
        name="static",
    )
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    return app
