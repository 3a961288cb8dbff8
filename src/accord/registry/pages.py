"""Registry pages for everyone: the accord, joining, the signatory lists and profiles.

The operators' pages (applications, publishing the accord) are in :mod:`admin_pages`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from accord.advisories import csaf_provider
from accord.errors import (
    N_,
    AccordError,
    InvalidInput,
    Message,
    at_field,
    invalid_from,
    reason_of,
    say,
    validated,
)
from accord.identity import services as identity_services
from accord.identity.models import OrgKind, OrgType
from accord.identity.policy import Action, Actor
from accord.identity.schemas import OrgUpdate
from accord.limits import DbInt
from accord.registry import accounts, checks, products, profiles, services, translations
from accord.registry.models import AccordVersion
from accord.registry.routes import PublicIntake
from accord.registry.schemas import ApplicationCreate, ProductDeclaration, SetPassword
from accord.web.deps import DbSession, OrgAccess, SettingsDep, client_ip, guard, org_guard
from accord.web.errors import wants_json
from accord.web.forms import FieldProblem, field_errors, filled
from accord.web.i18n import LANGUAGES, SOURCE_LANGUAGE, viewer_of
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

Public = Annotated[Actor, guard(Action.PUBLIC_READ)]
PublicSubmit = Annotated[Actor, guard(Action.PUBLIC_SUBMIT)]

Text = Annotated[str, Form(max_length=5000)]


# -- the accord ----------------------------------------------------------------------------


@router.get("/accord", response_class=HTMLResponse)
def accord(request: Request, db: DbSession, _: Public) -> HTMLResponse:
    """The current text of the accord."""
    current = services.current_version(db)
    return render(request, "registry/accord.html", _shown(request, db, current, current))


def _shown(
    request: Request, db: DbSession, version: AccordVersion, current: AccordVersion
) -> dict[str, object]:
    """A version, and its translation into the reader's language when one was added."""
    language = viewer_of(request).language
    return {
        "version": version,
        "current": current,
        "translation": translations.of(db, version, language),
        "languages": {k: v for k, v in LANGUAGES.items() if k != SOURCE_LANGUAGE},
    }


@router.get("/accord/versions", response_class=HTMLResponse)
def versions(request: Request, db: DbSession, _: Public) -> HTMLResponse:
    """Every version of the accord."""
    return render(request, "registry/versions.html", {"versions": services.list_versions(db)})


@router.get("/accord/versions/{number}", response_class=HTMLResponse)
def version(
    request: Request, number: Annotated[DbInt, Path(ge=1)], db: DbSession, _: Public
) -> HTMLResponse:
    """One version of the accord; an old one says which version is current."""
    found = services.get_version(db, number)
    current = services.current_version(db)
    return render(request, "registry/accord.html", _shown(request, db, found, current))


# -- joining -------------------------------------------------------------------------------


def _join_page(
    request: Request,
    db: DbSession,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "registry/join.html",
        {
            "version": services.current_version(db),
            "kinds": list(OrgKind),
            "types": list(OrgType),
            "values": values,
            "errors": errors,
        },
        status=status,
    )


@router.get("/join", response_class=HTMLResponse)
def join_form(request: Request, db: DbSession, _: Public) -> HTMLResponse:
    """The public form to apply as a signatory or partner; no account needed."""
    return _join_page(request, db, values={}, errors={})


def join_fields(  # one parameter per field of the form
    name: Text = "",
    kind: Text = "",
    type: Text = "",
    country: Text = "",
    website: Text = "",
    security_contact: Text = "",
    disclosure_policy_url: Text = "",
    security_txt_url: Text = "",
    description: Text = "",
    slug: Text = "",
    contact_name: Text = "",
    contact_email: Text = "",
    username: Text = "",
    accord_version: Text = "",
) -> dict[str, str]:
    """The join form's fields as they were typed (to validate, and to show again)."""
    return {
        "name": name,
        "kind": kind,
        "type": type,
        "country": country,
        "website": website,
        "security_contact": security_contact,
        "disclosure_policy_url": disclosure_policy_url,
        "security_txt_url": security_txt_url,
        "description": description,
        "slug": slug,
        "contact_name": contact_name,
        "contact_email": contact_email,
        "username": username,
        "accord_version": accord_version,
    }


