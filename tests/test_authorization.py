"""Every route, every role: the status the policy must give, and no route without a guard.

The table below is the specification. A route missing from it, or a route whose dependencies
include no policy guard, fails ``test_every_route_is_guarded_and_in_the_matrix``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories.formats import csaf_filename
from accord.clock import utcnow
from accord.db import unit_of_work
from accord.identity import invitations
from accord.identity.models import MemberRole
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.jobs.models import JobState
from accord.jobs.services import enqueue
from accord.notifications.models import Webhook
from accord.web.deps import guarded_actions
from tests.accountability import authz as accountability_authz
from tests.aggregation import authz as aggregation_authz
from tests.authz import ROLES, World, call
from tests.campaigns import authz as campaigns_authz
from tests.disclosure import authz as disclosure_authz
from tests.factories import Factories
from tests.identity import authz as identity_authz
from tests.registry.helpers import set_security_txt_url
from tests.sharing import authz as sharing_authz

ANY = frozenset(ROLES)
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
ORG_MEMBERS = frozenset({"member", "org_admin", "operator"})
ORG_ADMINS = frozenset({"org_admin", "operator"})
OPERATORS = frozenset({"operator"})

ORG_BODY = {
    "name": "New Org",
    "kind": "partner",
    "type": "ngo",
    "country": "FR",
    "website": "https://new.example",
    "security_contact": "sec@new.example",
}

ACCORD_BODY = {"title": "Second text", "text": "The accord, restated for the matrix test."}
APPLICATION_BODY = {
    "name": "Applicant Org",
    "kind": "signatory",
    "type": "vendor",
    "country": "DE",
    "website": "https://applicant.example",
    "security_contact": "sec@applicant.example",
    "contact_name": "Ada Applicant",
    "contact_email": "ada@applicant.example",
    "accord_version": 1,
}
REASON = {"reason": "not eligible"}
WARNINGLIST_BODY = {
    "document": json.dumps(
        {"name": "Matrix list", "type": "string", "list": ["x.example"], "description": "",
         "version": 1}
    )
}  # fmt: skip
PRODUCTS_BODY = {"products": [{"name": "Acme Files", "purl": "pkg:pypi/acme-files"}]}
ADVISORY_AFFECTED = [
    {
        "package": {"ecosystem": "PyPI", "name": "matrix-pkg"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}],
    }
]
ADVISORY_DRAFT = {"summary": "Matrix advisory", "affected": ADVISORY_AFFECTED}
ADVISORY_FORM = {"summary": "Matrix advisory", "affected": json.dumps(ADVISORY_AFFECTED)}
HIDDEN = {"anonymous": 404, "other_admin": 404}
SETUP_BODY = {"token": "setup_invalid", "password": "long enough password"}
WEAK_USER = {"username": "newbie", "email": "newbie@example.org", "password": "password1234"}
INVITE_BODY = {"email": "newcomer@example.org", "role": "member"}
WEBHOOK_BODY = {"url": "https://1.1.1.1/accord"}
SSO_BAD_ISSUER = {
    "issuer": "ftp://login.example",
    "client_id": "hub",
    "client_secret": "s",
    "allowed_domains": "example.com",
}
NOBODY: frozenset[str] = frozenset()
ALL_404 = dict.fromkeys(ROLES, 404)
HIDDEN_CASE = {"other_admin": 404}
CODE = {"code": "123456"}
CSAF_PROVIDER_BODY = {"given": "https://127.0.0.1:9/provider-metadata.json", "mode": "aggregated"}
NOT_THEIRS = {"org_admin": 404, "other_admin": 404, "operator": 404}


@dataclass(frozen=True)
class Case:
    """Who may call ``method path``, the status they get, and what the others get."""

    method: str
    path: str
    allowed: frozenset[str]
    ok: int = 200
    body: dict[str, Any] | None = None
    # Roles that get something other than 401/403 when refused (e.g. 404 to hide existence).
    refused: dict[str, int] = field(default_factory=dict)
    # What must exist first: "draft" or "published" (an advisory of the organization).
    state: str = ""

    @property
    def page(self) -> bool:
        return not self.path.startswith(("/api/", "/v1/", "/taxii2/"))


CASES = [
    # identity API
    Case("GET", "/api/v1/me", SIGNED_IN),
    Case("GET", "/api/v1/me/tokens", SIGNED_IN),
    Case("POST", "/api/v1/me/tokens", SIGNED_IN, 201, {"name": "t", "scope": "read"}),
    Case(
        "DELETE",
        "/api/v1/tokens/{token_id}",
        frozenset({"member", "operator"}),
        204,
        refused={"org_admin": 404, "other_admin": 404},
    ),
    Case("GET", "/api/v1/users", OPERATORS),
    Case(
        "POST",
        "/api/v1/users",
        OPERATORS,
        201,
        {"username": "newbie", "email": "newbie@example.org", "password": "long enough password"},
    ),
    # A common password is refused (422, naming it) to operators; others never get that far.
    Case("POST", "/api/v1/users", OPERATORS, 422, WEAK_USER),
    Case("PATCH", "/api/v1/users/{username}", OPERATORS, 200, {"is_active": False}),
    Case("GET", "/api/v1/orgs", ANY),
    Case("POST", "/api/v1/orgs", OPERATORS, 201, ORG_BODY),
    Case("GET", "/api/v1/orgs/{slug}", ANY),
    Case("PATCH", "/api/v1/orgs/{slug}", ORG_ADMINS, 200, {"description": "updated"}),
    Case("GET", "/api/v1/orgs/{slug}/members", ORG_MEMBERS),
    Case(
        "PUT", "/api/v1/orgs/{slug}/members", ORG_ADMINS, 200, {"username": "bob", "role": "admin"}
    ),
    Case("DELETE", "/api/v1/orgs/{slug}/members/{username}", ORG_ADMINS, 204),
    Case("GET", "/api/v1/audit", OPERATORS),
    # shell and identity pages
    Case("GET", "/", ANY),
    Case("GET", "/healthz", ANY),
    Case("GET", "/preferences", ANY),
    Case("POST", "/preferences", ANY, 303, {"lang": "en", "tz": "America/Mexico_City"}),
    Case("GET", "/login", ANY),
    Case("POST", "/login", ANY, 401, {"username": "nobody", "password": "wrong password"}),
    Case("POST", "/logout", ANY, 303),
    Case("GET", "/bootstrap", ANY, 401),
    Case(
        "POST",
        "/bootstrap",
        ANY,
        401,
        {
            "token": "boot_invalid",
            "username": "x" * 5,
            "email": "x@example.org",
            "password": "long enough password",
        },
    ),
    Case("GET", "/account", SIGNED_IN),
    Case("POST", "/account/tokens", SIGNED_IN, 201, {"name": "t", "scope": "read"}),
    Case(
        "POST",
        "/account/tokens/{token_id}/revoke",
        frozenset({"member", "operator"}),
        303,
        refused={"org_admin": 404, "other_admin": 404},
    ),
    Case("GET", "/admin/users", OPERATORS),
    Case(
        "POST",
        "/admin/users",
        OPERATORS,
        303,
        {"username": "newbie", "email": "newbie@example.org", "password": "long enough password"},
    ),
    Case("POST", "/admin/users", OPERATORS, 422, WEAK_USER),
    Case("POST", "/admin/users/{username}/operator", OPERATORS, 303, {"operator": "true"}),
    Case("GET", "/admin/audit", OPERATORS),
    # The dashboards (accord.dashboards).
    Case("GET", "/admin", OPERATORS),
    Case("GET", "/orgs/{slug}", ORG_MEMBERS),
    Case("GET", "/orgs/{slug}/profile", ORG_ADMINS),
    Case(
        "POST",
        "/orgs/{slug}/profile",
        ORG_ADMINS,
        303,
        {"website": "https://acme.example", "security_contact": "psirt@acme.example"},
    ),
    Case("GET", "/orgs/{slug}/members", ORG_MEMBERS),
    # single sign-on (accord.identity.oidc): no provider is registered in the matrix's world,
    # so the allowed roles get the refusal of their input, naming the field
    Case("POST", "/login/sso", ANY, 422, {"email": "nobody@nowhere.example"}),
    Case("GET", "/login/sso/callback", ANY, 401),
    Case("GET", "/orgs/{slug}/sso", ORG_ADMINS),
    Case("POST", "/orgs/{slug}/sso", ORG_ADMINS, 422, SSO_BAD_ISSUER),
    Case("POST", "/orgs/{slug}/sso/members/{username}/revoke", ORG_ADMINS, 404),
    Case("GET", "/admin/sso", OPERATORS),
    Case("POST", "/admin/sso", OPERATORS, 422, SSO_BAD_ISSUER),
    Case("POST", "/orgs/{slug}/members", ORG_ADMINS, 303, {"username": "bob", "role": "admin"}),
    Case("POST", "/orgs/{slug}/members/{username}/remove", ORG_ADMINS, 303),
    # invitations (accord.identity.invitations): admins invite and withdraw; each member may
    # leave, but not acme's only admin (409), and an operator who is no member has nothing
    # to leave (404); the link's page is anyone's, and a link the hub never gave is a 404
    Case("POST", "/orgs/{slug}/invitations", ORG_ADMINS, 201, INVITE_BODY),
    Case("POST", "/orgs/{slug}/invitations/{invitation_id}/revoke", ORG_ADMINS, 303),
    Case(
        "POST",
        "/orgs/{slug}/leave",
        frozenset({"member"}),
        303,
        refused={"org_admin": 409, "operator": 404},
    ),
    Case("GET", "/invitations/accept", ANY, 404),
    Case("POST", "/invitations/accept", ANY, 404, {"token": "inv_not_one_of_ours"}),
    # second factors: the sign-in's second step and the step-up (open to anyone; without a
    # session it sends back to sign in, and a code that is not one is refused), the security
    # page, and enrolments and sessions that only their owner reaches
    Case("GET", "/login/second-factor", ANY, 303),
    Case("POST", "/login/second-factor", SIGNED_IN, 401, CODE, refused={"anonymous": 303}),
    Case("POST", "/login/second-factor/webauthn/options", SIGNED_IN),
    Case("POST", "/login/second-factor/webauthn", SIGNED_IN, 422, {"credential": "{}"}),
    Case("GET", "/account/security", SIGNED_IN),
    Case("POST", "/account/factors/totp", SIGNED_IN, 201, {"name": "phone"}),
    Case(
        "POST",
        "/account/factors/totp/{factor_id}/confirm",
        frozenset({"member"}),
        422,
        {"code": "abcdef"},
        refused=NOT_THEIRS,
    ),
    Case("POST", "/account/factors/webauthn/options", SIGNED_IN),
    Case("POST", "/account/factors/webauthn", SIGNED_IN, 422, {"credential": "{}"}),
    Case(
        "POST",
        "/account/factors/{factor_id}/rename",
        frozenset({"member"}),
        303,
        {"name": "x"},
        refused=NOT_THEIRS,
    ),
    Case(
        "POST",
        "/account/factors/{factor_id}/remove",
        frozenset({"member"}),
        303,
        refused=NOT_THEIRS,
    ),
    Case("POST", "/account/recovery-codes", SIGNED_IN, 422),
    Case(
        "POST", "/account/sessions/{session_id}/end", frozenset({"member"}), 303, refused=NOT_THEIRS
    ),
    Case("POST", "/orgs/{slug}/second-factor", ORG_ADMINS, 303, {"require": "true"}),
    # registry API
    Case("GET", "/api/v1/accord", ANY),
    Case("GET", "/api/v1/accord/versions", ANY),
    Case("GET", "/api/v1/accord/versions/{number}", ANY),
    Case("POST", "/api/v1/accord/versions", OPERATORS, 201, ACCORD_BODY),
    Case("POST", "/api/v1/applications", ANY, 201, APPLICATION_BODY),
    Case("GET", "/api/v1/applications", OPERATORS),
    Case("GET", "/api/v1/applications/{application_id}", OPERATORS),
    Case(
        "POST",
        "/api/v1/applications/{application_id}/approve",
        OPERATORS,
        200,
        {"create_account": False},
    ),
    Case("POST", "/api/v1/applications/{application_id}/reject", OPERATORS, 200, REASON),
    Case("POST", "/api/v1/account-setup", ANY, 401, SETUP_BODY),
    Case("GET", "/api/v1/signatories", ANY),
    Case("GET", "/api/v1/partners", ANY),
    Case("GET", "/api/v1/signatories/{slug}", ANY),
    Case("GET", "/api/v1/orgs/{slug}/security-txt/checks", ANY),
    Case("POST", "/api/v1/orgs/{slug}/security-txt/checks", ORG_ADMINS, 201),
    # registry pages
    Case("GET", "/accord", ANY),
    Case("GET", "/accord/versions", ANY),
    Case("GET", "/accord/versions/{number}", ANY),
    Case("GET", "/join", ANY),
    Case("POST", "/join", ANY, 201, {**APPLICATION_BODY, "agree": "yes"}),
    Case("GET", "/join/set-password", ANY, 401),
    Case("POST", "/join/set-password", ANY, 401, SETUP_BODY),
    Case("GET", "/signatories", ANY),
    Case("GET", "/partners", ANY),
    Case("GET", "/signatories/{slug}", ANY),
    Case("POST", "/orgs/{slug}/security-txt/check", ORG_ADMINS, 303),
    Case("POST", "/orgs/{slug}/cve-org-id", ORG_ADMINS, 303, {"cve_org_id": ""}),
    Case("GET", "/api/v1/orgs/{slug}/products", ANY),
    Case("PUT", "/api/v1/orgs/{slug}/products", ORG_ADMINS, 200, PRODUCTS_BODY),
    Case("POST", "/orgs/{slug}/products", ORG_ADMINS, 303, {"text": "pkg:pypi/acme-files"}),
    Case("GET", "/admin/applications", OPERATORS),
    Case("GET", "/admin/applications/{application_id}", OPERATORS),
    Case("POST", "/admin/applications/{application_id}/approve", OPERATORS, 200, {}),
    Case("POST", "/admin/applications/{application_id}/reject", OPERATORS, 303, REASON),
    # departures: the signatory under test leaves (its admins) or is removed (operators)
    Case("POST", "/api/v1/orgs/{slug}/leave", ORG_ADMINS, 201, {"confirm": "acme"}),
    Case("POST", "/api/v1/signatories/{slug}/removal", OPERATORS, 201, REASON),
    Case("GET", "/orgs/{slug}/leave-the-accord", ORG_ADMINS),
    Case("POST", "/orgs/{slug}/leave-the-accord", ORG_ADMINS, 303, {"confirm": "acme"}),
    Case("GET", "/admin/signatories", OPERATORS),
    Case("GET", "/api/v1/policies", ANY),
    # pledges and campaigns
    Case("GET", "/api/v1/pledges", ANY),
    Case("POST", "/api/v1/pledges", OPERATORS, 201, campaigns_authz.PLEDGE_BODY),
    Case("GET", "/api/v1/pledges/{pledge}", ANY),
    Case("POST", "/api/v1/pledges/{pledge}/versions", OPERATORS, 201, campaigns_authz.VERSION_BODY),
    Case("PUT", "/api/v1/orgs/{slug}/pledges/{pledge}", ORG_ADMINS, 204),
    Case(
        "DELETE",
        "/api/v1/orgs/{slug}/pledges/{pledge}",
        NOBODY,
        204,
        refused={"org_admin": 409, "operator": 409},
    ),
    Case("GET", "/api/v1/campaigns", ANY),
    Case("POST", "/api/v1/campaigns", OPERATORS, 201, campaigns_authz.CAMPAIGN_BODY),
    Case("GET", "/api/v1/campaigns/{campaign}", ANY),
    Case("GET", "/pledges", ANY),
    Case("GET", "/pledges/{pledge}", ANY),
    Case("GET", "/campaigns", ANY),
    Case("GET", "/campaigns/{campaign}", ANY),
    Case("GET", "/orgs/{slug}/pledges", ORG_ADMINS),
    Case("POST", "/orgs/{slug}/pledges/{pledge}/endorse", ORG_ADMINS, 303),
    Case(
        "POST",
        "/orgs/{slug}/pledges/{pledge}/withdraw",
        NOBODY,
        303,
        refused={"org_admin": 409, "operator": 409},
    ),
    Case("GET", "/admin/pledges", OPERATORS),
    Case("POST", "/admin/pledges", OPERATORS, 303, campaigns_authz.PLEDGE_BODY),
    Case("GET", "/admin/pledges/{pledge}", OPERATORS),
    Case("POST", "/admin/pledges/{pledge}", OPERATORS, 303, campaigns_authz.VERSION_BODY),
    Case("GET", "/admin/campaigns", OPERATORS),
    Case("POST", "/admin/campaigns", OPERATORS, 303, campaigns_authz.CAMPAIGN_FORM),
    Case("GET", "/policies", ANY),
    Case("POST", "/admin/signatories", OPERATORS, 303, {"organization": "acme", **REASON}),
    Case("GET", "/admin/accord", OPERATORS),
    Case("POST", "/admin/accord", OPERATORS, 303, ACCORD_BODY),
    Case(
        "POST",
        "/admin/accord/versions/{number}/translations",
        OPERATORS,
        303,
        {"language": "es", "title": "Acuerdo", "text": "El acuerdo, traducido."},
    ),
    # advisories: a draft is seen by its publisher's members and operators only (404 to the
    # rest, so that its existence does not leak); a published CLEAR advisory by anyone.
    Case("GET", "/api/v1/advisories", ANY),
    Case("GET", "/api/v1/advisories/{advisory_id}", ORG_MEMBERS, refused=HIDDEN, state="draft"),
    Case("GET", "/api/v1/advisories/{advisory_id}/versions/{number}", ANY, state="published"),
    Case("GET", "/api/v1/advisories/{advisory_id}/formats/{fmt}", ANY, state="published"),
    Case("GET", "/api/v1/csaf/security-txt/{slug}", ANY),
    # CSAF provider: public reads; restricted labels answer each caller what it may read.
    Case("GET", "/.well-known/csaf/provider-metadata.json", ANY),
    Case("GET", "/.well-known/csaf/feed-tlp-{label}.json", ANY),
    Case("GET", "/.well-known/csaf/{label}/index.txt", ANY),
    Case("GET", "/.well-known/csaf/{label}/changes.csv", ANY),
    Case("GET", "/.well-known/csaf/{label}/{year}/{filename}", ANY, state="published"),
    Case("GET", "/.well-known/csaf/service.json", ANY),
    Case("GET", "/.well-known/csaf/category-tlp-{label}.json", ANY),
    Case("GET", "/.well-known/csaf/openpgp/{filename}", ANY),
    Case("POST", "/api/v1/advisories/orgs/{slug}", ORG_MEMBERS, 201, ADVISORY_DRAFT),
    Case(
        "PATCH",
        "/api/v1/advisories/{advisory_id}",
        ORG_MEMBERS,
        200,
        {"summary": "Edited"},
        refused=HIDDEN,
        state="draft",
    ),
    Case(
        "POST",
        "/api/v1/advisories/{advisory_id}/publish",
        ORG_MEMBERS,
        refused=HIDDEN,
        state="draft",
    ),
    Case(
        "POST",
        "/api/v1/advisories/{advisory_id}/withdraw",
        ORG_MEMBERS,
        200,
        REASON,
        state="published",
    ),
    Case("GET", "/v1/vulns/{vuln_id}", ANY, state="published"),
    Case("POST", "/v1/query", ANY, 200, {"package": {"ecosystem": "PyPI", "name": "matrix-pkg"}}),
    Case(
        "POST",
        "/v1/querybatch",
        ANY,
        200,
        {"queries": [{"package": {"ecosystem": "PyPI", "name": "matrix-pkg"}}]},
    ),
    Case("GET", "/advisories", ANY),
    Case("GET", "/advisories/{advisory_id}", ORG_MEMBERS, refused=HIDDEN, state="draft"),
    Case("GET", "/orgs/{slug}/advisories", ORG_MEMBERS),
    Case("GET", "/orgs/{slug}/advisories/new", ORG_MEMBERS),
    Case("POST", "/orgs/{slug}/advisories", ORG_MEMBERS, 303, ADVISORY_FORM),
    Case("GET", "/advisories/{advisory_id}/edit", ORG_MEMBERS, refused=HIDDEN, state="draft"),
    Case(
        "POST",
        "/advisories/{advisory_id}/edit",
        ORG_MEMBERS,
        303,
        ADVISORY_FORM,
        refused=HIDDEN,
        state="draft",
    ),
    Case(
        "POST", "/advisories/{advisory_id}/publish", ORG_MEMBERS, 303, refused=HIDDEN, state="draft"
    ),
    # The editor's live score: public; without ?version= every role gets 422 after the guard.
    Case("POST", "/advisories/cvss-score", ANY, 422),
    Case("POST", "/advisories/{advisory_id}/withdraw", ORG_MEMBERS, 303, REASON, state="published"),
    # transparency log (on an empty log: 404 where there is nothing yet, 400 for no index;
    # the checkpoint of an empty log is signed, of size 0)
    Case("GET", "/api/v1/log/checkpoint", ANY),
    Case("GET", "/api/v1/log/entries", ANY),
    Case("GET", "/api/v1/log/entries/{index}", ANY, 404),
    Case("GET", "/api/v1/log/proof/inclusion", ANY, 400),
    Case("GET", "/api/v1/log/proof/consistency", ANY, 400),
    Case("GET", "/api/v1/log/documents/{sha256}", ANY),
    Case("GET", "/api/v1/log/bundle/{index}", ANY, 404),
    Case("GET", "/.well-known/accord-log-key", ANY),
    Case("GET", "/log/checkpoint", ANY),
    # C2SP tlog-witness: anyone may ask (the log's signature is the only authentication);
    # an empty body is malformed
    Case("POST", "/witness/add-checkpoint", ANY, 400),
    Case("GET", "/log/tile/entries/{path}", ANY, 404),
    Case("GET", "/log/tile/{level}/{path}", ANY, 404),
    Case("GET", "/log", ANY),
    Case("POST", "/log/verify", ANY, 422),
    Case("GET", "/log/entries/{index}", ANY, 404),
    # sharing API (the collection is public, owned by acme; TLP is tested in tests/sharing)
    Case("GET", "/api/v1/sharing/collections", ANY),
    Case("POST", "/api/v1/sharing/orgs/{slug}/collections", ORG_ADMINS, 201, {"title": "t"}),
    Case(
        "PUT",
        "/api/v1/sharing/collections/{collection_id}/grants",
        ORG_ADMINS,
        204,
        {"organization": "other-org", "can_read": True},
    ),
    Case("GET", "/api/v1/sharing/orgs/{slug}/groups", ORG_MEMBERS),
    Case("POST", "/api/v1/sharing/orgs/{slug}/groups", ORG_ADMINS, 201, {"name": "g"}),
    Case("GET", "/api/v1/sharing/groups/{group_id}", ORG_MEMBERS),
    Case(
        "POST",
        "/api/v1/sharing/orgs/{slug}/groups/import",
        ORG_ADMINS,
        200,
        sharing_authz.group_export(),
    ),
    Case("POST", "/api/v1/sharing/lookup", ANY, 200, {"values": ["198.51.100.1"]}),
    Case("GET", "/api/v1/sharing/collections/{collection_id}/feeds/{feed}", ANY),
    Case("GET", "/api/v1/sharing/collections/{collection_id}/misp", ANY),
    # accord check: the signed offline snapshot and plain summaries
    Case("GET", "/api/v1/check/snapshot", ANY, state="published"),
    Case("POST", "/api/v1/check/summaries", ANY, 200, {"ids": ["x_ACCORD-2026-1"]}),
    # TAXII 2.1
    Case("GET", "/taxii2/", ANY),
    Case("GET", "/taxii2/hub/", ANY),
    Case(
        "GET",
        "/taxii2/hub/status/{status_id}/",
        frozenset({"member"}),
        refused={"org_admin": 404, "other_admin": 404, "operator": 404},
    ),
    Case("GET", "/taxii2/hub/collections/", ANY),
    Case("GET", "/taxii2/hub/collections/{collection_id}/", ANY),
    Case("GET", "/taxii2/hub/collections/{collection_id}/manifest/", ANY),
    Case("GET", "/taxii2/hub/collections/{collection_id}/objects/", ANY),
    Case(
        "POST",
        "/taxii2/hub/collections/{collection_id}/objects/",
        frozenset({"member", "org_admin"}),
        202,
        sharing_authz.envelope(),
    ),
    Case("GET", "/taxii2/hub/collections/{collection_id}/objects/{object_id}/", ANY),
    Case(
        "DELETE",
        "/taxii2/hub/collections/{collection_id}/objects/{object_id}/",
        frozenset({"member", "org_admin"}),
    ),
    Case("GET", "/taxii2/hub/collections/{collection_id}/objects/{object_id}/versions/", ANY),
    # sharing pages
    Case("GET", "/sharing", ANY),
    Case("GET", "/sharing/collections/{collection_id}", ANY),
    Case("GET", "/sharing/lookup", ANY),
    Case("GET", "/sharing/collections/new", SIGNED_IN),
    Case("POST", "/sharing/collections/new", ORG_ADMINS, 303, {"org": "acme", "title": "t"}),
    Case("GET", "/sharing/collections/{collection_id}/access", ORG_ADMINS),
    Case(
        "POST",
        "/sharing/collections/{collection_id}/access",
        ORG_ADMINS,
        303,
        {"grantee": "org:other-org", "access": "read"},
    ),
    Case("GET", "/sharing/import", SIGNED_IN),
    Case("POST", "/sharing/import", SIGNED_IN, 422, {"collection": "nope"}),
    Case("GET", "/sharing/groups", SIGNED_IN),
    Case("POST", "/sharing/groups", ORG_ADMINS, 303, {"org": "acme", "name": "g"}),
    Case(
        "POST", "/sharing/groups/{group_id}/members", ORG_ADMINS, 303, {"organization": "other-org"}
    ),
    Case("GET", "/sharing/collections/{collection_id}/objects/{object_id}", ANY),
    # A sighting goes into the object's collection unless another is chosen: its writers.
    Case(
        "POST",
        "/sharing/collections/{collection_id}/objects/{object_id}/sightings",
        frozenset({"member", "org_admin"}),
        303,
        {"count": "2"},
    ),
    Case("POST", "/sharing/lookup", ANY, 200, {"values": "198.51.100.1"}),
    Case("GET", "/sharing/collections/{collection_id}/feeds/{feed}", ANY),
    Case("GET", "/sharing/collections/{collection_id}/misp.json", ANY),
    # warninglists (operators)
    Case("GET", "/admin/sharing/warninglists", OPERATORS),
    Case("POST", "/admin/sharing/warninglists", OPERATORS, 303, WARNINGLIST_BODY),
    Case("POST", "/admin/sharing/warninglists/{warninglist}/disable", OPERATORS, 303),
    Case("POST", "/admin/sharing/warninglists/{warninglist}/enable", OPERATORS, 303),
    Case("POST", "/admin/sharing/warninglists/{warninglist}/remove", OPERATORS, 303),
    # federation (operators)
    Case("GET", "/admin/sharing/federation", OPERATORS),
    Case("POST", "/admin/sharing/federation", OPERATORS, 422, {"name": "x"}),
    Case("GET", "/admin/sharing/federation/push/{target}", OPERATORS),
    Case("POST", "/admin/sharing/federation/push/{target}/collection", OPERATORS, 422),
    Case("POST", "/admin/sharing/federation/push/{target}/now", OPERATORS, 303),
    Case("POST", "/admin/sharing/federation/push/{target}/remove", OPERATORS, 303),
    Case("GET", "/admin/sharing/federation/pull", OPERATORS),
    Case("POST", "/admin/sharing/federation/pull", OPERATORS, 422, {"name": "x"}),
    Case("GET", "/admin/sharing/federation/pull/{remote}", OPERATORS),
    Case("POST", "/admin/sharing/federation/pull/{remote}/collection", OPERATORS, 422),
    Case("POST", "/admin/sharing/federation/pull/{remote}/now", OPERATORS, 303),
    Case("POST", "/admin/sharing/federation/pull/{remote}/remove", OPERATORS, 303),
    # witnessing (operators)
    Case("GET", "/admin/log/witnessing", OPERATORS),
    Case("POST", "/admin/log/witnessing/logs", OPERATORS, 422, {"log_key": "x"}),
    Case("POST", "/admin/log/witnessing/logs/remove", OPERATORS, 303, {"origin": "x"}),
    Case("POST", "/admin/log/witnessing/witnesses", OPERATORS, 422, {"url": "x"}),
    Case("POST", "/admin/log/witnessing/witnesses/remove", OPERATORS, 303, {"name": "x"}),
    # "Am I affected?": anyone, the request's text read and answered, never stored
    Case("GET", "/check", ANY),
    Case("POST", "/check", ANY, 200, {"text": "jinja2==2.10\n"}),
    Case("POST", "/check/download", ANY, 200, {"text": "jinja2==2.10\n", "format": "csv"}),
    # background jobs (operators; the job is dead, so that it may be retried)
    Case("GET", "/api/v1/jobs", OPERATORS),
    Case("GET", "/api/v1/jobs/{job_id}", OPERATORS),
    Case("POST", "/api/v1/jobs/{job_id}/retry", OPERATORS),
    Case("GET", "/admin/jobs", OPERATORS),
    Case("POST", "/admin/jobs/{job_id}/retry", OPERATORS, 303),
    # webhooks of an organization (its admins); an IP literal needs no name resolution
    Case("GET", "/api/v1/orgs/{slug}/webhooks", ORG_ADMINS),
    Case("POST", "/api/v1/orgs/{slug}/webhooks", ORG_ADMINS, 201, WEBHOOK_BODY),
    Case("DELETE", "/api/v1/orgs/{slug}/webhooks/{webhook_id}", ORG_ADMINS, 204),
    Case("POST", "/api/v1/orgs/{slug}/webhooks/{webhook_id}/ping", ORG_ADMINS, 202),
    Case("GET", "/api/v1/orgs/{slug}/webhook-deliveries", ORG_ADMINS),
    Case("GET", "/orgs/{slug}/webhooks", ORG_ADMINS),
    Case("POST", "/orgs/{slug}/webhooks", ORG_ADMINS, 201, WEBHOOK_BODY),
    Case("POST", "/orgs/{slug}/webhooks/{webhook_id}/delete", ORG_ADMINS, 303),
    Case("POST", "/orgs/{slug}/webhooks/{webhook_id}/ping", ORG_ADMINS, 303),
    # the CSAF aggregator (accord.aggregation): registering reads the provider at once, and the
    # matrix's hub refuses a loopback address, so the allowed roles get the form back (422)
    Case("GET", "/.well-known/csaf-aggregator/aggregator.json", ANY),
    Case("GET", "/.well-known/csaf-aggregator/{provider}/provider-metadata.json", ANY),
    Case("GET", "/.well-known/csaf-aggregator/{provider}/index.txt", ANY),
    Case("GET", "/.well-known/csaf-aggregator/{provider}/changes.csv", ANY),
    Case(
        "GET", "/.well-known/csaf-aggregator/{provider}/{year}/{document}", NOBODY, refused=ALL_404
    ),
    Case("GET", "/admin/csaf-providers", OPERATORS),
    Case("POST", "/admin/csaf-providers", OPERATORS, 422, CSAF_PROVIDER_BODY),
    Case("GET", "/admin/csaf-providers/{provider_id}", OPERATORS),
    Case("POST", "/admin/csaf-providers/{provider_id}/run", OPERATORS, 303),
    Case("GET", "/orgs/{slug}/csaf-providers", ORG_MEMBERS),
    Case("POST", "/orgs/{slug}/csaf-providers", ORG_ADMINS, 422, CSAF_PROVIDER_BODY),
    Case("GET", "/orgs/{slug}/csaf-providers/{provider_id}", ORG_MEMBERS),
    # coordinated disclosure: acme is the case's vendor (member, org_admin), operators are
    # coordinators, anyone else is refused as if the case did not exist; the reporter's routes
    # answer 404 to anyone without the report's private token.
    Case("POST", "/api/v1/disclosure/reports", ANY, 201, disclosure_authz.REPORT),
    Case("GET", "/api/v1/disclosure/report", NOBODY, refused=ALL_404),
    Case("GET", "/api/v1/disclosure/report/messages", NOBODY, refused=ALL_404),
    Case("POST", "/api/v1/disclosure/report/messages", NOBODY, 201, {"body": "b"}, refused=ALL_404),
    Case("GET", "/api/v1/disclosure/report/history", NOBODY, refused=ALL_404),
    Case("GET", "/api/v1/disclosure/report/history/{seq}", NOBODY, refused=ALL_404),
    Case("GET", "/api/v1/disclosure/report/attachments/{attachment_id}", NOBODY, refused=ALL_404),
    Case(
        "POST",
        "/api/v1/disclosure/report/attachments",
        NOBODY,
        201,
        {"attachments": [disclosure_authz.ATTACHMENT]},
        refused=ALL_404,
    ),
    Case("GET", "/api/v1/disclosure/inbox", SIGNED_IN),
    Case("GET", "/api/v1/disclosure/cases/{case_id}", ORG_MEMBERS, refused=HIDDEN_CASE),
    Case("POST", "/api/v1/disclosure/cases/{case_id}/open", ORG_MEMBERS, refused=HIDDEN_CASE),
    Case(
        "POST",
        "/api/v1/disclosure/cases/{case_id}/triage",
        ORG_MEMBERS,
        200,
        {"action": "spam", "reason": "junk"},
        refused=HIDDEN_CASE,
    ),
    Case(
        "GET",
        "/api/v1/disclosure/cases/{case_id}/vendor-candidates",
        ORG_MEMBERS,
        refused=HIDDEN_CASE,
    ),
    Case(
        "POST",
        "/api/v1/disclosure/cases/{case_id}/vendors",
        ORG_MEMBERS,
        201,
        {"organization": "other-org"},
        refused=HIDDEN_CASE,
    ),
    Case(
        "PUT",
        "/api/v1/disclosure/cases/{case_id}/vendors/{slug}/status",
        ORG_MEMBERS,
        200,
        {"status": "acknowledged"},
        refused=HIDDEN_CASE,
    ),
    Case(
        "PUT",
        "/api/v1/disclosure/cases/{case_id}/embargo",
        ORG_MEMBERS,
        200,
        {"embargo_at": "2098-06-01T12:00:00Z"},
        refused=HIDDEN_CASE,
    ),
    Case(
        "POST",
        "/api/v1/disclosure/cases/{case_id}/vendors/{slug}/accept-embargo",
        ORG_MEMBERS,
        200,
        {"embargo_at": disclosure_authz.EMBARGO},
        refused=HIDDEN_CASE,
    ),
    Case(
        "POST",
        "/api/v1/disclosure/cases/{case_id}/vendors/{slug}/agree-release",
        ORG_MEMBERS,
        refused=HIDDEN_CASE,
    ),
    Case("GET", "/api/v1/disclosure/cases/{case_id}/messages", ORG_MEMBERS, refused=HIDDEN_CASE),
    Case(
        "POST",
        "/api/v1/disclosure/cases/{case_id}/messages",
        ORG_MEMBERS,
        201,
        {"body": "hello"},
        refused=HIDDEN_CASE,
    ),
    Case(
        "PUT",
        "/api/v1/disclosure/cases/{case_id}/read",
        ORG_MEMBERS,
        200,
        {"last_read_id": 0},
        refused=HIDDEN_CASE,
    ),
    Case("GET", "/api/v1/disclosure/cases/{case_id}/history", ORG_MEMBERS, refused=HIDDEN_CASE),
    Case(
        "GET", "/api/v1/disclosure/cases/{case_id}/history/{seq}", ORG_MEMBERS, refused=HIDDEN_CASE
    ),
    Case(
        "GET",
        "/api/v1/disclosure/cases/{case_id}/attachments/{attachment_id}",
        ORG_MEMBERS,
        refused=HIDDEN_CASE,
    ),
    Case(
        "POST",
        "/api/v1/disclosure/cases/{case_id}/publish",
        ORG_MEMBERS,  # acme, an affected vendor, publishes its own advisory
        201,
        {},
        refused=HIDDEN_CASE,
    ),
    Case(
        "POST",
        "/api/v1/disclosure/cases/{case_id}/close",
        OPERATORS,
        200,
        {"reason": "duplicate"},
        refused={**HIDDEN_CASE, "member": 403, "org_admin": 403},
    ),
    Case(
        "POST",
        "/api/v1/disclosure/cases/{case_id}/reopen",
        OPERATORS,
        refused={**HIDDEN_CASE, "member": 403, "org_admin": 403},
    ),
    # a case's vulnerabilities: coordinators (operators) add and edit them; the case's vendor
    # (acme's members) reads every status and answers for itself
    Case(
        "GET",
        "/api/v1/disclosure/cases/{case_id}/vulnerabilities",
        ORG_MEMBERS,
        refused=HIDDEN_CASE,
    ),
    Case(
        "POST",
        "/api/v1/disclosure/cases/{case_id}/vulnerabilities",
        OPERATORS,
        201,
        {"summary": "Another flaw"},
        refused={**HIDDEN_CASE, "member": 403, "org_admin": 403},
    ),
    Case(
        "PUT",
        "/api/v1/disclosure/cases/{case_id}/vulnerabilities/{ordinal}",
        OPERATORS,
        200,
        {"summary": "Path traversal, renamed"},
        refused={**HIDDEN_CASE, "member": 403, "org_admin": 403},
    ),
    Case(
        "PUT",
        "/api/v1/disclosure/cases/{case_id}/vulnerabilities/{ordinal}/vendors/{slug}/status",
        ORG_MEMBERS,
        200,
        {"product": "Acme Files", "status": "affected"},
        refused=HIDDEN_CASE,
    ),
    Case("PUT", "/api/v1/disclosure/time-zone", SIGNED_IN, 200, {"time_zone": "Europe/Berlin"}),
    Case("GET", "/disclosure/report", ANY),
    Case("POST", "/disclosure/report", ANY, 201, disclosure_authz.FORM),
    Case("GET", "/disclosure/follow", NOBODY, refused=ALL_404),
    Case("POST", "/disclosure/follow/messages", NOBODY, 303, {"body": "b"}, refused=ALL_404),
    Case("GET", "/disclosure/follow/attachments/{attachment_id}", NOBODY, refused=ALL_404),
    Case("POST", "/disclosure/follow/attachments", NOBODY, 303, {}, refused=ALL_404),
    Case("GET", "/disclosure/follow/history/{seq}", NOBODY, refused=ALL_404),
    Case("POST", "/disclosure/time-zone", ANY, 303, {"time_zone": "UTC"}),
    Case("GET", "/disclosure", SIGNED_IN),
    Case("GET", "/disclosure/cases/{case_id}", ORG_MEMBERS, refused=HIDDEN_CASE),
    Case("POST", "/disclosure/cases/{case_id}/open", ORG_MEMBERS, 303, refused=HIDDEN_CASE),
    Case(
        "POST",
        "/disclosure/cases/{case_id}/close",
        OPERATORS,
        303,
        {"reason": "duplicate"},
        refused={**HIDDEN_CASE, "member": 403, "org_admin": 403},
    ),
    Case(
        "POST",
        "/disclosure/cases/{case_id}/reopen",
        OPERATORS,
        303,
        refused={**HIDDEN_CASE, "member": 403, "org_admin": 403},
    ),
    Case(
        "POST",
        "/disclosure/cases/{case_id}/triage",
        ORG_MEMBERS,
        303,
        {"action": "spam", "reason": "junk"},
        refused=HIDDEN_CASE,
    ),
    Case(
        "POST",
        "/disclosure/cases/{case_id}/vendors",
        ORG_MEMBERS,
        303,
        {"organization": "other-org"},
        refused=HIDDEN_CASE,
    ),
    Case(
        "POST",
        "/disclosure/cases/{case_id}/vendor-answer",
        ORG_MEMBERS,
        303,
        {"vendor": "acme", "answer": "status", "status": "acknowledged"},
        refused=HIDDEN_CASE,
    ),
    Case(
        "POST",
        "/disclosure/cases/{case_id}/embargo",
        ORG_MEMBERS,
        303,
        {"embargo_at": "2098-06-01T12:00"},
        refused=HIDDEN_CASE,
    ),
    Case(
        "POST",
        "/disclosure/cases/{case_id}/messages",
        ORG_MEMBERS,
        303,
        {"body": "hello"},
        refused=HIDDEN_CASE,
    ),
    Case(
        "POST",
        "/disclosure/cases/{case_id}/read",
        ORG_MEMBERS,
        303,
        {"last_read_id": "0"},
        refused=HIDDEN_CASE,
    ),
    Case(
        "POST",
        "/disclosure/cases/{case_id}/publish",
        ORG_MEMBERS,
        303,
        refused=HIDDEN_CASE,
    ),
    Case(
        "GET",
        "/disclosure/cases/{case_id}/attachments/{attachment_id}",
        ORG_MEMBERS,
        refused=HIDDEN_CASE,
    ),
    Case(
        "POST",
        "/disclosure/cases/{case_id}/vulnerabilities",
        OPERATORS,
        303,
        {"summary": "Another flaw"},
        refused={**HIDDEN_CASE, "member": 403, "org_admin": 403},
    ),
    Case(
        "POST",
        "/disclosure/cases/{case_id}/vulnerabilities/{ordinal}",
        OPERATORS,
        303,
        {"summary": "Path traversal, renamed"},
        refused={**HIDDEN_CASE, "member": 403, "org_admin": 403},
    ),
    Case(
        "POST",
        "/disclosure/cases/{case_id}/vulnerabilities/{ordinal}/status",
        ORG_MEMBERS,
        303,
        {"vendor": "acme", "product": "Acme Files", "status": "affected"},
        refused=HIDDEN_CASE,
    ),
    Case(
        "GET",
        "/disclosure/cases/{case_id}/vulnerabilities/{ordinal}",
        ORG_MEMBERS,
        refused=HIDDEN_CASE,
    ),
    Case(
        "GET",
        "/disclosure/cases/{case_id}/vulnerabilities/{ordinal}/answer",
        ORG_MEMBERS,
        refused=HIDDEN_CASE,
    ),
    Case("GET", "/disclosure/cases/{case_id}/history/{seq}", ORG_MEMBERS, refused=HIDDEN_CASE),
    # accountability API
    Case("GET", "/api/v1/accountability/definitions", ANY),
    Case("GET", "/api/v1/accountability/report.schema.json", ANY),
    Case("GET", "/api/v1/accountability/scorecard", ANY),
    Case("GET", "/api/v1/accountability/signatories/{slug}/figures", ANY),
    Case("GET", "/api/v1/accountability/signatories/{slug}/reports", ANY),
    Case("GET", "/api/v1/accountability/signatories/{slug}/reports/{period}", ANY),
    Case("GET", "/api/v1/accountability/signatories/{slug}/reports/{period}/csv", ANY),
    Case("GET", "/api/v1/accountability/signatories/{slug}/reports/{period}/pdf", ANY),
    Case("GET", "/api/v1/accountability/hub-report.schema.json", ANY),
    Case("GET", "/api/v1/accountability/hub", ANY),
    Case("GET", "/api/v1/accountability/hub/reports", ANY),
    Case("POST", "/api/v1/accountability/hub/reports", OPERATORS, 201, {"period": "2026-Q1"}),
    Case("GET", "/api/v1/accountability/hub/reports/{period}", ANY),
    Case("GET", "/api/v1/accountability/hub/reports/{period}/csv", ANY),
    Case("GET", "/api/v1/accountability/hub/reports/{period}/pdf", ANY),
    Case(
        "POST", "/api/v1/orgs/{slug}/accountability/reports", ORG_ADMINS, 201, {"period": "2026-Q1"}
    ),
    Case("GET", "/api/v1/accountability/exclusions", ANY),
    Case(
        "POST",
        "/api/v1/accountability/exclusions",
        OPERATORS,
        201,
        {"period": "2024-01", "reason": "r"},
    ),
    Case("DELETE", "/api/v1/accountability/exclusions/{exclusion_id}", OPERATORS, 204),
    Case("POST", "/api/v1/accountability/refresh", OPERATORS, 202, {}),
    # accountability pages
    Case("GET", "/accountability", ANY),
    Case("GET", "/accountability/methods", ANY),
    Case("GET", "/accountability/signatories/{slug}", ANY),
    Case("GET", "/accountability/signatories/{slug}/reports/{period}", ANY),
    Case("GET", "/accountability/hub", ANY),
    Case("POST", "/admin/accountability/hub/publish", OPERATORS, 303, {"period": "2026-Q1"}),
    Case("GET", "/orgs/{slug}/accountability", ORG_ADMINS),
    Case("POST", "/orgs/{slug}/accountability/publish", ORG_ADMINS, 303, {"period": "2026-Q1"}),
    Case("GET", "/admin/accountability", OPERATORS),
    Case(
        "POST",
        "/admin/accountability/exclusions",
        OPERATORS,
        303,
        {"period": "2024-02", "reason": "r"},
    ),
    Case("POST", "/admin/accountability/exclusions/{exclusion_id}/lift", OPERATORS, 303),
    Case("POST", "/admin/accountability/refresh", OPERATORS, 303),
]


def _advisory(client: TestClient, world: World, *, publish: bool) -> str:
    slug = world.values["slug"]
    created = call(
        client,
        world,
        "org_admin",
        "POST",
        f"/api/v1/advisories/orgs/{slug}",
        page=False,
        body=ADVISORY_DRAFT,
    )
    osv_id: str = created.json()["id"]
    if publish:
        call(client, world, "org_admin", "POST", f"/api/v1/advisories/{osv_id}/publish", page=False)
        client.cookies.clear()
    return osv_id


def _dead_job(factory: sessionmaker[Session]) -> int:
    with unit_of_work(factory) as db:
        job = enqueue(db, kind="matrix.nothing", payload={})
        job.state = JobState.DEAD
        return job.id


def _webhook(factory: sessionmaker[Session], slug: str) -> int:
    with unit_of_work(factory) as db:
        org = get_org(db, slug)
        hook = Webhook(
            organization_id=org.id, url="https://1.1.1.1/hook", secret="s", secret_hint="s"
        )
        db.add(hook)
        db.flush()
        return hook.id


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for prefix, router in app.state.routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in route.methods - {"HEAD"}:
                    # path_format drops converters: "{path:path}" reads "{path}".
                    found.add((method, prefix + route.path_format))
    return found


def _has_guard(route: APIRoute) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dep = pending.pop()
        if dep.call is not None and guarded_actions(dep.call) is not None:
            return True
        pending.extend(dep.dependencies)
    return False


def _invitation(factory: sessionmaker[Session], make: Factories, slug: str) -> int:
    with unit_of_work(factory) as db:
        issued = invitations.invite(
            db,
            org=get_org(db, slug),
            email="invited@example.org",
            role=MemberRole.MEMBER,
            actor=SYSTEM,
            settings=make.settings,
        )
        return issued.invitation.id


def test_every_route_is_guarded_and_in_the_matrix(app: FastAPI) -> None:
    unguarded = [
        (prefix + route.path)
        for prefix, router in app.state.routers
        for route in router.routes
        if isinstance(route, APIRoute) and not _has_guard(route)
    ]
    assert unguarded == []
    specified = {(c.method, c.path) for c in CASES}
    assert _routes(app) - specified == set(), "routes missing from the matrix"
    assert specified - _routes(app) == set(), "matrix rows for routes that do not exist"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_matrix(
    client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    case: Case,
    role: str,
) -> None:
    world = World.build(make)
    world.values["number"] = 1
    if case.state:
        osv_id = _advisory(client, world, publish=case.state == "published")
        world.values["advisory_id"] = world.values["vuln_id"] = osv_id
        world.values.update(fmt="csaf", year=str(utcnow().year), filename=csaf_filename(osv_id))
    world.values["label"] = "white"
    world.values["warninglist"] = "List of RFC 6598 CIDR blocks"
    if "/openpgp/" in case.path:
        metadata = client.get("/.well-known/csaf/provider-metadata.json").json()
        world.values["filename"] = metadata["public_openpgp_keys"][0]["url"].rsplit("/", 1)[1]
    if "{application_id}" in case.path:
        applied = client.post("/api/v1/applications", json=APPLICATION_BODY)
        world.values["application_id"] = applied.json()["id"]
    if "security-txt" in case.path:
        # A loopback address: the hub refuses it at once (no network in tests) and stores
        # the failed check.
        set_security_txt_url(session_factory, world.values["slug"], "https://127.0.0.1:9/")
    if "{token_id}" in case.path:
        # The member's own token: its owner and operators may revoke it, nobody else.
        created = call(
            client,
            world,
            "member",
            "POST",
            "/api/v1/me/tokens",
            page=False,
            body={"name": "victim", "scope": "read"},
        )
        world.values["token_id"] = created.json()["id"]
    if "{job_id}" in case.path:
        world.values["job_id"] = _dead_job(session_factory)
    if "{invitation_id}" in case.path:
        world.values["invitation_id"] = _invitation(session_factory, make, world.values["slug"])
    if "{webhook_id}" in case.path:
        world.values["webhook_id"] = _webhook(session_factory, world.values["slug"])
    if any(p in case.path for p in sharing_authz.PLACEHOLDERS):
        sharing_authz.prepare(make, world)
    if any(p in case.path for p in identity_authz.PLACEHOLDERS):
        identity_authz.prepare(make, world)
    if any(p in case.path for p in aggregation_authz.PLACEHOLDERS):
        aggregation_authz.prepare(make, world)
    if any(p in case.path for p in accountability_authz.PLACEHOLDERS):
        accountability_authz.prepare(make, world)
    if any(p in case.path for p in campaigns_authz.PLACEHOLDERS):
        campaigns_authz.prepare(make, world)
    if any(p in case.path for p in disclosure_authz.PLACEHOLDERS):
        disclosure_authz.prepare(client, make, make.settings, world, case.path)
    client.cookies.clear()
    response = call(client, world, role, case.method, case.path, page=case.page, body=case.body)
    if role in case.allowed:
        expected = case.ok
    elif role in case.refused:
        expected = case.refused[role]
    else:
        expected = 401 if role == "anonymous" else 403
    assert response.status_code == expected, response.text[:300]
