"""Fetching a page a signatory publishes (its disclosure policy, its CSAF provider metadata)
within the same hard limits as the security.txt check.

- https only, unless the operator allowed plain http (``ACCORD_SECURITYTXT_ALLOW_HTTP``, the
  setting tests and closed networks already use for security.txt);
- every hop's host must resolve to public addresses only (``accord.outbound``), redirects are
  followed by hand (at most five) and never from https down to http;
- a 2xx answer of an accepted media type, no content-encoding, streamed and cut at
  ``registry_check_max_bytes``, the whole fetch bounded by ``outbound_timeout_seconds``.

It never raises for what a server does: the outcome names its problem.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass

import httpx

from accord import __version__, outbound
from accord.config import Settings
from accord.errors import N_, Message

MAX_REDIRECTS = 5
USER_AGENT = f"accord-hub/{__version__} (signatory registry check)"


@dataclass(frozen=True)
class Fetched:
    """What one fetch ended with: the body when it succeeded, else a problem code and text."""

    url: str
    final_url: str | None = None
    status_code: int | None = None
    content_type: str | None = None
    body: bytes | None = None
    problem: str | None = None
    # Said by the catalog in a reader's language (``str()`` of it is the English record).
    message: Message | str | None = None

    @property
    def ok(self) -> bool:
        """Whether the body was fetched within every limit."""
        return self.problem is None and self.body is not None


class _Stop(Exception):
    def __init__(self, problem: str, message: Message | str) -> None:
        super().__init__(str(message))
        self.problem = problem
        self.message = message


@dataclass
class _State:
    final_url: str | None = None
    status_code: int | None = None
    content_type: str | None = None


def make_client(settings: Settings, *, verify: ssl.SSLContext | bool = True) -> httpx.Client:
    """A client for these fetches: no automatic redirects, no proxy from the environment, and
    connections only to the public address checked at connection time (DNS rebinding)."""
    return outbound.client(
        settings,
        verify=verify,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
    )


def fetch(
    url: str,
    *,
    settings: Settings,
    accept: frozenset[str],
    client: httpx.Client | None = None,
) -> Fetched:
    """GET ``url``, accepting only the media types in ``accept``."""
    state = _State()
    own = client is None
    http = client or make_client(settings)
    try:
        body = _fetch(url, http, settings, accept, state)
        return Fetched(url, state.final_url, state.status_code, state.content_type, body)
    except _Stop as stop:
        return Fetched(
            url,
            state.final_url,
            state.status_code,
            state.content_type,
            problem=stop.problem,
            message=stop.message,
        )
    finally:
        if own:
            http.close()


def _fetch(
    url: str, http: httpx.Client, settings: Settings, accept: frozenset[str], state: _State
) -> bytes:
    deadline = time.monotonic() + settings.outbound_timeout_seconds
    current = _first_url(url, settings)
    for _ in range(MAX_REDIRECTS + 1):
        try:
            outbound.check_public(current.host, current.port or 443, settings=settings)
        except outbound.Refused as exc:
            raise _Stop(exc.code, exc.message) from None
        try:
            with http.stream("GET", current) as response:
                state.status_code = response.status_code
                if response.is_redirect:
                    current = _next_hop(current, response)
                    continue
                state.final_url = str(current)
                _accept(response, accept, state)
                return _read(response, settings.registry_check_max_bytes, deadline)
        except outbound.Refused as exc:
            raise _Stop(exc.code, exc.message) from None
        except httpx.TimeoutException:
            waited = f"{settings.outbound_timeout_seconds:g}"
            raise _Stop(
                "timeout", Message(N_("no answer within %(seconds)s s"), seconds=waited)
            ) from None
        except httpx.HTTPError as exc:
            # The exception's class says enough; its text may echo the server's answer.
            raise _Stop(
                "unreachable", Message(N_("could not fetch: %(error)s"), error=type(exc).__name__)
            ) from None
    raise _Stop(
        "too_many_redirects", Message(N_("more than %(count)s redirects"), count=MAX_REDIRECTS)
    )


def _first_url(url: str, settings: Settings) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise _Stop("invalid_url", N_("not a valid URL")) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise _Stop("invalid_url", N_("not an https:// URL"))
    if parsed.username or parsed.password:
        raise _Stop("invalid_url", N_("a URL with credentials is not fetched"))
    if parsed.scheme == "http" and not settings.securitytxt_allow_http:
        raise _Stop("not_https", N_("not an https:// URL (not fetched)"))
    return parsed


def _next_hop(current: httpx.URL, response: httpx.Response) -> httpx.URL:
    location = response.headers.get("location")
    if not location:
        raise _Stop(
            "bad_redirect",
            Message(N_("HTTP %(status)s without a Location"), status=response.status_code),
        )
    try:
        target = current.join(location)
    except httpx.InvalidURL:
        raise _Stop("bad_redirect", N_("the redirect's Location is not a valid URL")) from None
    if target.scheme not in ("http", "https"):
        raise _Stop(
            "bad_redirect",
            Message(N_("redirect to a %(scheme)s: URL refused"), scheme=target.scheme),
        )
    if current.scheme == "https" and target.scheme != "https":
        raise _Stop(
            "redirect_downgrade",
            Message(N_("redirect from https to %(scheme)s refused"), scheme=target.scheme),
        )
    return target


def _accept(response: httpx.Response, accept: frozenset[str], state: _State) -> None:
    if not 200 <= response.status_code < 300:
        raise _Stop(
            "http_status",
            Message(N_("the server answered HTTP %(status)s"), status=response.status_code),
        )
    media = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    state.content_type = media or None
    if media not in accept:
        wanted = " or ".join(sorted(accept))
        if not media:
            raise _Stop(
                "content_type", Message(N_("served with no type, not %(wanted)s"), wanted=wanted)
            )
        raise _Stop(
            "content_type",
            Message(N_("served as %(media)s, not %(wanted)s"), media=media, wanted=wanted),
        )
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding != "identity":
        # None was asked for; decoding would let a small answer inflate past the size limit.
        raise _Stop(
            "content_encoding",
            Message(N_("served with content-encoding %(encoding)s"), encoding=encoding),
        )


def _read(response: httpx.Response, limit: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _Stop(
            "too_large",
            Message(
                N_("the answer is %(size)s bytes; the limit is %(limit)s"),
                size=declared,
                limit=limit,
            ),
        )
    body = bytearray()
    for chunk in response.iter_raw():
        body += chunk
        if len(body) > limit:
            raise _Stop(
                "too_large",
                Message(N_("the answer is over the limit of %(limit)s bytes"), limit=limit),
            )
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("deadline passed while reading")
    return bytes(body)
