"""Security headers, a strict Content-Security-Policy, a body size cap, the client's address
behind trusted proxies, and CSRF tokens.

Written as plain ASGI middleware so that it wraps every response, errors included, and costs
nothing per request beyond a few header tuples.
"""

from __future__ import annotations

import html
import ipaddress
import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fastapi import Request, Response
from jinja2.filters import do_filesizeformat
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.config import Settings
from accord.errors import Forbidden
from accord.errors import Message as Said
from accord.identity.credentials import same
from accord.web import i18n
from accord.web.refusals import TOO_LARGE, spoken

CSRF_COOKIE = "accord_csrf"
CSRF_FIELD = "csrf_token"
# A cookie whose name starts so is refused by browsers unless Secure, Path=/ and without
# Domain (RFC 6265bis, 4.1.3.2): no sibling subdomain or plain-HTTP page can set or shadow it.
HOST_PREFIX = "__Host-"

# No inline script or style anywhere, nothing from another origin: every asset is the hub's.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

_BASE_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]


class SecurityHeaders:
    """Adds the security headers to every response; ``no-store`` unless a route says otherwise."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = _own_headers(hsts)
        # Every header this adds, with its cache-control, made once: an answer that sets none
        # of them (most) gets the whole list at once, not a header at a time.
        self.names = frozenset(name for name, _ in self.headers) | {b"cache-control"}
        self.no_store = (*self.headers, (b"cache-control", b"no-store"))
        self.static = (*self.headers, (b"cache-control", b"public, max-age=3600"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.with_headers(scope, message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def with_headers(
        self, scope: Scope, headers: Sequence[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        """An answer's headers and the security headers it does not set itself; the cache's
        ``no-store`` (a static file's an hour) unless it says otherwise."""
        names = {name.lower() for name, _ in headers}
        if names.isdisjoint(self.names):
            static = scope["path"].startswith("/static/")
            return [*headers, *(self.static if static else self.no_store)]
        added = [*headers, *(h for h in self.headers if h[0] not in names)]
        if b"cache-control" not in names:
            static = scope["path"].startswith("/static/")
            added.append((b"cache-control", b"public, max-age=3600" if static else b"no-store"))
        return added


def protect(response: Response, *, hsts: bool) -> None:
    """The security headers, and ``no-store``, on an answer sent outside ``SecurityHeaders``:
    an unexpected error's, which Starlette sends from its outermost layer."""
    for name, value in (*_own_headers(hsts), (b"cache-control", b"no-store")):
        response.headers.setdefault(name.decode(), value.decode())


def _own_headers(hsts: bool) -> list[tuple[bytes, bytes]]:
    hsts_header = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
    return [*_BASE_HEADERS, hsts_header] if hsts else list(_BASE_HEADERS)


def body_limit(path: str, max_bytes: int, larger: Mapping[str, int]) -> int:
    """The most a request to ``path`` may send: ``max_bytes``, or more where a route says so."""
    return max(max_bytes, larger.get(path, 0))


class BodyLimit:
    """Refuses request bodies over ``max_bytes`` with 413, whether declared or streamed;
    ``larger`` names the paths that take more (an upload page), with their limit."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default_bytes = max_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"], self.default_bytes, self.larger)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _too_large(send, limit, scope)
                return
        received = 0
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer 413 now and tell the app the client went away, so that it stops
                    # reading; whatever it tries to send afterwards is dropped.
                    refused = True
                    await _too_large(send, limit, scope)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counting_receive, guarded_send)


_FORMS = (b"multipart/form-data", b"application/x-www-form-urlencoded")


def _from_a_form(scope: Scope) -> bool:
    """Whether the request is a browser's form post to a page (not the API or TAXII)."""
    path = str(scope["path"])
    if path.startswith(("/api/", "/taxii2/")):
        return False
    kind = dict(scope.get("headers", [])).get(b"content-type", b"")
    return kind.split(b";")[0].strip().lower() in _FORMS


def _too_large_page(scope: Scope, limit: int) -> bytes:
    """A page in the viewer's language: the form was too large, and the way back to it."""
    language = i18n.choose_language(Request(scope))
    gettext = i18n.translations(language).gettext
    title = html.escape(gettext("The form is too large"))
    said = html.escape(
        gettext("What you sent is over this page's limit of %(size)s. Send a smaller file.")
        % {"size": do_filesizeformat(limit, binary=True)}
    )
    back = html.escape(gettext("Back to the form"))
    path = html.escape(str(scope["path"]), quote=True)
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body><main><h1>{title}</h1>"
        f'<p class="error" role="alert">{said}</p><p><a href="{path}">{back}</a></p>'
        "</main></body></html>"
    ).encode()


