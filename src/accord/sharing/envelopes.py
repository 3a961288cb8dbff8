"""A TAXII envelope's body read into its objects (TAXII 2.1, section 3.7), within the bounds
of :mod:`accord.limits`; each object is then checked and stored by :mod:`accord.sharing.ingest`."""

from __future__ import annotations

import math
from typing import Any

import orjson

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


# orjson reads an integer past 64 bits as a float, which is then at least this large: any such
# float sends the body to the exact parse (a float sent that large as well: same outcome).
_INTEGER_PAST_64_BITS = float(2**63)


def parse_envelope(body: bytes) -> list[Any]:
    """The ``objects`` of a TAXII envelope (TAXII 2.1, section 3.7)."""
    envelope = _parse_fast(body)
    if envelope is None:
        envelope = _parse_exactly(body)
    if not isinstance(envelope, dict):
        raise BadEnvelope(N_("an envelope is a JSON object with an objects list"), field="body")
    objects = envelope.get("objects", [])
    if not isinstance(objects, list):
        raise BadEnvelope(N_("objects: must be a list"), field="objects")
    return objects


def _parse_fast(body: bytes) -> Any:
    """The body read by orjson (twice as fast as ``json``), or None for :func:`_parse_exactly`.

    orjson refuses what the exact parse refuses or reads differently (NaN, Infinity, numbers
    beyond a double, lone surrogates, a byte order mark), and then the exact parse gives the
    same answer as ever; the one thing it reads silently otherwise, an integer past 64 bits
    (as a float), is looked for in the walk that bounds the nesting. Bounds as in ``limits``.
    """
    limits.check_size(len(body), limits.MAX_JSON_BYTES, what="the body", field="body")
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return envelope if _within_bounds(envelope) else None


def _within_bounds(value: Any) -> bool:
    """Whether ``value`` holds no float as large as an integer past 64 bits; raise as
    ``limits.check_depth`` does if it nests too deep (one walk for both, iterative)."""
    large = _INTEGER_PAST_64_BITS
    stack = [(value, 1)] if type(value) in (dict, list) else []
    while stack:
        node, depth = stack.pop()
        for child in node.values() if type(node) is dict else node:
            kind = type(child)
            if kind is dict or kind is list:
                if depth >= limits.MAX_DEPTH:
                    limits.check_depth(value, what="the body", field="body")  # raises
                stack.append((child, depth + 1))
            elif kind is float and not -large < child < large:
                return False
    return True


def _parse_exactly(body: bytes) -> Any:
    try:
        # NaN, Infinity and numbers beyond a double are not JSON (RFC 8259): refused here
        # rather than stored as something else than what was sent. Nesting past the bound
        # of accord.limits is refused as LimitExceeded (422).
        envelope = limits.load_json(
            body, what="the body", field="body", parse_constant=_not_json, parse_float=_finite
        )
    except (ValueError, UnicodeDecodeError):
        raise BadEnvelope(N_("the body is not JSON"), field="body") from None
    return envelope
