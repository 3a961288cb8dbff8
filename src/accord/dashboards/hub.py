"""The operator's dashboard: what waits for a decision, the hub's health, and the first-run
checklist, each read from the records of the domain that owns it (nothing is stored here)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from accord.advisories.models import Advisory
from accord.config import Settings
from accord.disclosure.models import OPEN_STATUSES, CaseStatus, DisclosureCase
from accord.identity.models import Organization, User
from accord.jobs.models import Job, JobState
from accord.notifications import mail
from accord.registry.models import Application, ApplicationStatus, SecurityTxtCheck
from accord.transparency import services as log
from accord.web.i18n import N_

# Below this much free space where the data directory lives, the dashboard warns.
LOW_DISK_BYTES = 1 << 30


@dataclass(frozen=True)
class Step:
    """One step of the first-run checklist: done or not, and what to do (marked ``N_``)."""

    done: bool
    title: str
    how: str


@dataclass(frozen=True)
class HubStatus:
    """Everything the operator's dashboard shows."""

    pending_applications: list[Application]
    pending_count: int
    open_cases: int
    reported_cases: int
    failing_jobs: int
    dead_jobs: int
    mail_configured: bool
    public_address: str | None  # None: the default http://HOST:PORT
    disk_free: int | None
    disk_total: int | None
    checkpoint_size: int | None
    checkpoint_at: datetime | None
    advisories: int
    organizations: int
    checks: int
    operators: int

    @property
    def disk_low(self) -> bool:
        """Whether free space is short (the database and keys may fail to write)."""
        return self.disk_free is not None and self.disk_free < LOW_DISK_BYTES

    @property
    def checklist(self) -> list[Step]:
        """The first-run steps, each ticked by the hub's own records."""
        return [
            Step(
                True,
                N_("Create the first operator account"),
                N_("Done: you are signed in as one."),
            ),
            Step(
                self.public_address is not None,
                N_("Set the public address"),
                N_(
                    "Set ACCORD_BASE_URL to the address people reach the hub at (https://...), "
                    "so that links in mail, feeds and the log point there."
                ),
            ),
            Step(
                self.mail_configured,
                N_("Configure email"),
                N_(
                    "Set ACCORD_SMTP_HOST (and its user, password and sender) so that "
                    "notifications and account links can be sent."
                ),
            ),
            Step(
                self.advisories > 0,
                N_("Load advisories"),
                N_(
                    "Run accord advisories import with an OSV source (a folder, a zip or a URL), "
                    "or accord demo on an empty hub to look around first."
                ),
            ),
            Step(
                self.organizations > 0,
                N_("Welcome the first organization"),
                N_("Approve an application to join, or create one with accord org create."),
            ),
            Step(
                self.checks > 0,
                N_("Check security.txt files"),
                N_(
                    "The scheduled registry check runs on its own; accord registry "
                    "check-securitytxt runs it now."
                ),
            ),
            Step(
                self.operators > 1,
                N_("Add a second operator"),
                N_(
                    "So that the hub does not depend on one person: create a user on the Users "
                    "page and make them an operator."
                ),
            ),
        ]


def _count(db: Session, query: Select[int]) -> int:
    return db.scalar(query) or 0


def status(db: Session, *, settings: Settings) -> HubStatus:
    """The hub as its operators need to see it now."""
    pending = select(Application).where(Application.status == ApplicationStatus.PENDING)
    jobs: dict[JobState, int] = dict(
        db.execute(
            select(Job.state, func.count())
            .where(Job.state.in_([JobState.FAILED, JobState.DEAD]))
            .group_by(Job.state)
        ).all()
    )
    cases: dict[CaseStatus, int] = dict(
        db.execute(
            select(DisclosureCase.status, func.count())
            .where(DisclosureCase.status.in_(OPEN_STATUSES))
            .group_by(DisclosureCase.status)
        ).all()
    )
    checkpoint = log.latest_checkpoint(db)
    free: int | None = None
    total: int | None = None
    try:
        disk = shutil.disk_usage(settings.data_dir)
        free, total = disk.free, disk.total
    except OSError:
        pass  # shown as unknown
    return HubStatus(
        pending_applications=list(db.scalars(pending.order_by(Application.submitted_at).limit(5))),
        pending_count=_count(db, select(func.count()).select_from(pending.subquery())),
        open_cases=sum(cases.values()),
        reported_cases=cases.get(CaseStatus.REPORTED, 0),
        failing_jobs=jobs.get(JobState.FAILED, 0),
        dead_jobs=jobs.get(JobState.DEAD, 0),
        mail_configured=mail.configured(settings),
        public_address=settings.base_url,
        disk_free=free,
        disk_total=total,
        checkpoint_size=checkpoint.size if checkpoint is not None else None,
        checkpoint_at=checkpoint.signed_at if checkpoint is not None else None,
        advisories=_count(db, select(func.count(Advisory.id))),
        organizations=_count(db, select(func.count(Organization.id))),
        checks=_count(db, select(func.count(SecurityTxtCheck.id))),
        operators=_count(db, select(func.count(User.id)).where(User.is_operator.is_(True))),
    )
