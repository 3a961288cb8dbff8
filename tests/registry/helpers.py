"""Builders for registry tests: application bodies, and applying or approving through services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.policy import SYSTEM, Actor
from accord.identity.services import get_org
from accord.registry import services
from accord.registry.schemas import ApplicationCreate, Approve


def application_body(**overrides: Any) -> dict[str, Any]:
    """A valid application as the API takes it; ``overrides`` change or add fields."""
    body: dict[str, Any] = {
        "name": "Example Security GmbH",
        "kind": "signatory",
        "type": "vendor",
        "country": "de",
        "website": "https://example.com",
        "security_contact": "security@example.com",
        "contact_name": "Ada Applicant",
        "contact_email": "ada@example.com",
        "accord_version": 1,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def submit(factory: sessionmaker[Session], **overrides: Any) -> int:
    """Apply through the service (committed); returns the application's number."""
    with unit_of_work(factory) as db:
        data = ApplicationCreate.model_validate(application_body(**overrides))
        return services.submit_application(db, data=data, actor=Actor()).id


def approve(
    factory: sessionmaker[Session],
    settings: Settings,
    application_id: int,
    actor: Actor = SYSTEM,
    **fields: Any,
) -> services.Approval:
    """Approve through the service (committed)."""
    with unit_of_work(factory) as db:
        return services.approve(
            db,
            application_id=application_id,
            data=Approve(**fields),
            actor=actor,
            settings=settings,
        )


def reread(db: Session) -> Session:
    """End the test session's snapshot so that it sees what was committed since."""
    db.rollback()
    return db


def set_security_txt_url(factory: sessionmaker[Session], slug: str, url: str) -> None:
    """Point an organization's security.txt URL at ``url`` (a local test server)."""
    with unit_of_work(factory) as db:
        get_org(db, slug).security_txt_url = url