@router.post("/join", response_class=HTMLResponse)
def join(
    _: PublicIntake,
    request: Request,
    db: DbSession,
    actor: PublicSubmit,
    values: Annotated[dict[str, str], Depends(join_fields)],
    agree: Text = "",
) -> HTMLResponse:
    """Store the application and thank the applicant; a bad field shows the form again."""
    errors: dict[str, str] = {}
    try:
        data = ApplicationCreate.model_validate(filled(values))
    except ValidationError as exc:
        errors = field_errors(exc)
    if agree != "yes":
        errors["agree"] = FieldProblem(
            "agree: tick the box to agree to this version of the accord.",
            field="agree",
            kind="agree",
        )
    shown = {**values, "agree": agree}
    if errors:
        return _join_page(request, db, values=shown, errors=errors, status=422)
    try:
        application = services.submit_application(db, data=data, actor=actor)
    except AccordError as exc:
        if exc.field is None:
            raise
        errors = {exc.field: exc.message}
        return _join_page(request, db, values=shown, errors=errors, status=exc.status_code)
    return render(request, "registry/joined.html", {"application": application}, status=201)


@router.get("/join/set-password", response_class=HTMLResponse)
def set_password_form(
    request: Request,
    db: DbSession,
    _: Public,
    token: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Choose the first admin's password, with the one-time link from the approval."""
    user = accounts.setup_link_user(db, token)
    return render(
        request,
        "registry/set_password.html",
        {"token": token, "user": user},
        status=200 if user else 401,
    )


@router.post("/join/set-password")
def set_password(
    request: Request,
    db: DbSession,
    _: PublicSubmit,
    token: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Spend the link and send the new admin to sign in; a refused password is said beside
    its field."""
    errors: dict[str, str] = {}
    try:
        data = SetPassword(token=token, password=password)
        accounts.redeem_setup_link(
            db, secret=data.token, password=data.password, ip_address=client_ip(request)
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        if set(errors) != {"password"}:
            raise invalid_from(exc) from None
    except InvalidInput as exc:
        if exc.field != "password":
            raise
        errors = {"password": exc.message}
    else:
        return RedirectResponse("/login", status_code=303)
    user = accounts.setup_link_user(db, token)
    context = {"token": token, "user": user, "errors": errors}
    return render(request, "registry/set_password.html", context, status=422 if user else 401)


# -- signatories, partners and profiles ----------------------------------------------------


@router.get("/signatories", response_class=HTMLResponse)
def signatories(request: Request, db: DbSession, _: Public) -> HTMLResponse:
    """Every signatory, when it signed and which version; partners are listed apart."""
    entries = profiles.listed(db, kind=OrgKind.SIGNATORY)
    return render(
        request, "registry/signatories.html", {"entries": entries, "kind": OrgKind.SIGNATORY}
    )


@router.get("/partners", response_class=HTMLResponse)
def partners(request: Request, db: DbSession, _: Public) -> HTMLResponse:
    """Every partner organization."""
    entries = profiles.listed(db, kind=OrgKind.PARTNER)
    return render(
        request, "registry/signatories.html", {"entries": entries, "kind": OrgKind.PARTNER}
    )


@router.get("/signatories/{slug}", response_class=HTMLResponse)
def profile(
    request: Request, slug: str, db: DbSession, settings: SettingsDep, _: Public
) -> HTMLResponse:
    """An organization's public profile, with its latest security.txt check.

    An organization that publishes advisories is shown the ``CSAF:`` line for its
    security.txt, as ``GET /api/v1/csaf/security-txt/{slug}`` gives it.
    """
    return _profile_page(request, db, settings, slug)


def _profile_page(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    slug: str,
    *,
    products_form: dict[str, str] | None = None,
    cve_form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = profiles.profile(db, slug)
    publishes = csaf_provider.publishes(db, found.organization.id)
    declared = products.listed(db, found.organization)
    return render(
        request,
        "registry/profile.html",
        {
            "profile": found,
            "org": found.organization,
            "check": found.latest_check,
            "check_url": checks.target_url(found.organization),
            "csaf_line": csaf_provider.security_txt_line(settings) if publishes else None,
            "csaf_https": settings.public_url.startswith("https://"),
            "products": declared,
            "products_form": products_form
            or {"text": "\n".join(f"{p.purl} {p.name}" for p in declared), "error": ""},
            "cve_form": cve_form or {"value": found.organization.cve_org_id or "", "error": ""},
        },
        status=status,
    )


def product_lines(text: str) -> list[tuple[int, ProductDeclaration]]:
    """The form's lines, ``purl name``, each with its line number; a line without a name is
    named after its package. A bad line is a 422 naming the line."""
    found: list[tuple[int, ProductDeclaration]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        purl, _, name = line.strip().partition(" ")
        if not purl:
            continue
        fallback = purl.split("?")[0].split("#")[0].split("@")[0].rsplit("/", 1)[-1]
        try:
            found.append((number, ProductDeclaration(purl=purl, name=name.strip() or fallback)))
        except ValidationError as exc:
            error = exc.errors()[0]
            # Which field and why, with pydantic's bound ("at most 200"), in the reader's words
            field = ".".join(str(part) for part in error["loc"]) or "products"
            said = at_field(field, reason_of(error))
            raise InvalidInput(
                Message(N_("line %(number)s: %(error)s"), number=number, error=said),
                field="products",
            ) from None
    return found


@router.post("/orgs/{slug}/products", response_class=HTMLResponse)
def declare_products(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_EDIT)],
    text: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    """Replace the organization's products from the profile's form (one ``purl name`` per
    line); a bad line shows the form again with the text as typed and the line named."""
    org = access_.org
    try:
        lines = product_lines(text)
        try:
            products.replace(db, org=org, products=[item for _, item in lines], actor=access_.actor)
        except InvalidInput as exc:
            raise _on_line(exc, lines) from None
    except InvalidInput as exc:
        form = {"text": text, "error": say(exc.message, viewer_of(request).translations.gettext)}
        return _profile_page(request, db, settings, org.slug, products_form=form, status=422)
    return RedirectResponse(f"/signatories/{org.slug}#products", status_code=303)


def _on_line(exc: InvalidInput, lines: list[tuple[int, ProductDeclaration]]) -> InvalidInput:
    """The service names ``products.N.purl``; the form's reader wants the line."""
    parts = (exc.field or "").split(".")
    if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(lines):
        number = lines[int(parts[1])][0]
        message = exc.message.partition(": ")[2] or exc.message
        return InvalidInput(
            Message(N_("line %(number)s: %(error)s"), number=number, error=message),
            field="products",
        )
    return exc


@router.post("/orgs/{slug}/security-txt/check")
def run_check(
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_EDIT)],
) -> Response:
    """Check the organization's security.txt now, then show the profile with the result."""
    slug = access_.org.slug
    checks.run(db, org=access_.org, actor=access_.actor, settings=settings)
    return RedirectResponse(f"/signatories/{slug}", status_code=303)


@router.post("/orgs/{slug}/cve-org-id")
def set_cve_org_id(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_EDIT)],
    cve_org_id: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Set (or, left empty, remove) the organization's CVE Services id, then show the profile;
    a value that is not one comes back beside the field."""
    try:
        data = validated(OrgUpdate, {"cve_org_id": cve_org_id.strip() or None})
        identity_services.update_org(db, org=access_.org, data=data, actor=access_.actor)
    except AccordError as exc:
        if wants_json(request):
            raise
        db.rollback()
        form = {
            "value": cve_org_id,
            "error": say(exc.message, viewer_of(request).translations.gettext),
        }
        return _profile_page(
            request, db, settings, access_.org.slug, cve_form=form, status=exc.status_code
        )
    return RedirectResponse(f"/signatories/{access_.org.slug}", status_code=303)
