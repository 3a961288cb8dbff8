"""PLACEHOLDER, REPLACED ON MERGE by the real ``accord.notifications`` domain.

The disclosure branch was written while another branch builds notifications (email over
SMTP, signed webhooks, retried jobs). This module only fixes the agreed interface so that the
disclosure domain runs; :func:`notify` delivers nothing. Do not extend it here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from accord.config import Settings


@dataclass(frozen=True)
class Notice:
    """One thing to tell people: by user, by organization (its members) or by address."""

    kind: str
    subject: str
    text: str
    link: str
    user_ids: tuple[int, ...] = ()
    org_ids: tuple[int, ...] = ()
    emails: tuple[str, ...] = ()


def notify(db: Session, *, settings: Settings, notice: Notice) -> None:
    """Queue deliveries of ``notice`` in the caller's transaction (placeholder: does nothing)."""
    return None
