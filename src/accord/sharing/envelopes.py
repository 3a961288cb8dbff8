"""A TAXII envelope's body read into its objects (TAXII 2.1, section 3.7), within the bounds
of :mod:`accord.limits`; each object is then checked and stored by :mod:`accord.sharing.ingest`."""

from __future__ import annotations

import math
from typing import Any

from accord import limits
from accord.errors import N_, AccordError


class BadEnvelope(AccordError):
    """The request body is not a TAXII envelope (400: the server did not understand it)."""

    code = "bad_envelope"


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number too large for a double")
    return value


def _not_json(text: str) -> None:
    raise ValueError(f"{text} is not JSON")


def parse_envelope(body: bytes) -> list[Any]:
    """The ``objects`` of a TAXII envelope (TAXII 2.1, section 3.7)."""
    try:
        # NaN, Infinity and numbers beyond a double are not JSON (RFC 8259): refused here
        # rather than stored as something else than what was sent. Nesting past the bound
        # of accord.limits is refused as LimitExceeded (422).
        envelope = limits.load_json(
            body, what="the body", field="body", parse_constant=_not_json, parse_float=_finite
        )
    except (ValueError, UnicodeDecodeError):
        raise BadEnvelope(N_("the body is not JSON"), field="body") from None
    if not isinstance(envelope, dict):
        raise BadEnvelope(N_("an envelope is a JSON object with an objects list"), field="body")
    objects = envelope.get("objects", [])
    if not isinstance(objects, list):
        raise BadEnvelope(N_("objects: must be a list"), field="objects")
    return objects
