"""Job handlers by kind.

A domain registers its handlers with :func:`handler` in a module listed in
:data:`HANDLER_MODULES`; a worker imports those modules before it claims anything, so that a
web process and ``accord worker`` know the same kinds.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings

# Modules that register handlers when imported.
HANDLER_MODULES = (
    "accord.notifications.handlers",
    "accord.accountability.handlers",
    "accord.registry.handlers",
    "accord.campaigns.handlers",
    "accord.transparency.handlers",
    "accord.identity.oidc.handlers",
    "accord.aggregation.handlers",
    "accord.sharing.push_handlers",
    "accord.sharing.pull_handlers",
)


@dataclass(frozen=True)
class JobContext:
    """What a handler gets besides its payload."""

    settings: Settings
    sessions: sessionmaker[Session]  # writes (on SQLite: BEGIN IMMEDIATE)
    readers: sessionmaker[Session]  # reads only
    job_id: int
    attempt: int


Handler = Callable[[JobContext, dict[str, Any]], None]


class PermanentFailure(Exception):
    """Raised by a handler when retrying cannot help: the job goes dead at once."""


_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``kind``.

    Handlers run outside any transaction of the worker and may run more than once (a worker
    that dies after the work but before recording it): they should be idempotent, or at
    least harmless when repeated.
    """

    def register(function: Handler) -> Handler:
        existing = _HANDLERS.get(kind)
        if existing is not None and existing is not function:
            raise ValueError(f"job kind {kind!r} already has a handler")
        _HANDLERS[kind] = function
        return function

    return register


def handler_for(kind: str) -> Handler | None:
    """The handler registered for ``kind``, if any."""
    return _HANDLERS.get(kind)


def kinds() -> list[str]:
    """Every kind a handler is registered for, sorted (the jobs page offers them)."""
    load_handlers()
    return sorted(_HANDLERS)


def load_handlers() -> None:
    """Import every module that registers handlers."""
    for name in HANDLER_MODULES:
        importlib.import_module(name)
