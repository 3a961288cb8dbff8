"""Logging set-up for the server: access lines never carry query strings.

One-time links (the bootstrap link, a reporter's private link) carry their secret in the query
string, and searches carry what people looked for. The access log keeps the path alone.
"""

from __future__ import annotations

import logging
from typing import Any


class DropQueryStrings(logging.Filter):
    """Cut the query string from uvicorn's access-log records (their third argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, sep, _ = args[2].partition("?")
            record.args = (*args[:2], path + ("?…" if sep else ""), *args[3:])
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """Uvicorn's default logging configuration with :class:`DropQueryStrings` on access lines."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {**LOGGING_CONFIG}
    config["filters"] = {"drop_query": {"()": "accord.web.logs.DropQueryStrings"}}
    config["handlers"] = {name: dict(h) for name, h in LOGGING_CONFIG["handlers"].items()}
    config["handlers"]["access"]["filters"] = ["drop_query"]
    return config
