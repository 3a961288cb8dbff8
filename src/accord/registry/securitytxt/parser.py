"""The security.txt format (RFC 9116), parsed without any I/O.

Rules and where they come from:
- 2.1 a line starting with "#" is a comment; 2.2 every line ends with CRLF or LF;
- 2.3 an OpenPGP cleartext signature (RFC 4880 section 7) is RECOMMENDED; we check its
  structure and armor (radix-64, CRC-24, a signature packet) and undo its dash-escaping,
  but do not verify it: which key to trust is the reader's business (2.3, 5.1);
- 2.5 field names are case-insensitive; Contact MUST appear, Expires MUST appear exactly
  once and SHOULD be less than a year away; Preferred-Languages at most once; web URIs in
  URI fields MUST begin with "https://"; 2.4 unknown fields are kept and otherwise ignored;
- 4 the ABNF: ``field-name ":" SP value``;
- 5.4 readers may refuse lines over 2,048 characters or files over 1,000 lines;
- CSAF 2.0 section 7.1.8 registers the CSAF field, pointing to a provider-metadata.json.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import enum
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

MAX_LINE_LENGTH = 2048
MAX_LINES = 1000
RECOMMENDED_MAX_LIFETIME = timedelta(days=365)

SIGNED_HEADER = "-----BEGIN PGP SIGNED MESSAGE-----"
SIGNATURE_BEGIN = "-----BEGIN PGP SIGNATURE-----"
SIGNATURE_END = "-----END PGP SIGNATURE-----"
# RFC 4880 6.1 and 5.2: the armor checksum, and the packet tag of a signature.
CRC24_INIT = 0xB704CE
CRC24_POLY = 0x1864CFB
SIGNATURE_PACKET_TAG = 2

KNOWN_FIELDS = {
    name.lower(): name
    for name in (
        "Acknowledgments",
        "Canonical",
        "Contact",
        "CSAF",
        "Encryption",
        "Expires",
        "Hiring",
        "Policy",
        "Preferred-Languages",
    )
}
URI_FIELDS = frozenset(
    {"Acknowledgments", "Canonical", "Contact", "CSAF", "Encryption", "Hiring", "Policy"}
)

# RFC 5322 3.6.8: a field name is printable US-ASCII except the colon.
_FIELD = re.compile(r"^([\x21-\x39\x3b-\x7e]+):(.*)$")
# RFC 3986 section 3: scheme ":" and something; whitespace is never part of a URI.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
# RFC 3339 section 5.6 date-time; "T" and "Z" may be lower case (RFC 9116's own example).
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$"
)
# RFC 5646 language tags, in the shape that matters here (primary subtag, then subtags).
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")


class Severity(enum.StrEnum):
    """How bad a finding is: an error breaks a MUST, a warning a SHOULD."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem, with a stable code, a sentence for people and the line it is on."""

    severity: Severity
    code: str
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored with a check."""
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "line": self.line,
        }


def error(code: str, message: str, line: int | None = None) -> Finding:
    """A finding that breaks a MUST of the RFC."""
    return Finding(Severity.ERROR, code, message, line)


def warning(code: str, message: str, line: int | None = None) -> Finding:
    """A finding that breaks a SHOULD or RECOMMENDED of the RFC."""
    return Finding(Severity.WARNING, code, message, line)


@dataclass(frozen=True)
class SecurityTxt:
    """A parsed file: its fields in order, whether it is signed, and what is wrong with it."""

    fields: dict[str, list[str]]
    signed: bool
    expires: datetime | None
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """Whether nothing breaks a MUST (warnings allowed)."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def values(self, name: str) -> list[str]:
        """The values of field ``name`` (any case), in file order."""
        return self.fields.get(KNOWN_FIELDS.get(name.lower(), name), [])


@dataclass
class _Lines:
    """The lines that carry fields, with their numbers in the file."""

    numbered: list[tuple[int, str]] = field(default_factory=list)
    signed: bool = False


def parse(content: bytes | str, *, now: datetime, url: str | None = None) -> SecurityTxt:
    """Parse a security.txt; ``now`` decides expiry, ``url`` is where it was fetched from."""
    findings: list[Finding] = []
    text = _decode(content, findings)
    lines = _split(text, findings)
    body = _unwrap_signature(lines, findings)
    fields: dict[str, list[str]] = {}
    for number, line in body.numbered:
        _read_line(number, line, fields, findings)
    expires = _check_expires(fields, now, findings)
    _check_fields(fields, body.signed, url, findings)
    return SecurityTxt(fields=fields, signed=body.signed, expires=expires, findings=tuple(findings))


