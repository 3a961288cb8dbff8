"""DNS rebinding: a name that is public when checked and internal when connected to.

A resolver under the test's control answers the first look-up of ``rebind.test`` with a public
address and every later one with 127.0.0.1, where a real server listens. Checking the name
and then letting the HTTP client resolve it again would reach that server; the hub must
connect only to the address it checked.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from accord import outbound
from accord.config import Settings
from accord.notifications.webhooks import DeliveryFailed, deliver
from accord.registry.securitytxt import check
from tests.registry.samples import security_txt
from tests.registry.servers import Route, StaticServer

HOST = "rebind.test"
PUBLIC = "93.184.215.14"  # globally routable; the check must accept it


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make ``rebind.test`` public on its first look-up and loopback afterwards."""
    real: Callable[..., Any] = socket.getaddrinfo
    answers: list[str] = []

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != HOST:
            return real(host, port, *args, **kwargs)
        address = PUBLIC if not answers else "127.0.0.1"
        answers.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return answers


@pytest.fixture
def strict(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "outbound_allow_private_addresses": False,
            "outbound_timeout_seconds": 1.0,
            "securitytxt_allow_http": True,
            "webhook_allow_http": True,
        }
    )


def _port(server: StaticServer) -> int:
    return int(server.url("/").rsplit(":", 1)[1].split("/")[0])


def test_a_security_txt_check_never_reaches_the_rebound_address(
    http_server: StaticServer, strict: Settings, rebinding: list[str]
) -> None:
    http_server.route("/.well-known/security.txt", Route(security_txt().encode()))
    url = f"http://{HOST}:{_port(http_server)}/.well-known/security.txt"
    result = check(url, settings=strict)
    assert http_server.requests == []
    assert not result.ok
    assert "internal_address" in [finding.code for finding in result.findings]
    # The name was resolved for the early check and once more for the connection, which
    # is the answer that counted: nothing else resolved it behind the check's back.
    assert rebinding == [PUBLIC, "127.0.0.1"]


def test_a_webhook_delivery_never_reaches_the_rebound_address(
    http_server: StaticServer, strict: Settings, rebinding: list[str]
) -> None:
    http_server.route("/hook", Route(b"ok"))
    url = f"http://{HOST}:{_port(http_server)}/hook"
    with pytest.raises(DeliveryFailed, match="non-public"):
        deliver(settings=strict, url=url, secret="s" * 32, delivery_id="d1", event={"kind": "x"})
    assert http_server.requests == []


def test_the_client_connects_to_the_address_it_checked(
    http_server: StaticServer, strict: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A name whose every answer is public passes; the connection then goes to that answer
    # (here unroutable in the sandbox or refused), never to a second look-up.
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != HOST:
            return real(host, port, *args, **kwargs)
        looked_up.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with outbound.client(strict) as client, pytest.raises(outbound.Refused) as refused:
        client.get(f"http://{HOST}:{_port(http_server)}/")
    assert refused.value.code == "internal_address"
    assert looked_up == [HOST]
    assert http_server.requests == []
    # With private addresses allowed (an operator's choice), the same client reaches it.
    open_settings = strict.model_copy(update={"outbound_allow_private_addresses": True})
    http_server.route("/", Route(b"ok"))
    with outbound.client(open_settings) as client:
        assert client.get(f"http://{HOST}:{_port(http_server)}/").status_code == 200


def test_a_reachability_check_never_reaches_the_rebound_address(
    http_server: StaticServer, strict: Settings, rebinding: list[str]
) -> None:
    from accord.registry import reach

    http_server.route("/policy", Route(b"<p>policy</p>", content_type="text/html"))
    url = f"http://{HOST}:{_port(http_server)}/policy"
    fetched = reach.fetch(url, settings=strict, accept=frozenset({"text/html"}))
    assert not fetched.ok
    assert fetched.problem == "internal_address"
    assert http_server.requests == []
