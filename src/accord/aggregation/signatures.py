"""Checking a provider's detached OpenPGP signature over a document (CSAF 2.0 requirement
19), with Sequoia-PGP, against the public keys the provider's metadata names and no other."""

from __future__ import annotations

import pysequoia


class BadSignature(Exception):
    """The signature does not verify with any of the provider's keys."""


def verify(data: bytes, signature: bytes, armored_keys: list[str]) -> str:
    """The fingerprint of the provider key that made ``signature`` over ``data``."""
    if not armored_keys:
        raise BadSignature("the provider's metadata names no OpenPGP key to check it with")
    certs = []
    for armored in armored_keys:
        certs.append(pysequoia.Cert.from_bytes(armored.encode("ascii")))
    try:
        sig = pysequoia.Sig.from_bytes(signature)
    except Exception:  # pysequoia raises plain exceptions for malformed input
        raise BadSignature("the signature file is not an OpenPGP signature") from None
    try:
        result = pysequoia.verify(bytes=data, store=lambda _ids: certs, signature=sig)
    except Exception:
        raise BadSignature("the signature does not verify with the provider's keys") from None
    valid = result.valid_sigs
    if not valid:
        raise BadSignature("the signature does not verify with the provider's keys")
    return str(valid[0].certificate).upper()
