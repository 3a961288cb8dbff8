"""Registry services: the accord's versions, applications, approval in one transaction."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from accord.identity import access
from accord.identity.credentials import verify_password
from accord.identity.models import AuditEvent, Membership, Organization, OrgKind, User
from accord.identity.policy import SYSTEM, Actor
from accord.registry import accounts, profiles, services
from accord.registry.models import (
    AccordVersion,
    AccountSetupLink,
    Application,
    ApplicationStatus,
    Signature,
)
from accord.registry.schemas import AccordVersionCreate, Reject
from accord.transparency.envelope import document_digest
from accord.transparency.models import LogRecord
from tests.factories import Factories
from tests.registry.helpers import approve, reread, submit

NEW_TEXT = AccordVersionCreate(
    title="Cybersecurity Tech Accord, 2nd edition",
    text="The four principles, restated with a fifth commitment on memory safety.",
)


def publish(factory: sessionmaker[Session], actor: Actor = SYSTEM) -> int:
    with unit_of_work(factory) as db:
        return services.publish_version(db, data=NEW_TEXT, actor=actor).number


def actions(db: Session) -> list[str]:
    reread(db)
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# -- the accord ----------------------------------------------------------------------------


def test_first_version_is_seeded_once_with_the_four_principles(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as db:
        first = services.current_version(db)
        again = services.current_version(db)
        assert first.id == again.id
        assert first.number == 1
        assert db.scalar(select(func.count(AccordVersion.id))) == 1
    for principle in ("Stronger defense", "No offense", "Capacity building", "Collective action"):
        assert principle in first.text
    assert "report publicly on the progress" in first.text


def test_publishing_adds_a_version_and_keeps_the_old_one(
    session_factory: sessionmaker[Session], db: Session
) -> None:
    with unit_of_work(session_factory) as work:
        original = services.current_version(work).text
    assert publish(session_factory) == 2
    with unit_of_work(session_factory) as work:
        assert services.current_version(work).number == 2
        assert services.get_version(work, 1).text == original
        assert [v.number for v in services.list_versions(work)] == [2, 1]
        with pytest.raises(NotFound):
            services.get_version(work, 3)
    assert actions(db) == ["accord.publish"]


def test_only_operators_publish(session_factory: sessionmaker[Session], make: Factories) -> None:
    make.user("alice")
    member = Actor(user_id=1, username="alice")
    with pytest.raises(Forbidden), unit_of_work(session_factory) as db:
        services.publish_version(db, data=NEW_TEXT, actor=member)


# -- applying ------------------------------------------------------------------------------


def test_application_must_agree_to_the_current_version(
    session_factory: sessionmaker[Session],
) -> None:
    publish(session_factory)
    with pytest.raises(Conflict) as raised:
        submit(session_factory, accord_version=1)
    assert raised.value.field == "accord_version"
    assert submit(session_factory, accord_version=2) > 0


def test_application_for_an_existing_organization_is_refused(
    session_factory: sessionmaker[Session], make: Factories
) -> None:
    make.org("Example Security GmbH")
    with pytest.raises(Conflict) as raised:
        submit(session_factory)
    assert raised.value.field == "name"
    with pytest.raises(Conflict) as taken:
        submit(session_factory, name="Another Name", slug="example-security-gmbh")
    assert taken.value.field == "slug"


def test_application_keeps_the_validated_proposal(
    session_factory: sessionmaker[Session], db: Session
) -> None:
    number = submit(session_factory, country="fr", security_contact="sec@example.com")
    stored = db.get(Application, number)
    assert stored is not None
    assert stored.status is ApplicationStatus.PENDING
    assert stored.proposal["country"] == "FR"
    assert stored.proposal["security_contact"] == "mailto:sec@example.com"
    assert stored.proposal["type"] == "vendor"
    assert "contact_email" not in stored.proposal


# -- approving and rejecting ---------------------------------------------------------------


def test_approval_creates_org_signature_admin_and_audit_together(
    session_factory: sessionmaker[Session], settings: Settings, db: Session
) -> None:
    number = submit(session_factory, username="ada")
    approval = approve(session_factory, settings, number)
    assert approval.signature is not None
    assert approval.account is not None
    secret = approval.account.setup_secret
    assert secret is not None
    org = db.scalar(select(Organization).where(Organization.slug == "example-security-gmbh"))
    assert org is not None
    signature = db.scalar(select(Signature).where(Signature.organization_id == org.id))
    assert signature is not None
    assert signature.accord_version.number == 1
    assert signature.approved_by == "system"
    ada = db.scalar(select(User).where(User.username == "ada"))
    assert ada is not None
    assert ada.email == "ada@example.com"
    role = db.scalar(select(Membership.role).where(Membership.user_id == ada.id))
    assert role is not None
    assert role.value == "admin"
    links = db.scalars(select(AccountSetupLink.secret_hash)).all()
    assert links == [hashlib.sha256(secret.encode()).hexdigest()]
    assert actions(db) == ["org.create", "user.create", "member.add", "application.approve"]
    application = db.get(Application, number)
    assert application is not None
    assert application.status is ApplicationStatus.APPROVED
    assert application.organization_id == org.id


def test_partners_get_no_signature(
    session_factory: sessionmaker[Session], settings: Settings, db: Session
) -> None:
    number = submit(session_factory, kind="partner", type="csirt", name="Example CERT")
    approval = approve(session_factory, settings, number, create_account=False)
    assert approval.signature is None
    assert approval.account is None
    assert db.scalar(select(func.count(Signature.id))) == 0
    assert db.scalar(select(func.count(User.id))) == 0


def test_a_decided_application_cannot_be_decided_again(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    approved = submit(session_factory)
    approve(session_factory, settings, approved, create_account=False)
    with pytest.raises(Conflict):
        approve(session_factory, settings, approved, create_account=False)
    rejected = submit(session_factory, name="Second Org")
    with unit_of_work(session_factory) as db:
        services.reject(
            db, application_id=rejected, data=Reject(reason="not eligible"), actor=SYSTEM
        )
    for again in (approved, rejected):
        with pytest.raises(Conflict), unit_of_work(session_factory) as db:
            services.reject(db, application_id=again, data=Reject(reason="again"), actor=SYSTEM)
    with pytest.raises(Conflict):
        approve(session_factory, settings, rejected)


def test_rejection_needs_a_reason_and_creates_nothing(
    session_factory: sessionmaker[Session], db: Session
) -> None:
    with pytest.raises(ValidationError):
        Reject(reason="  ")
    number = submit(session_factory)
    with unit_of_work(session_factory) as work:
        services.reject(
            work, application_id=number, data=Reject(reason="not a company"), actor=SYSTEM
        )
    stored = db.get(Application, number)
    assert stored is not None
    assert (stored.status, stored.reason) == (ApplicationStatus.REJECTED, "not a company")
    assert db.scalar(select(func.count(Organization.id))) == 0
    assert actions(db) == ["application.reject"]


def test_failed_approval_leaves_nothing_half_written(
    session_factory: sessionmaker[Session], settings: Settings, make: Factories, db: Session
) -> None:
    make.user("ada")  # the username the applicant asked for is taken by then
    before = actions(db)
    number = submit(session_factory, username="ada", contact_email="other@example.com")
    with pytest.raises(Conflict) as raised:
        approve(session_factory, settings, number)
    assert raised.value.field == "username"
    reread(db)
    assert db.scalar(select(func.count(Organization.id))) == 0
    assert db.scalar(select(func.count(Signature.id))) == 0
    stored = db.get(Application, number)
    assert stored is not None
    assert stored.status is ApplicationStatus.PENDING
    assert actions(db) == before
    # The operator picks another username and the same application goes through.
    approval = approve(session_factory, settings, number, username="ada-example")
    assert approval.account is not None
    assert approval.account.username == "ada-example"


def test_only_operators_decide(session_factory: sessionmaker[Session], settings: Settings) -> None:
    number = submit(session_factory)
    with pytest.raises(Unauthenticated):
        approve(session_factory, settings, number, actor=Actor())
    with pytest.raises(Forbidden):
        approve(session_factory, settings, number, actor=Actor(user_id=9, username="x"))


# -- the first admin -----------------------------------------------------------------------


def test_existing_account_with_the_email_becomes_admin_without_a_link(
    session_factory: sessionmaker[Session], settings: Settings, make: Factories, db: Session
) -> None:
    make.user("ada")  # factories give ada@example.org
    number = submit(session_factory, contact_email="ada@example.org")
    approval = approve(session_factory, settings, number)
    assert approval.account is not None
    assert (approval.account.username, approval.account.created) == ("ada", False)
    assert approval.account.setup_url(settings) is None
    assert db.scalar(select(func.count(AccountSetupLink.id))) == 0


def test_username_comes_from_the_email_and_avoids_taken_names(
    session_factory: sessionmaker[Session], settings: Settings, make: Factories
) -> None:
    make.user("ada")
    number = submit(session_factory, contact_email="Ada@Example.com")
    approval = approve(session_factory, settings, number)
    assert approval.account is not None
    assert approval.account.username == "ada-2"


def test_approval_never_fails_on_a_placeholder_password_that_holds_the_username(
    session_factory: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The placeholder is random; one that happens to contain the username ("ada") is refused
    # by the password rules and made approval fail. It is drawn again instead.
    draws = iter(["unusable_xxADAxx", "unusable_fine-random-value"])
    real = accounts.new_secret
    monkeypatch.setattr(
        accounts,
        "new_secret",
        lambda prefix: next(draws) if prefix == "unusable_" else real(prefix),
    )
    approval = approve(session_factory, settings, submit(session_factory, username="ada"))
    assert approval.account is not None
    assert approval.account.username == "ada"
    assert next(draws, None) is None  # both drawn: the first was refused


def test_setup_link_sets_the_password_once(
    session_factory: sessionmaker[Session], settings: Settings, db: Session
) -> None:
    approval = approve(session_factory, settings, submit(session_factory, username="ada"))
    assert approval.account is not None
    assert approval.account.setup_secret is not None
    secret = approval.account.setup_secret
    url = approval.account.setup_url(settings)
    assert url == f"http://testserver/join/set-password?token={secret}"
    with unit_of_work(session_factory) as work:
        user = accounts.setup_link_user(work, secret)
        assert user is not None
        # A browser already signed in (with the link's earlier password) is signed out.
        signed_in = access.start_session(work, user=user, settings=settings)
    with unit_of_work(session_factory) as work:
        user = accounts.setup_link_user(work, secret)
        assert user is not None
        assert user.username == "ada"
        accounts.redeem_setup_link(
            work, secret=secret, password="a long new passphrase", ip_address=None
        )
    reread(db)
    ada = db.scalar(select(User).where(User.username == "ada"))
    assert ada is not None
    assert verify_password(ada.password_hash, "a long new passphrase")
    assert access.session_actor(db, signed_in, ip_address=None) is None
    with pytest.raises(Unauthenticated), unit_of_work(session_factory) as work:
        accounts.redeem_setup_link(
            work, secret=secret, password="another passphrase", ip_address=None
        )
    assert "user.password_set" in actions(db)


def test_expired_setup_link_is_refused(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    approval = approve(session_factory, settings, submit(session_factory))
    assert approval.account is not None
    assert approval.account.setup_secret is not None
    with unit_of_work(session_factory) as work:
        work.execute(
            update(AccountSetupLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    with unit_of_work(session_factory) as work:
        assert accounts.setup_link_user(work, approval.account.setup_secret) is None
        with pytest.raises(Unauthenticated):
            accounts.redeem_setup_link(
                work,
                secret=approval.account.setup_secret,
                password="a long new passphrase",
                ip_address=None,
            )


# -- signatures ----------------------------------------------------------------------------


def test_signature_document_is_public_json_pinned_to_its_version(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    approve(session_factory, settings, submit(session_factory), create_account=False)
    with unit_of_work(session_factory) as work:
        signed_text = services.current_version(work).text
    publish(session_factory)
    with unit_of_work(session_factory) as work:
        signature = work.scalars(select(Signature)).one()
        document = profiles.signature_document(signature)
        version_one = services.get_version(work, document["accord_version"])
        assert version_one.text == signed_text
    assert document["type"] == "accord.signature/v1"
    assert document["organization"] == {
        "slug": "example-security-gmbh",
        "name": "Example Security GmbH",
        "kind": "signatory",
    }
    assert document["accord_version"] == 1
    assert document["accord_text_sha256"] == hashlib.sha256(signed_text.encode()).hexdigest()
    assert document["approved_by"] == "system"
    signed_at = document["signed_at"]
    assert signed_at.endswith("Z")
    assert datetime.fromisoformat(signed_at).utcoffset() == timedelta(0)
    assert abs(datetime.fromisoformat(signed_at) - datetime.now(UTC)) < timedelta(minutes=1)
    encoded = json.dumps(document, sort_keys=True)
    assert "ada@example.com" not in encoded
    assert "Ada Applicant" not in encoded


def test_lists_show_each_signatory_with_its_latest_signature(
    session_factory: sessionmaker[Session], settings: Settings, make: Factories
) -> None:
    approve(session_factory, settings, submit(session_factory), create_account=False)
    approve(
        session_factory,
        settings,
        submit(session_factory, name="Example CERT", kind="partner", type="csirt"),
        create_account=False,
    )
    make.org("Direct Signatory")  # created by an operator: no signature recorded
    with unit_of_work(session_factory) as work:
        signatories = profiles.listed(work, kind=OrgKind.SIGNATORY)
        partners = profiles.listed(work, kind=OrgKind.PARTNER)
        rows = [(e.name, e.accord_version) for e in signatories]
        assert rows == [("Direct Signatory", None), ("Example Security GmbH", 1)]
        assert [(e.name, e.signed_at) for e in partners] == [("Example CERT", None)]


def test_an_earlier_signing_day_is_recorded_and_logged_but_never_a_future_one(
    session_factory: sessionmaker[Session], settings: Settings, db: Session
) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    number = submit(session_factory, username="ada")
    with pytest.raises(InvalidInput) as refused:
        approve(session_factory, settings, number, create_account=False, signed_on=tomorrow)
    assert refused.value.field == "signed_on"
    assert reread(db).get(Application, number).status is ApplicationStatus.PENDING  # type: ignore[union-attr]

    day = datetime(2018, 4, 17, tzinfo=UTC)
    approve(session_factory, settings, number, create_account=False, signed_on=day.date())
    signature = reread(db).scalar(select(Signature))
    assert signature is not None
    assert signature.signed_at == day
    document = profiles.signature_document(signature)
    assert document["signed_at"] == "2018-04-17T00:00:00Z"
    # What the log holds is that document, with the given day.
    logged = db.scalar(select(LogRecord).where(LogRecord.entry_type == "registry.signature"))
    assert logged is not None
    assert logged.document_sha256 == document_digest(document)
