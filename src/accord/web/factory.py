"""The ASGI entry point for ``uvicorn --factory``: settings from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from accord.cli.context import settings_from_env
from accord.web.app import create_app


def app_from_env() -> FastAPI:
    """A hub configured from ``ACCORD_*`` (and the file in ``ACCORD_CONFIG_FILE``)."""
    return create_app(settings_from_env())
