"""Sending one email over SMTP (``ACCORD_SMTP_*``), with the standard library's smtplib."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import httpx

from accord.config import Settings


class MailNotConfigured(Exception):
    """No SMTP server is configured: the delivery fails at once (an operator may retry it
    from the jobs page once one is)."""


def configured(settings: Settings) -> bool:
    """Whether mail can be sent at all (an SMTP server is named)."""
    return bool(settings.smtp_host)


def is_address(value: str) -> bool:
    """Whether ``value`` is one plain address (``local@domain``), as a mail's To can carry."""
    _, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    return (
        bool(at and local and domain.strip("."))
        and address == value.strip()
        and not any(c.isspace() or c in '<>,;"' for c in address)
    )


def sender(settings: Settings) -> str:
    """The From address: configured, else accord@ the hub's public host."""
    if settings.smtp_from:
        return settings.smtp_from
    return f"accord@{httpx.URL(settings.public_url).host}"


def message(
    settings: Settings,
    *,
    to: str,
    subject: str,
    text: str,
    link: str,
    delivery_id: str,
    language: str | None = None,
) -> EmailMessage:
    """A plain-text email; the Message-ID comes from the delivery, the same on every retry.
    ``language`` (the reader's, which the text is written in) is named in Content-Language."""
    msg = EmailMessage()
    msg["From"] = sender(settings)
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    domain = sender(settings).rpartition("@")[2].rstrip(">") or "accord.invalid"
    msg["Message-ID"] = f"<{delivery_id}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    msg.set_content(f"{text.rstrip()}\n\n{link}\n\n-- \n{settings.hub_name}\n")
    if language:  # after set_content, which replaces every Content-* header
        msg["Content-Language"] = language  # RFC 3282
    return msg


def send(settings: Settings, msg: EmailMessage) -> None:
    """Hand ``msg`` to the configured SMTP server; smtplib's exceptions say why not."""
    if not settings.smtp_host:  # configured(settings), spelled out for the type checker
        raise MailNotConfigured("no SMTP server is configured (ACCORD_SMTP_HOST)")
    context = ssl.create_default_context()
    timeout = settings.outbound_timeout_seconds
    smtp: smtplib.SMTP
    if settings.smtp_tls:
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=context)
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_username, password)
        smtp.send_message(msg)
