"""Sending one webhook delivery: a signed POST, no redirects, bounded in time."""

from __future__ import annotations

from typing import Any

import httpx

from accord import __version__, outbound
from accord.clock import utcnow
from accord.config import Settings
from accord.notifications import signing
from accord.notifications.urls import checked_webhook_url

USER_AGENT = f"accord-hub/{__version__} (webhook)"


class DeliveryFailed(Exception):
    """The receiver did not accept the delivery; the job is retried."""


def deliver(
    *, settings: Settings, url: str, secret: str, delivery_id: str, event: dict[str, Any]
) -> int:
    """POST one signed delivery to ``url``; the HTTP status, or :class:`DeliveryFailed`.

    The URL is checked again (a host may resolve elsewhere since it was registered).
    Redirects are not followed: a receiver that moved must be registered again, or a
    redirect could point the hub at an address it refuses.
    """
    checked_webhook_url(url, settings=settings)
    timestamp = int(utcnow().timestamp())
    payload = signing.body(delivery_id=delivery_id, timestamp=timestamp, event=event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.SIGNATURE_HEADER: signing.sign(secret, payload),
        signing.DELIVERY_HEADER: delivery_id,
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.EVENT_HEADER: str(event.get("kind", "")),
    }
    with outbound.client(settings) as client:
        try:
            with client.stream("POST", url, content=payload, headers=headers) as response:
                status = response.status_code
        except outbound.Refused as exc:
            # Checked when registered; checked again here, at connection, against rebinding.
            raise DeliveryFailed(exc.message) from None
        except httpx.TimeoutException:
            raise DeliveryFailed(
                f"no answer within {settings.outbound_timeout_seconds:g} s"
            ) from None
        except httpx.HTTPError as exc:
            # The class says enough; the text may echo what the server sent.
            raise DeliveryFailed(f"could not connect: {type(exc).__name__}") from None
    if not 200 <= status < 300:
        raise DeliveryFailed(f"the receiver answered HTTP {status}")
    return status
