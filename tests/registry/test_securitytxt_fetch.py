"""The security.txt fetcher against real HTTP and HTTPS servers on 127.0.0.1."""

from __future__ import annotations

import socket
import ssl
import time

import pytest

from accord.config import Settings
from accord.registry.securitytxt import CheckResult, Severity, check, make_client
from tests.registry.gpg import GnuPG
from tests.registry.samples import expires_in, security_txt, without_expires
from tests.registry.servers import Route, StaticServer

PATH = "/.well-known/security.txt"


def fetch_tls(url: str, settings: Settings, trusting: ssl.SSLContext) -> CheckResult:
    with make_client(settings, verify=trusting) as client:
        return check(url, settings=settings, client=client)


def errors(result: CheckResult) -> list[str]:
    return [f.code for f in result.findings if f.severity is Severity.ERROR]


def warnings_of(result: CheckResult) -> list[str]:
    return [f.code for f in result.findings if f.severity is Severity.WARNING]


# -- good files ----------------------------------------------------------------------------


def test_good_file_over_https(
    https_server: StaticServer, local_settings: Settings, trusting: ssl.SSLContext
) -> None:
    url = https_server.route(PATH, Route(security_txt().encode()))
    result = fetch_tls(url, local_settings, trusting)
    assert result.ok
    assert result.status_code == 200
    assert result.final_url == url
    assert result.parsed is not None
    assert result.parsed.values("Contact") == ["mailto:security@example.com"]
    assert warnings_of(result) == ["unsigned"]


def test_gnupg_signed_file_over_https_has_no_finding(
    https_server: StaticServer, local_settings: Settings, trusting: ssl.SSLContext, gpg: GnuPG
) -> None:
    url = https_server.url(PATH)
    signed = gpg.clearsign(security_txt(extra=f"Canonical: {url}\n"))
    https_server.route(PATH, Route(signed.encode()))
    result = fetch_tls(url, local_settings, trusting)
    assert result.ok
    assert result.parsed is not None
    assert result.parsed.signed
    assert result.findings == ()


def test_untrusted_certificate_is_unreachable(
    https_server: StaticServer, local_settings: Settings
) -> None:
    url = https_server.route(PATH, Route(security_txt().encode()))
    result = check(url, settings=local_settings)
    assert errors(result) == ["unreachable"]
    assert result.parsed is None


# -- transport rules -----------------------------------------------------------------------


def test_plain_http_is_fetched_only_when_allowed_and_always_reported(
    http_server: StaticServer, local_settings: Settings
) -> None:
    url = http_server.route(PATH, Route(security_txt().encode()))
    allowed = check(
        url, settings=local_settings.model_copy(update={"securitytxt_allow_http": True})
    )
    assert errors(allowed) == ["not_https"]
    assert allowed.parsed is not None
    assert allowed.parsed.ok
    assert not allowed.ok
    refused = check(
        url, settings=local_settings.model_copy(update={"securitytxt_allow_http": False})
    )
    assert errors(refused) == ["not_https"]
    assert refused.parsed is None
    assert http_server.requests == [PATH]  # the refused check never connected


def test_internal_addresses_are_refused_unless_allowed(
    http_server: StaticServer, local_settings: Settings
) -> None:
    url = http_server.route(PATH, Route(security_txt().encode()))
    closed = local_settings.model_copy(update={"outbound_allow_private_addresses": False})
    result = check(url, settings=closed)
    assert errors(result) == ["internal_address"]
    assert http_server.requests == []


@pytest.mark.parametrize(
    ("route", "code"),
    [
        (Route(b"not found\n", status=404), "http_status"),
        (Route(b"<html></html>", content_type="text/html; charset=utf-8"), "content_type"),
        (Route(security_txt().encode(), content_type=None), "content_type"),
        (Route(security_txt().encode(), headers={"Content-Encoding": "gzip"}), "content_encoding"),
    ],
    ids=["404", "html", "no-content-type", "gzip"],
)
def test_unusable_answers_are_errors_and_not_parsed(
    http_server: StaticServer, local_settings: Settings, route: Route, code: str
) -> None:
    url = http_server.route(PATH, route)
    result = check(url, settings=local_settings)
    assert code in errors(result)
    assert result.parsed is None
    assert result.status_code == route.status


def test_charset_must_be_utf8(http_server: StaticServer, local_settings: Settings) -> None:
    body = security_txt().encode()
    latin = check(
        http_server.route(PATH, Route(body, content_type="text/plain; charset=iso-8859-1")),
        settings=local_settings,
    )
    assert "charset" in errors(latin)
    bare = check(
        http_server.route("/bare", Route(body, content_type="text/plain")), settings=local_settings
    )
    assert "charset" not in errors(bare)
    assert "no_charset" in warnings_of(bare)


