"""The application's ``state``, read as plain attributes.

Starlette's ``State`` keeps its values in a dict behind ``__getattr__``: every read of
``app.state.engine`` first fails the ordinary attribute look-up (Python formats the
``AttributeError``'s message), then calls ``__getattr__``, a Python function. A TAXII read
makes some ten such reads (the settings, the engine, the kept connections, the access rows,
the page cache, the cursor key, the delivery counts), about a tenth of a kept page's
instructions beyond the framework's own (docs/benchmarks.md, "The reads' own work").
:class:`AppState` is the same ``State`` (the same dict, the same errors for a name never
set) that also keeps each value as an instance attribute, found by the ordinary look-up.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import State


class AppState(State):
    """A ``State`` whose values are instance attributes too, kept in step with its dict."""

    def __setattr__(self, key: Any, value: Any) -> None:
        super().__setattr__(key, value)
        object.__setattr__(self, key, value)

    def __delattr__(self, key: Any) -> None:
        super().__delattr__(key)
        object.__delattr__(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.__setattr__(key, value)

    def __delitem__(self, key: str) -> None:
        self.__delattr__(key)