def _decode(content: bytes | str, findings: list[Finding]) -> str:
    if isinstance(content, str):
        return content
    if content.startswith(codecs.BOM_UTF8):
        # Net-Unicode (RFC 5198) has no byte-order mark.
        findings.append(error("bom", "the file starts with a byte-order mark", 1))
        content = content[len(codecs.BOM_UTF8) :]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        findings.append(error("not_utf8", "the file is not valid UTF-8"))
        return content.decode("utf-8", errors="replace")


def _split(text: str, findings: list[Finding]) -> list[str]:
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    elif text:
        findings.append(
            error("no_final_newline", "the last line does not end with a line break", len(lines))
        )
    if len(lines) > MAX_LINES:
        findings.append(
            error("too_many_lines", f"the file has more than {MAX_LINES} lines", MAX_LINES + 1)
        )
        lines = lines[:MAX_LINES]
    # eol = *WSP [CR] LF: trailing blanks and the CR belong to the line break.
    return [line.rstrip(" \t\r") for line in lines]


def _unwrap_signature(lines: list[str], findings: list[Finding]) -> _Lines:
    numbered = list(enumerate(lines, start=1))
    try:
        start = lines.index(SIGNED_HEADER)
    except ValueError:
        findings.append(
            warning("unsigned", "the file carries no OpenPGP cleartext signature (RFC 9116 2.3)")
        )
        return _Lines(numbered)
    if any(line for line in lines[:start]):
        findings.append(
            error("text_before_signed_message", "text comes before the signed message", 1)
        )
    return _signed_body(numbered, start, findings)


def _signed_body(numbered: list[tuple[int, str]], start: int, findings: list[Finding]) -> _Lines:
    i = start + 1
    hashes = 0
    while i < len(numbered) and numbered[i][1].startswith("Hash: "):
        hashes, i = hashes + 1, i + 1
    if hashes == 0:
        findings.append(error("signature_malformed", "the signed message has no Hash header", i))
    if i < len(numbered) and numbered[i][1] == "":
        i += 1
    elif hashes:
        findings.append(
            error("signature_malformed", "a blank line must follow the Hash header", i + 1)
        )
    body: list[tuple[int, str]] = []
    while i < len(numbered) and numbered[i][1] != SIGNATURE_BEGIN:
        number, line = numbered[i]
        # RFC 4880 7.1: lines starting with "-" are escaped as "- -"; undo it.
        body.append((number, line[2:] if line.startswith("- ") else line))
        i += 1
    if i == len(numbered):
        findings.append(error("signature_missing", "the signed message has no signature block"))
        return _Lines(body)
    end = next((j for j in range(i + 1, len(numbered)) if numbered[j][1] == SIGNATURE_END), None)
    if end is None:
        findings.append(
            error("signature_malformed", "the signature block is not closed", numbered[i][0])
        )
        return _Lines(body)
    if any(line for _, line in numbered[end + 1 :]):
        findings.append(
            error("text_after_signature", "text follows the signature", numbered[end + 1][0])
        )
    problem = armor_problem([line for _, line in numbered[i + 1 : end]])
    if problem is not None:
        findings.append(error("signature_malformed", problem, numbered[i][0]))
        return _Lines(body)
    return _Lines(body, signed=True)


def armor_problem(lines: list[str]) -> str | None:
    """What is wrong with the inside of an ASCII-armored signature (RFC 4880 6.2), if anything.

    Checks the shape, the radix-64 data, its CRC-24 checksum and that the first packet is a
    signature packet (tag 2). It does not check the signature itself.
    """
    i = 0
    while i < len(lines) and ": " in lines[i]:  # armor headers such as "Version: ..."
        i += 1
    if i < len(lines) and lines[i] == "":
        i += 1
    data = [line for line in lines[i:] if line]
    checksum = data.pop()[1:] if data and data[-1].startswith("=") else None
    try:
        raw = base64.b64decode("".join(data), validate=True)
    except (binascii.Error, ValueError):
        return "the signature is not radix-64 (base64) data"
    if not raw:
        return "the signature block is empty"
    if checksum is not None and base64.b64decode(checksum + "=" * (-len(checksum) % 4)) != (
        crc24(raw).to_bytes(3, "big")
    ):
        return "the signature's CRC-24 checksum does not match its data"
    first = raw[0]
    tag = first & 0x3F if first & 0x40 else (first >> 2) & 0x0F
    if not first & 0x80 or tag != SIGNATURE_PACKET_TAG:
        return "the armored data is not an OpenPGP signature packet"
    return None


