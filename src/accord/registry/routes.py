"""The registry API: the accord, applications, signatories, profiles and security.txt checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from accord.identity.models import OrgKind
from accord.identity.policy import Action, Actor
from accord.limits import DbInt
from accord.registry import (
    accounts,
    checks,
    departures,
    directory,
    products,
    profiles,
    services,
)
from accord.registry.directory_views import entry_read
from accord.registry.models import ApplicationStatus
from accord.registry.schemas import (
    AccordVersionCreate,
    AccordVersionRead,
    AccordVersionSummary,
    ApplicationCreate,
    ApplicationRead,
    ApplicationReceipt,
    Approve,
    CheckRead,
    Decision,
    DepartureRead,
    Leave,
    PolicyDirectoryRead,
    ProductRead,
    ProductsUpdate,
    ProfileRead,
    Reject,
    Removal,
    SetPassword,
    SignatoryRead,
)
from accord.registry.views import (
    application_read,
    check_read,
    decision,
    departure_read,
    listed_read,
    profile_read,
)
from accord.web.deps import (
    DbSession,
    Limiter,
    OrgAccess,
    SettingsDep,
    client_ip,
    guard,
    org_guard,
)

router = APIRouter(tags=["registry"])

Public = Annotated[Actor, guard(Action.PUBLIC_READ)]
PublicSubmit = Annotated[Actor, guard(Action.PUBLIC_SUBMIT)]
HubRead = Annotated[Actor, guard(Action.HUB_READ)]
HubOperate = Annotated[Actor, guard(Action.HUB_OPERATE)]

APPLY_WINDOW_SECONDS = 3600


def limit_public_intake(request: Request, limiter: Limiter, settings: SettingsDep) -> None:
    """Count one public submission from this client address; 429 once over the hourly limit."""
    limiter.check(
        f"registry.apply:{client_ip(request)}",
        limit=settings.public_form_per_hour,
        window_seconds=APPLY_WINDOW_SECONDS,
    )


# Counted before the body is validated: a flood of bad submissions is a flood all the same.
PublicIntake = Annotated[None, Depends(limit_public_intake)]


# -- the accord ----------------------------------------------------------------------------


@router.get("/accord", response_model=AccordVersionRead)
def current_accord(db: DbSession, _: Public) -> AccordVersionRead:
    """The current text of the accord."""
    return AccordVersionRead.model_validate(services.current_version(db))


@router.get("/accord/versions", response_model=list[AccordVersionSummary])
def accord_versions(db: DbSession, _: Public) -> list[AccordVersionSummary]:
    """Every version of the accord, newest first (without their texts)."""
    return [AccordVersionSummary.model_validate(v) for v in services.list_versions(db)]


@router.get("/accord/versions/{number}", response_model=AccordVersionRead)
def accord_version(
    number: Annotated[DbInt, Path(ge=1)], db: DbSession, _: Public
) -> AccordVersionRead:
    """One version of the accord, current or not."""
    return AccordVersionRead.model_validate(services.get_version(db, number))


@router.post("/accord/versions", response_model=AccordVersionRead, status_code=201)
def publish_accord(
    data: AccordVersionCreate, db: DbSession, actor: HubOperate
) -> AccordVersionRead:
    """Publish a new version of the accord (operators)."""
    return AccordVersionRead.model_validate(services.publish_version(db, data=data, actor=actor))


# -- applications --------------------------------------------------------------------------


@router.post("/applications", response_model=ApplicationReceipt, status_code=201)
def apply(
    _: PublicIntake, data: ApplicationCreate, db: DbSession, actor: PublicSubmit
) -> ApplicationReceipt:
    """Apply to join as a signatory or partner; no account needed (rate-limited per address)."""
    application = services.submit_application(db, data=data, actor=actor)
    return ApplicationReceipt(
        id=application.id,
        status=application.status,
        accord_version=data.accord_version,
        submitted_at=application.submitted_at,
    )


@router.get("/applications", response_model=list[ApplicationRead])
def list_applications(
    db: DbSession,
    actor: HubRead,
    status: ApplicationStatus | None = ApplicationStatus.PENDING,
    before_id: Annotated[DbInt | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ApplicationRead]:
    """Applications, newest first; pending ones unless ``status`` says otherwise (operators)."""
    rows = services.list_applications(
        db, actor=actor, status=status, before_id=before_id, limit=limit
    )
    return [application_read(a) for a in rows]


@router.get("/applications/{application_id}", response_model=ApplicationRead)
def get_application(application_id: DbInt, db: DbSession, actor: HubRead) -> ApplicationRead:
    """One application (operators)."""
    return application_read(
        services.get_application(db, application_id=application_id, actor=actor)
    )


@router.post("/applications/{application_id}/approve", response_model=Decision)
def approve(
    application_id: DbInt, data: Approve, db: DbSession, settings: SettingsDep, actor: HubOperate
) -> Decision:
    """Approve: the organization, its signature and its first admin, in one transaction.

    The answer carries the first admin's one-time set-up link; it is shown only here.
    """
    approval = services.approve(
        db, application_id=application_id, data=data, actor=actor, settings=settings
    )
    return decision(approval, settings)


@router.post("/applications/{application_id}/reject", response_model=Decision)
def reject(application_id: DbInt, data: Reject, db: DbSession, actor: HubOperate) -> Decision:
    """Reject with a reason (operators)."""
    application = services.reject(db, application_id=application_id, data=data, actor=actor)
    return Decision(application=application_read(application))


@router.post("/account-setup", status_code=204)
def set_password(data: SetPassword, request: Request, db: DbSession, _: PublicSubmit) -> Response:
    """Choose the first admin's password with the one-time link from the approval."""
    accounts.redeem_setup_link(
        db, secret=data.token, password=data.password, ip_address=client_ip(request)
    )
    return Response(status_code=204)


