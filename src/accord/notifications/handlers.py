"""The job handlers that send notifications (registered by kind with :mod:`accord.jobs`)."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from accord.jobs.registry import JobContext, PermanentFailure, handler
from accord.notifications import mail, webhooks
from accord.notifications.models import Webhook
from accord.notifications.services import EMAIL_KIND, WEBHOOK_KIND

log = logging.getLogger("accord.notifications")


@handler(EMAIL_KIND)
def send_email(context: JobContext, payload: dict[str, Any]) -> None:
    """Send one email. What retrying cannot mend fails for good at once, so that pages say
    "failed" instead of "queued" for an hour: no SMTP server configured, a login refused, an
    address that is not one, a sender or recipient every server refuses (5xx)."""
    if not mail.is_address(payload["to"]):
        raise PermanentFailure(f"BadAddress: not an email address: {payload['to']!r}")
    try:
        msg = mail.message(
            context.settings,
            to=payload["to"],
            subject=payload["subject"],
            text=payload["text"],
            link=payload["link"],
            delivery_id=payload["delivery_id"],
            language=payload.get("language"),
        )
        mail.send(context.settings, msg)
    except mail.MailNotConfigured as exc:
        raise PermanentFailure(f"MailNotConfigured: {exc}") from None
    except smtplib.SMTPAuthenticationError as exc:
        # The server's answer only: never the password.
        raise PermanentFailure(
            f"SMTPAuthenticationError: the SMTP server refused the login ({exc.smtp_code})"
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        if exc.smtp_code >= 500:
            raise PermanentFailure(
                f"SMTPSenderRefused: the SMTP server refused the sender ({exc.smtp_code})"
            ) from None
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            raise PermanentFailure(f"the SMTP server refused the recipient: {codes}") from None
        raise


@handler(WEBHOOK_KIND)
def send_webhook(context: JobContext, payload: dict[str, Any]) -> None:
    """POST one signed delivery; a webhook removed since is skipped."""
    with context.readers() as db:
        hook = db.get(Webhook, payload["webhook_id"])
        target = None if hook is None else (hook.url, hook.secret)
    if target is None:
        log.info(
            "job %s: webhook %s was removed; nothing sent", context.job_id, payload["webhook_id"]
        )
        return
    url, secret = target
    webhooks.deliver(
        settings=context.settings,
        url=url,
        secret=secret,
        delivery_id=payload["delivery_id"],
        event=payload["event"],
    )