@pytest.mark.parametrize("send_length", [True, False], ids=["declared", "streamed"])
def test_oversized_file_is_cut_at_the_limit(
    http_server: StaticServer, local_settings: Settings, send_length: bool
) -> None:
    limit = local_settings.outbound_max_bytes
    body = security_txt().encode() + b"# padding padding\n" * (limit // 18 + 10)
    url = http_server.route(PATH, Route(body, send_length=send_length))
    result = check(url, settings=local_settings)
    assert errors(result) == ["too_large"]
    assert result.parsed is None


def test_slow_server_times_out(http_server: StaticServer, local_settings: Settings) -> None:
    # The server would answer after 15 s; the check gives up after its 1 s timeout. The
    # bound is loose so that a loaded machine cannot fail it; what it proves is that the
    # check did not wait for the server.
    url = http_server.route(PATH, Route(security_txt().encode(), delay=15.0))
    started = time.monotonic()
    result = check(url, settings=local_settings)
    assert errors(result) == ["timeout"], result.findings
    assert time.monotonic() - started < 8


def test_trickling_server_is_cut_by_the_overall_deadline(
    http_server: StaticServer, local_settings: Settings
) -> None:
    # Each byte arrives well within the read timeout; the whole answer would take 20 s.
    url = http_server.route(PATH, Route(security_txt().encode(), trickle=0.1))
    started = time.monotonic()
    result = check(url, settings=local_settings)
    assert errors(result) == ["timeout"], result.findings
    assert time.monotonic() - started < 8


def test_closed_port_is_unreachable(local_settings: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = check(f"http://127.0.0.1:{port}{PATH}", settings=local_settings)
    assert errors(result) == ["unreachable"]


@pytest.mark.parametrize("url", ["ftp://example.com/security.txt", "not a url", "https://"])
def test_invalid_urls(url: str, local_settings: Settings) -> None:
    assert errors(check(url, settings=local_settings)) == ["invalid_url"]


# -- redirects -----------------------------------------------------------------------------


def test_redirects_are_followed_on_the_same_scheme_and_recorded(
    https_server: StaticServer, local_settings: Settings, trusting: ssl.SSLContext
) -> None:
    final = https_server.route(PATH, Route(security_txt().encode()))
    start = https_server.route("/security.txt", Route(status=301, headers={"Location": PATH}))
    result = fetch_tls(start, local_settings, trusting)
    assert result.ok
    assert result.redirects == (final,)
    assert result.final_url == final


def test_redirect_from_https_to_http_is_refused(
    https_server: StaticServer,
    http_server: StaticServer,
    local_settings: Settings,
    trusting: ssl.SSLContext,
) -> None:
    plain = http_server.route(PATH, Route(security_txt().encode()))
    start = https_server.route(PATH, Route(status=302, headers={"Location": plain}))
    result = fetch_tls(start, local_settings, trusting)
    assert errors(result) == ["redirect_downgrade"]
    assert http_server.requests == []


def test_redirect_to_another_host_is_a_warning(
    http_server: StaticServer, local_settings: Settings
) -> None:
    http_server.route(PATH, Route(security_txt().encode()))
    other = http_server.url(PATH).replace("127.0.0.1", "localhost")
    start = http_server.route("/moved", Route(status=307, headers={"Location": other}))
    result = check(start, settings=local_settings)
    assert "redirect_other_host" in warnings_of(result)
    assert result.final_url == other


def test_redirect_loops_stop(http_server: StaticServer, local_settings: Settings) -> None:
    http_server.route("/a", Route(status=302, headers={"Location": "/b"}))
    start = http_server.route("/b", Route(status=302, headers={"Location": "/a"}))
    result = check(start, settings=local_settings)
    assert errors(result) == ["too_many_redirects"]
    assert len(http_server.requests) == 6


# -- what the file says --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (security_txt(contact=None), "no_contact"),
        (without_expires(security_txt()), "no_expires"),
        (security_txt(expires=expires_in(-2)), "expired"),
    ],
    ids=["missing-contact", "missing-expires", "expired"],
)
def test_bad_files_over_https(
    https_server: StaticServer,
    local_settings: Settings,
    trusting: ssl.SSLContext,
    text: str,
    code: str,
) -> None:
    url = https_server.route(PATH, Route(text.encode()))
    result = fetch_tls(url, local_settings, trusting)
    assert errors(result) == [code]
    assert not result.ok