# -- signatories, partners and profiles ----------------------------------------------------


@router.get("/signatories", response_model=list[SignatoryRead])
def signatories(db: DbSession, _: Public) -> list[SignatoryRead]:
    """Every signatory: when it signed and which version of the accord."""
    return [listed_read(entry) for entry in profiles.listed(db, kind=OrgKind.SIGNATORY)]


@router.get("/partners", response_model=list[SignatoryRead])
def partners(db: DbSession, _: Public) -> list[SignatoryRead]:
    """Every partner (CERTs, NGOs, academia, agencies); partners do not sign."""
    return [listed_read(entry) for entry in profiles.listed(db, kind=OrgKind.PARTNER)]


@router.get("/signatories/{slug}", response_model=ProfileRead)
def profile(slug: str, db: DbSession, _: Public) -> ProfileRead:
    """An organization's public profile: fields, signatures, latest security.txt check."""
    return profile_read(profiles.profile(db, slug))


# -- security.txt checks -------------------------------------------------------------------


@router.get("/orgs/{slug}/security-txt/checks", response_model=list[CheckRead])
def check_history(
    db: DbSession,
    access_: Annotated[OrgAccess, org_guard(Action.PUBLIC_READ)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[CheckRead]:
    """The organization's security.txt checks, newest first."""
    return [check_read(c) for c in checks.history(db, org_id=access_.org.id, limit=limit)]


@router.post("/orgs/{slug}/security-txt/checks", response_model=CheckRead, status_code=201)
def run_check(
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_EDIT)],
) -> CheckRead:
    """Fetch and check the organization's security.txt now (its admins, operators)."""
    row = checks.run(db, org=access_.org, actor=access_.actor, settings=settings)
    return check_read(row)


# -- declared products ---------------------------------------------------------------------


@router.get("/orgs/{slug}/products", response_model=list[ProductRead])
def declared_products(
    db: DbSession, access_: Annotated[OrgAccess, org_guard(Action.PUBLIC_READ)]
) -> list[ProductRead]:
    """The products the organization declares it ships (public)."""
    return [ProductRead.model_validate(p) for p in products.listed(db, access_.org)]


@router.put("/orgs/{slug}/products", response_model=list[ProductRead])
def declare_products(
    data: ProductsUpdate,
    db: DbSession,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_EDIT)],
) -> list[ProductRead]:
    """Replace the organization's product list (its admins, operators)."""
    rows = products.replace(db, org=access_.org, products=data.products, actor=access_.actor)
    return [ProductRead.model_validate(p) for p in rows]


# -- departures ----------------------------------------------------------------------------


@router.post("/orgs/{slug}/leave", response_model=DepartureRead, status_code=201)
def leave(
    data: Leave,
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[OrgAccess, org_guard(Action.REGISTRY_LEAVE, fresh=True)],
) -> DepartureRead:
    """The signatory leaves the accord (its admins); ``confirm`` repeats its slug."""
    found = departures.leave(
        db,
        org=access_.org,
        confirm=data.confirm,
        reason=data.reason,
        actor=access_.actor,
        settings=settings,
    )
    return departure_read(found)


@router.post("/signatories/{slug}/removal", response_model=DepartureRead, status_code=201)
def remove(
    data: Removal,
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[OrgAccess, org_guard(Action.REGISTRY_REMOVE, fresh=True)],
) -> DepartureRead:
    """Operators remove a signatory, with a public reason."""
    found = departures.remove(
        db, org=access_.org, reason=data.reason, actor=access_.actor, settings=settings
    )
    return departure_read(found)


# -- the directory of disclosure policies ----------------------------------------------------


def policy_filters(
    security_txt_valid: bool | None = None,
    policy_reachable: bool | None = None,
    safe_harbour: bool | None = None,
    response_time: bool | None = None,
    how_to_report: bool | None = None,
    languages: bool | None = None,
    bug_bounty: bool | None = None,
    csaf: bool | None = None,
) -> dict[str, bool]:
    """The directory's filters that were given (``true``: must show it; ``false``: must not)."""
    given = {
        "security_txt_valid": security_txt_valid,
        "policy_reachable": policy_reachable,
        "safe_harbour": safe_harbour,
        "response_time": response_time,
        "how_to_report": how_to_report,
        "languages": languages,
        "bug_bounty": bug_bounty,
        "csaf": csaf,
    }
    return {name: value for name, value in given.items() if value is not None}


@router.get("/policies", response_model=PolicyDirectoryRead)
def policies(
    db: DbSession,
    _: Public,
    wanted: Annotated[dict[str, bool], Depends(policy_filters)],
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=directory.MAX_PER_PAGE)] = directory.PER_PAGE,
) -> PolicyDirectoryRead:
    """Every organization's security.txt, disclosure policy (and what it states, with the
    sentence as evidence), CSAF provider and bug bounty, as last checked; filterable, by
    name, a page at a time."""
    found = directory.page(db, wanted=wanted, page=page, per_page=per_page)
    return PolicyDirectoryRead(
        items=[entry_read(e) for e in found.entries],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )
