"""The notification tests' SMTP server and webhook receiver, for the delivery test."""

from tests.notifications.conftest import receiver, smtp_server

__all__ = ["receiver", "smtp_server"]