async def _too_large(send: Send, limit: int, scope: Scope) -> None:
    path = str(scope["path"])
    message, named = spoken(scope, Said(TOO_LARGE, limit=limit))
    media_type = b"application/json"
    body = json.dumps({"error": "too_large", "message": message}).encode()
    if _from_a_form(scope):
        media_type = b"text/html; charset=utf-8"
        body = _too_large_page(scope, limit)
        named = []  # the page is in the viewer's language (cookie first), its own lang=
    elif path.startswith("/taxii2/"):
        # TAXII clients expect its error message resource and media type (TAXII 2.1, 3.6.1).
        media_type = b"application/taxii+json;version=2.1"
        body = json.dumps(
            {"title": "Request too large", "description": message, "http_status": "413"}
        ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", media_type),
                (b"content-length", str(len(body)).encode()),
                *named,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class TrustedProxies:
    """Takes the client's address from ``X-Forwarded-For`` (and the scheme from
    ``X-Forwarded-Proto``) only on connections from a configured proxy.

    Anyone can send the header; believed from any peer, it would let a client choose the
    address its sign-in failures and public forms are counted under. The client is the
    right-most address that is not itself a trusted proxy: each proxy appends the peer it
    saw, so everything to the left of that may be the client's own invention.
    """

    def __init__(self, app: ASGIApp, *, networks: Sequence[str]) -> None:
        self.app = app
        self.networks = [ipaddress.ip_network(n, strict=False) for n in networks]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client and self.trusted(client[0]):
            hops: list[str] = []
            proto = None
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    hops += [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
                elif name == b"x-forwarded-proto":
                    proto = value.decode("latin-1").strip().lower()
            scope = dict(scope)
            if hops:
                scope["client"] = (self.client_of(hops), 0)
            if proto in ("http", "https") and scope["type"] == "http":
                scope["scheme"] = proto
        await self.app(scope, receive, send)

    def trusted(self, host: str) -> bool:
        """Whether ``host`` is one of the configured proxies."""
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    def client_of(self, hops: list[str]) -> str:
        """The client in a chain of ``X-Forwarded-For`` addresses, left to right."""
        hosts = [_host(hop) for hop in hops]
        for host in reversed(hosts):
            if not self.trusted(host):
                return host
        return hosts[0]


def _host(hop: str) -> str:
    # "[2001:db8::1]:443" and "192.0.2.1:443" name a port; a bare IPv6 address has colons too.
    if hop.startswith("[") and "]" in hop:
        return hop[1 : hop.index("]")]
    if hop.count(":") == 1:
        return hop.partition(":")[0]
    return hop


def cookie_name(name: str, settings: Settings) -> str:
    """The name of one of the hub's cookies: ``__Host-`` + ``name`` when served over HTTPS,
    where cookies are Secure; plain over HTTP, where a browser refuses the prefix."""
    return HOST_PREFIX + name if settings.secure_cookies else name


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (double-submit: the same value in a cookie and each form)."""
    token: str | None = getattr(request.state, "csrf_token", None)
    if token is None:
        cookie = request.cookies.get(cookie_name(CSRF_COOKIE, _settings(request)))
        token = cookie or secrets.token_urlsafe(32)
        request.state.csrf_token = token
    return token


def set_private_cookie(
    response: Response,
    name: str,
    value: str,
    *,
    settings: Settings,
    max_age: int | None = None,
    samesite: Literal["lax", "strict"] = "lax",
) -> None:
    """Set one of the hub's own cookies: named for the scheme (:func:`cookie_name`), HttpOnly,
    Secure over HTTPS, for the whole site."""
    response.set_cookie(
        cookie_name(name, settings),
        value,
        max_age=max_age,
        httponly=True,
        secure=settings.secure_cookies,
        samesite=samesite,
        path="/",
    )


def clear_private_cookie(
    response: Response,
    name: str,
    *,
    settings: Settings,
    samesite: Literal["lax", "strict"] = "lax",
) -> None:
    """Remove one of the hub's own cookies with the attributes it was set with: a browser
    ignores the removal of a ``__Host-`` cookie without Secure."""
    response.delete_cookie(
        cookie_name(name, settings),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite=samesite,
    )


def set_csrf_cookie(request: Request, response: Response, token: str) -> None:
    """Give the browser ``token`` as its CSRF cookie."""
    set_private_cookie(response, CSRF_COOKIE, token, settings=_settings(request), samesite="strict")


def rotate_csrf(request: Request, response: Response) -> None:
    """A new CSRF token for this browser, at sign-in and sign-out: a token someone learned or
    planted before (on a shared computer, or through a cookie set over plain HTTP) is worth
    nothing in the new session."""
    token = secrets.token_urlsafe(32)
    request.state.csrf_token = token
    set_csrf_cookie(request, response, token)


async def verify_csrf(request: Request) -> None:
    """Reject a state-changing form whose token does not match the browser's cookie.

    A cross-site page can make a browser post a form, but cannot read or set our cookie, so it
    cannot know the value to put in the form. SameSite cookies are a second layer.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    cookie = request.cookies.get(cookie_name(CSRF_COOKIE, _settings(request)))
    form: Any = await request.form()
    sent = form.get(CSRF_FIELD)
    if not cookie or not isinstance(sent, str) or not same(cookie, sent):
        raise Forbidden(
            "the form's CSRF token is missing or stale; reload the page", field=CSRF_FIELD
        )
