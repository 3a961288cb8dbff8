"""Schemathesis over the hub's whole OpenAPI document: no operation answers 5xx to anything.

Every operation of ``/api/v1/openapi.json`` (the API, the OSV and TAXII routes, the CSAF and
log files) gets requests generated from its schema, valid and invalid, anonymously and with
an operator's admin token; any 5xx fails (``not_a_server_error``). The app runs in process
through schemathesis' ASGI transport against the test database. A handful of examples per
operation keeps the run within about a minute on two cores; derandomized, every run sends the
same requests. tests/web/test_bad_input.py holds each defect found to its own exact test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi
from schemathesis.schemas import APIOperation
from sqlalchemy import Engine

from accord.config import Settings
from accord.web.app import create_app
from tests.factories import Factories

EXAMPLES = settings(
    max_examples=4,
    derandomize=True,  # the same requests on every run: a failure found is reproduced
    phases=[Phase.explicit, Phase.generate],  # a failure is reported as found, not shrunk
    suppress_health_check=list(HealthCheck),
    deadline=None,
    database=None,
)


@pytest.fixture(scope="module")
def hub(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    # An app of its own: schemathesis runs its lifespan until told to stop, which the
    # session's app must not have running under other tests.
    app = create_app(settings, engine=engine)
    yield app
    asgi.shutdown_lifespans()


@pytest.fixture
def operator(make: Factories) -> dict[str, str]:
    """The Authorization header of an operator's admin token."""
    return make.bearer(make.user("operator", operator=True))


def _cases(operation: APIOperation) -> st.SearchStrategy[schemathesis.Case]:
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


def _server_errors(operation: APIOperation, operator: dict[str, str]) -> str | None:
    """The first 5xx hypothesis finds on ``operation`` (None: it found none)."""

    @EXAMPLES
    @given(case=_cases(operation))
    def run(case: schemathesis.Case) -> None:
        for headers in ({}, operator):
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:
        # A failed check, or the app's own exception (the transport raises what it raised).
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        return f"{operation.label}: {type(exc).__name__}: {first}"
    return None


@pytest.mark.slow
def test_no_operation_answers_5xx(hub: FastAPI, operator: dict[str, str]) -> None:
    api = schemathesis.openapi.from_asgi("/api/v1/openapi.json", hub)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) > 100  # the whole document, not a part of it
    try:
        found = [_server_errors(operation, operator) for operation in operations]
    finally:
        hub.state.limiter.clear()
        hub.state.queue.clear()
    assert [f for f in found if f is not None] == []
