"""Access logs keep no query strings (one-time links carry secrets there)."""

from __future__ import annotations

import logging
import logging.config

import pytest

from accord.web.logs import uvicorn_log_config


def test_access_log_drops_the_query_string(capsys: pytest.CaptureFixture[str]) -> None:
    logging.config.dictConfig(uvicorn_log_config())
    logger = logging.getLogger("uvicorn.access")
    logger.info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000",
        "GET",
        "/bootstrap?token=boot_secret",
        "1.1",
        200,
    )
    logged = capsys.readouterr()
    text = logged.out + logged.err
    assert "/bootstrap?…" in text
    assert "boot_secret" not in text
