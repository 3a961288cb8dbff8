"""Fetching a security.txt the way RFC 9116 section 3 and section 5 ask, within hard limits.

- HTTPS only (3, 5.7); plain HTTP is fetched only where the operator allowed it, and is still
  reported.
- Redirects are followed by hand (at most five) and recorded (5.2); one that changes the
  scheme from https to anything else is refused, never followed silently.
- The media type must be text/plain, utf-8 (3).
- The body is streamed and cut at ``outbound_max_bytes``; the whole fetch, not only each
  read, is bounded by ``outbound_timeout_seconds``, so a server trickling bytes cannot hold
  a worker (5.4).
- Addresses inside the hub's own networks (loopback, private, link-local) are refused unless
  the operator allowed them, so that an organization's URL cannot make the hub probe them.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import NoReturn

import httpx

from accord import __version__, outbound
from accord.clock import utcnow
from accord.config import Settings
from accord.registry.securitytxt.parser import Finding, SecurityTxt, Severity, error, parse, warning

MAX_REDIRECTS = 5
USER_AGENT = f"accord-hub/{__version__} (security.txt check; RFC 9116)"


@dataclass(frozen=True)
class CheckResult:
    """What a check found: where it ended up, what was served, and every finding."""

    url: str
    final_url: str | None
    status_code: int | None
    parsed: SecurityTxt | None
    findings: tuple[Finding, ...]
    redirects: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the file was fetched and nothing breaks a MUST."""
        return self.parsed is not None and not any(
            f.severity is Severity.ERROR for f in self.findings
        )


@dataclass
class _Fetch:
    findings: list[Finding] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)
    final_url: str | None = None
    status_code: int | None = None
    body: bytes | None = None


class _Stop(Exception):
    """Ends a fetch with a finding (already recorded)."""


def make_client(settings: Settings, *, verify: ssl.SSLContext | bool = True) -> httpx.Client:
    """An HTTP client set up for checks: no automatic redirects, no proxy from the environment,
    and connections only to the public address checked at connection time (:mod:`accord.outbound`).

    ``verify`` is an ``ssl.SSLContext`` in tests that trust their own CA.
    """
    return outbound.client(
        settings,
        verify=verify,
        headers={"User-Agent": USER_AGENT, "Accept": "text/plain", "Accept-Encoding": "identity"},
    )


def check(
    url: str,
    *,
    settings: Settings,
    now: datetime | None = None,
    client: httpx.Client | None = None,
) -> CheckResult:
    """Fetch and parse the security.txt at ``url``. Never raises for what the server does."""
    state = _Fetch()
    own = client is None
    http = client or make_client(settings)
    try:
        _fetch(url, http, settings, state)
    except _Stop:
        pass
    finally:
        if own:
            http.close()
    parsed = None
    if state.body is not None:
        parsed = parse(state.body, now=now or utcnow(), url=state.final_url)
        state.findings.extend(parsed.findings)
    return CheckResult(
        url=url,
        final_url=state.final_url,
        status_code=state.status_code,
        parsed=parsed,
        findings=tuple(state.findings),
        redirects=tuple(state.redirects),
    )


def _fetch(url: str, http: httpx.Client, settings: Settings, state: _Fetch) -> None:
    deadline = time.monotonic() + settings.outbound_timeout_seconds
    current = _first_url(url, settings, state)
    for _ in range(MAX_REDIRECTS + 1):
        _refuse_internal(current, settings, state)
        try:
            with http.stream("GET", current) as response:
                state.status_code = response.status_code
                if response.is_redirect:
                    current = _next_hop(current, response, state)
                    continue
                state.final_url = str(current)
                _accept(response, state)
                state.body = _read(response, settings.outbound_max_bytes, deadline, state)
                _report_scheme(url, current, state)
                return
        except outbound.Refused as exc:
            _stop(state, exc.code, exc.message)
        except httpx.TimeoutException:
            _stop(state, "timeout", f"no answer within {settings.outbound_timeout_seconds:g} s")
        except httpx.HTTPError as exc:
            # The exception's class says enough; its text may echo the server's answer.
            _stop(state, "unreachable", f"could not fetch: {type(exc).__name__}")
    _stop(state, "too_many_redirects", f"more than {MAX_REDIRECTS} redirects")


def _stop(state: _Fetch, code: str, message: str) -> NoReturn:
    state.findings.append(error(code, message))
    raise _Stop


def _first_url(url: str, settings: Settings, state: _Fetch) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        _stop(state, "invalid_url", "the security.txt URL is not a valid URL")
    if parsed.scheme not in ("http", "https") or not parsed.host:
        _stop(state, "invalid_url", "the security.txt URL must be an https:// URL")
    if parsed.scheme == "http" and not settings.securitytxt_allow_http:
        _stop(state, "not_https", "not served over HTTPS: RFC 9116 requires https:// (not fetched)")
    return parsed


def _refuse_internal(url: httpx.URL, settings: Settings, state: _Fetch) -> None:
    try:
        outbound.check_public(url.host, url.port or 443, settings=settings)
    except outbound.Refused as exc:
        _stop(state, exc.code, exc.message)


def _next_hop(current: httpx.URL, response: httpx.Response, state: _Fetch) -> httpx.URL:
    location = response.headers.get("location")
    if not location:
        _stop(state, "bad_redirect", f"HTTP {response.status_code} without a Location")
    try:
        target = current.join(location)
    except httpx.InvalidURL:
        _stop(state, "bad_redirect", "the redirect's Location is not a valid URL")
    state.redirects.append(str(target))
    if target.scheme not in ("http", "https"):
        _stop(state, "bad_redirect", f"redirect to a {target.scheme}: URL refused")
    if current.scheme == "https" and target.scheme != "https":
        _stop(state, "redirect_downgrade", f"redirect from https to {target.scheme} refused")
    if target.host != current.host:
        # RFC 9116 5.2: a redirect to another host deserves a look before trusting the file.
        state.findings.append(
            warning("redirect_other_host", f"redirected from {current.host} to {target.host}")
        )
    return target


def _accept(response: httpx.Response, state: _Fetch) -> None:
    if response.status_code != 200:
        _stop(state, "http_status", f"the server answered HTTP {response.status_code}")
    content_type = response.headers.get("content-type", "")
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "text/plain":
        _stop(state, "content_type", f"served as {media.strip() or 'nothing'}, not text/plain")
    charset = _charset(params)
    if charset is None:
        state.findings.append(warning("no_charset", "text/plain without charset=utf-8"))
    elif charset not in ("utf-8", "utf8"):
        state.findings.append(error("charset", f"served as charset {charset}, not utf-8"))
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding != "identity":
        # We asked for none; decoding would let a small answer inflate past the size limit.
        _stop(state, "content_encoding", f"served with content-encoding {encoding}")


def _charset(params: str) -> str | None:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _read(response: httpx.Response, limit: int, deadline: float, state: _Fetch) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        _stop(state, "too_large", f"the file is {declared} bytes; the limit is {limit}")
    body = bytearray()
    for chunk in response.iter_raw():
        body += chunk
        if len(body) > limit:
            _stop(state, "too_large", f"the file is over the limit of {limit} bytes")
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("deadline passed while reading")
    return bytes(body)


def _report_scheme(first: str, final: httpx.URL, state: _Fetch) -> None:
    if final.scheme == "http":
        state.findings.append(
            error("not_https", "not served over HTTPS: RFC 9116 requires https://")
        )
    elif not first.startswith("https:"):
        state.findings.append(
            warning("started_over_http", "the first request went over plain HTTP")
        )