def crc24(data: bytes) -> int:
    """The CRC-24 of OpenPGP's ASCII armor (RFC 4880 6.1)."""
    crc = CRC24_INIT
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= CRC24_POLY
    return crc & 0xFFFFFF


def _read_line(number: int, line: str, fields: dict[str, list[str]], found: list[Finding]) -> None:
    if not line or line.startswith("#"):
        return
    if len(line) > MAX_LINE_LENGTH:
        found.append(error("line_too_long", f"longer than {MAX_LINE_LENGTH} characters", number))
        return
    match = _FIELD.match(line)
    if match is None:
        found.append(
            error("invalid_line", "neither a field ('Name: value'), a comment nor blank", number)
        )
        return
    raw_name, rest = match.groups()
    name = KNOWN_FIELDS.get(raw_name.lower(), raw_name)
    value = rest.strip(" \t")
    if not value:
        found.append(error("empty_value", f"{name}: the value is empty", number))
        return
    if not rest.startswith(" "):
        found.append(error("no_space", f"{name}: a space must follow the colon", number))
    fields.setdefault(name, []).append(value)
    if name in URI_FIELDS:
        _check_uri(name, value, number, found)
    elif name == "Preferred-Languages":
        bad = [t for t in (p.strip() for p in value.split(",")) if not _LANGUAGE_TAG.match(t)]
        if bad:
            found.append(
                error("invalid_language", f"{name}: not a language tag: {bad[0]!r}", number)
            )


def _check_uri(name: str, value: str, number: int, found: list[Finding]) -> None:
    if not _URI.match(value):
        found.append(error("invalid_uri", f"{name}: not a URI: {value[:80]!r}", number))
    elif value.lower().startswith("http:"):
        found.append(error("insecure_uri", f"{name}: web URIs must begin with https://", number))


def _check_expires(
    fields: dict[str, list[str]], now: datetime, found: list[Finding]
) -> datetime | None:
    values = fields.get("Expires", [])
    if not values:
        found.append(error("no_expires", "the Expires field is missing"))
        return None
    if len(values) > 1:
        found.append(error("multiple_expires", "the Expires field appears more than once"))
    expires = parse_date_time(values[0])
    if expires is None:
        found.append(
            error("invalid_expires", f"Expires: not an RFC 3339 date-time: {values[0][:40]!r}")
        )
        return None
    if expires <= now:
        found.append(error("expired", f"the file expired on {expires.isoformat()}"))
    elif expires - now > RECOMMENDED_MAX_LIFETIME:
        found.append(
            warning("expires_too_far", "Expires should be less than a year into the future")
        )
    return expires


def parse_date_time(value: str) -> datetime | None:
    """An RFC 3339 date-time with its offset, or None if ``value`` is not one."""
    if not _DATE_TIME.match(value):
        return None
    normal = value.upper().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(normal)
    except ValueError:  # a well-shaped but impossible date, such as February 30
        return None


def _check_fields(
    fields: dict[str, list[str]], signed: bool, url: str | None, found: list[Finding]
) -> None:
    contacts = fields.get("Contact", [])
    if not contacts:
        found.append(error("no_contact", "the Contact field is missing"))
    elif any(c.lower().startswith("mailto:") for c in contacts) and "Encryption" not in fields:
        found.append(
            warning("no_encryption", "an email Contact should come with an Encryption key")
        )
    if len(fields.get("Preferred-Languages", [])) > 1:
        found.append(error("multiple_languages", "Preferred-Languages appears more than once"))
    for value in fields.get("CSAF", []):
        if not value.split("?")[0].endswith("/provider-metadata.json"):
            found.append(
                error("csaf_not_provider_metadata", "CSAF must point to a provider-metadata.json")
            )
    canonical = fields.get("Canonical", [])
    if signed and not canonical:
        found.append(warning("no_canonical", "a signed file should name its Canonical URI"))
    if url is not None and canonical and url not in canonical:
        found.append(
            warning("canonical_mismatch", "the URL it was fetched from is not a Canonical URI")
        )
