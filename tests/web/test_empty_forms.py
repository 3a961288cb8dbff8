"""Every page form posted empty by an operator answers beside its fields (or goes on), never
with the generic error page: a probe over the app's own routes, so that a new form is held to
it without being listed. Routes with a path parameter are left to their own tests (the probe
has no row to name); the ones listed below still answer the generic page and are known."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Route

from tests.factories import Factories, csrf_of

# Not forms a page shows with fields to fill (sign-in and session, bootstrap, the API).
_NOT_PAGE_FORMS = ("/api/", "/.well-known", "/login", "/logout", "/bootstrap", "/signup")

# Still the generic page for an empty form, each for its reason; remove a row when fixed.
KNOWN = {
    "/invitations/accept": "the invitation's token is missing: no form to go back to",
    "/join/set-password": "the join link's token is missing: no form to go back to",
    "/account/factors/webauthn": "posted by the browser's script, not a form",
    "/account/recovery-codes": "a button; the code's own form is elsewhere",
    "/advisories/cvss-score": "posted by htmx from the editor, its vector missing",
    "/disclosure/follow/messages": "the reporter's follow-up link is missing: 404",
    "/disclosure/follow/attachments": "the reporter's follow-up link is missing: 404",
}


def _posts(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[str]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            inner = prefix + route.include_context.prefix
            yield from _posts(included.routes, inner)
        elif isinstance(route, Route) and "POST" in (route.methods or ()):
            yield prefix + route.path


def _generic(page: str) -> bool:
    return "<p>Field:" in page or ">That did not work<" in page


def test_no_page_form_posted_empty_answers_the_generic_error_page(
    app: FastAPI, client: TestClient, make: Factories
) -> None:
    make.session(client, make.user("hub-operator", operator=True))
    token = csrf_of(client.get("/admin/users").text)
    paths = sorted(
        {p for p in _posts(app.routes) if "{" not in p and not p.startswith(_NOT_PAGE_FORMS)}
    )
    # The walk reaches the routers the app includes, not only its own few routes.
    assert {"/admin/accord", "/admin/campaigns", "/account/tokens"} <= set(paths)
    generic = {}
    for path in paths:
        answer = client.post(path, data={"csrf_token": token}, follow_redirects=False)
        if answer.status_code in (401, 403):
            continue  # a fresh second factor asked for: not a form's answer
        if answer.status_code >= 500 or _generic(answer.text):
            generic[path] = answer.status_code
    assert set(generic) <= set(KNOWN), {p: s for p, s in generic.items() if p not in KNOWN}
    # A row fixed is taken off the list, so that the list says what is left.
    assert set(KNOWN) <= set(generic), set(KNOWN) - set(generic)
    assert all(status < 500 for status in generic.values()), generic
