"""security.txt files for tests: RFC 9116's own examples, and a builder for variations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# RFC 9116 section 2.6, as printed (its Expires uses a lower-case "z").
RFC_UNSIGNED = """\
# Our security address
Contact: mailto:security@example.com

# Our OpenPGP key
Encryption: https://example.com/pgp-key.txt

# Our security policy
Policy: https://example.com/security-policy.html

# Our security acknowledgments page
Acknowledgments: https://example.com/hall-of-fame.html

Expires: 2021-12-31T18:37:07z
"""

# RFC 9116 section 2.7, as printed ("[signature]" stands for the base64 signature data).
RFC_SIGNED = """\
-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

# Canonical URI
Canonical: https://example.com/.well-known/security.txt

# Our security address
Contact: mailto:security@example.com

# Our OpenPGP key
Encryption: https://example.com/pgp-key.txt

# Our security policy
Policy: https://example.com/security-policy.html

# Our security acknowledgments page
Acknowledgments: https://example.com/hall-of-fame.html

Expires: 2021-12-31T18:37:07z
-----BEGIN PGP SIGNATURE-----
Version: GnuPG v2.2

[signature]
-----END PGP SIGNATURE-----
"""

# Before the examples' expiry date, and after it.
BEFORE_RFC_EXPIRY = datetime(2021, 6, 1, tzinfo=UTC)
AFTER_RFC_EXPIRY = datetime(2022, 1, 1, tzinfo=UTC)

# A real OpenPGP signature block (Ed25519, made once for these tests over other text):
# well-formed armor with a valid CRC-24; the hub checks the armor, not the signature.
SIGNATURE_BLOCK = """\
-----BEGIN PGP SIGNATURE-----

wnUEARYKAB0FAmsCmGYWIQRdVhQh/GZAt+sKHOmeQnReZIiZgwAKCRCeQnReZIiZ
g4vYAQCdxSJL2Y+F1wFh+9FQ9h7EvJx4zBkDRd25xdPMvSlIQgD/SNtzen4h9R4p
+rfxFlO6ykpCdpBTYxXctb6LnEon+g4=
=5EhW
-----END PGP SIGNATURE-----
"""


def expires_in(days: float) -> str:
    """An RFC 3339 Expires value ``days`` from the real now, in UTC."""
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def security_txt(
    *,
    contact: str | None = "mailto:security@example.com",
    expires: str | None = None,
    extra: str = "",
    signed: bool = False,
) -> str:
    """A security.txt that is valid unless told otherwise (expiring in 90 days)."""
    lines = ["# security.txt for example.com"]
    if contact is not None:
        lines.append(f"Contact: {contact}")
    lines.append("Encryption: https://example.com/pgp-key.txt")
    lines.append(f"Expires: {expires or expires_in(90)}")
    body = "\n".join(lines) + "\n" + extra
    if not signed:
        return body
    canonical = "Canonical: https://example.com/.well-known/security.txt\n"
    return (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n" + canonical + body + SIGNATURE_BLOCK
    )


def without_expires(text: str) -> str:
    """``text`` with its Expires line taken out."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("Exp"))
