"""PostgreSQL's connections: what the hub's processes may open fits ``max_connections``, or
``accord serve`` says so at start (not "too many clients" under load)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from accord.config import Settings
from accord.db import (
    DRAINER_CONNECTIONS,
    check_connection_budget,
    connections_needed,
    fitted_lookup_helpers,
    make_engine,
    server_limits,
)
from accord.errors import ConfigError
from tests.cli.test_cli import accord

# PostgreSQL's default max_connections, less its 3 connections reserved for superusers.
DEFAULT_ROOM = 100 - 3


def test_each_pool_opens_what_the_budget_counts(settings: Settings) -> None:
    """A web process's pool opens at most ``db_connections``, a drainer's two; two web
    processes at the defaults fit a default PostgreSQL (they took 2 x (48 + 48) before)."""
    assert settings.db_connections == 2 * 16 + 4 + 8
    web = make_engine(settings)
    drainer = make_engine(settings, connections=DRAINER_CONNECTIONS)
    try:
        assert web.pool.size() + web.pool._max_overflow == settings.db_connections  # type: ignore[attr-defined]
        if drainer.dialect.name == "postgresql":
            assert drainer.pool.size() + drainer.pool._max_overflow == DRAINER_CONNECTIONS  # type: ignore[attr-defined]
    finally:
        web.dispose()
        drainer.dispose()
    assert connections_needed(settings, processes=2) <= DEFAULT_ROOM
    assert connections_needed(settings, processes=3) > DEFAULT_ROOM
    # A look-up helper each (a two-core machine's default) still fits; each is counted.
    helped = settings.model_copy(update={"lookup_helpers": 1})
    assert connections_needed(helped, processes=2) == connections_needed(settings, processes=2) + 4
    assert connections_needed(helped, processes=2) <= DEFAULT_ROOM


def _postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the budget is PostgreSQL's (SQLite opens files, not server slots)")


def test_a_budget_that_fits_starts(settings: Settings, engine: Engine) -> None:
    _postgresql(engine)
    small = settings.model_copy(update={"max_requests_in_flight": 1, "max_writes_in_flight": 1})
    check_connection_budget(engine, small, processes=1)  # 11 + 2: room on any test server


def test_automatic_look_up_helpers_are_fitted_to_the_room(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unset, the look-up helpers are the cores less one; where PostgreSQL has no room for
    that many, ``accord serve`` starts with as many as fit rather than refusing to start. A
    count the operator set is never changed (the budget's check refuses it instead)."""
    _postgresql(engine)
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    automatic = settings.model_copy(update={"lookup_helpers": None})
    assert automatic.lookup_helper_processes == 63
    with engine.connect() as conn:
        limit, reserved = server_limits(conn)
    room = limit - reserved
    fitted = fitted_lookup_helpers(engine, automatic, processes=2)
    assert fitted is not None
    assert fitted < 63
    fits = automatic.model_copy(update={"lookup_helpers": fitted})
    assert connections_needed(fits, processes=2) <= room
    one_more = automatic.model_copy(update={"lookup_helpers": fitted + 1})
    assert connections_needed(one_more, processes=2) > room
    check_connection_budget(engine, fits, processes=2)
    # Set by the operator, or room enough: nothing to change.
    assert fitted_lookup_helpers(engine, settings, processes=2) is None
    assert (
        fitted_lookup_helpers(
            engine, automatic.model_copy(update={"lookup_helpers": 63}), processes=2
        )
        is None
    )
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert fitted_lookup_helpers(engine, automatic, processes=1) is None


def test_a_budget_past_max_connections_fails_naming_the_settings(
    settings: Settings, engine: Engine
) -> None:
    _postgresql(engine)
    with pytest.raises(ConfigError) as refused:
        check_connection_budget(engine, settings, processes=40)
    message = refused.value.message
    assert f"40 web process(es) may open {40 * (settings.db_connections + 2)}" in message
    assert "ACCORD_MAX_REQUESTS_IN_FLIGHT" in message
    assert "max_connections" in message


def test_serve_refuses_to_start_past_the_budget(settings: Settings, engine: Engine) -> None:
    """``accord serve --workers 40`` on PostgreSQL: one line, exit 1, nothing served."""
    _postgresql(engine)
    result = accord(settings, "serve", "--port", "1", "--workers", "40")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: 40 web process(es) may open")
    assert "Listening" not in result.stdout


def test_connections_others_hold_now_warn_without_refusing(
    settings: Settings, engine: Engine
) -> None:
    """Others' connections come and go (a test run, a backup, a restarted hub's old pool):
    they are said, never a reason to refuse to start."""
    _postgresql(engine)
    with engine.connect() as conn:
        limit = int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
        reserved = int(conn.exec_driver_sql("SHOW superuser_reserved_connections").scalar_one())
    # Exactly the server's whole room: fits an idle server, not one with this test's own.
    per_process = limit - reserved - DRAINER_CONNECTIONS
    tight = settings.model_copy(update={"max_requests_in_flight": 1, "max_writes_in_flight": 1})
    extra = per_process - tight.db_connections
    held = [engine.connect() for _ in range(2)]
    try:
        crowded = settings.model_copy(
            update={"max_requests_in_flight": 1 + extra // 2, "max_writes_in_flight": 1 + extra % 2}
        )
        assert connections_needed(crowded, processes=1) == limit - reserved
        warning = check_connection_budget(engine, crowded, processes=1)
    finally:
        for conn in held:
            conn.close()
    assert warning is not None
    assert "other clients hold" in warning
