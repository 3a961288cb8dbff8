"""The application's state read as plain attributes (``web.app_state``): the same values,
the same dict and the same errors as Starlette's ``State``."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from starlette.datastructures import State

from accord.web.app_state import AppState


def test_values_set_every_way_are_attributes_and_in_the_dict() -> None:
    state = AppState()
    state.engine = "e"
    state["cache"] = "c"
    assert vars(state)["engine"] == "e"
    assert vars(state)["cache"] == "c"
    assert state.engine == "e"
    assert state["cache"] == "c"
    assert state.cache == "c"
    assert state._state == {"engine": "e", "cache": "c"}
    assert sorted(state) == ["cache", "engine"]
    assert len(state) == 2
    state.engine = "f"
    assert state.engine == "f"
    assert state["engine"] == "f"
    del state.engine
    del state["cache"]
    assert state._state == {}
    assert "engine" not in vars(state)
    assert "cache" not in vars(state)


@pytest.mark.parametrize("kind", [State, AppState])
def test_a_name_never_set_is_refused_as_starlette_refuses_it(kind: type[State]) -> None:
    state = kind()
    with pytest.raises(AttributeError, match=f"'{kind.__name__}' object has no attribute 'x'"):
        _ = state.x
    assert getattr(state, "x", None) is None
    with pytest.raises(KeyError):
        del state.x


def test_the_hubs_state_is_read_as_attributes(app: FastAPI) -> None:
    assert isinstance(app.state, AppState)
    for name in ("settings", "engine", "access_cache", "read_connections", "page_cache"):
        assert vars(app.state)[name] is app.state._state[name]
