"""The RFC 9116 parser, on the RFC's own examples, on GnuPG's output and against sectxt.

sectxt is the validator behind internet.nl; where the RFC is clear, the two must agree on
whether a file is valid and on which rule it breaks.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest
import sectxt

from accord.registry.securitytxt import Severity, parse
from accord.registry.securitytxt.parser import MAX_LINES, crc24
from tests.registry.gpg import GnuPG
from tests.registry.samples import (
    AFTER_RFC_EXPIRY,
    BEFORE_RFC_EXPIRY,
    RFC_SIGNED,
    RFC_UNSIGNED,
    SIGNATURE_BLOCK,
    expires_in,
    security_txt,
    without_expires,
)

NOW = datetime.now(UTC)


def codes(
    text: str | bytes, severity: Severity = Severity.ERROR, url: str | None = None
) -> list[str]:
    found = parse(text if isinstance(text, bytes) else text.encode(), now=NOW, url=url)
    return [f.code for f in found.findings if f.severity is severity]


# -- RFC 9116's own examples ---------------------------------------------------------------


def test_rfc_unsigned_example_is_valid_before_it_expires() -> None:
    found = parse(RFC_UNSIGNED.encode(), now=BEFORE_RFC_EXPIRY)
    assert found.ok
    assert found.fields == {
        "Contact": ["mailto:security@example.com"],
        "Encryption": ["https://example.com/pgp-key.txt"],
        "Policy": ["https://example.com/security-policy.html"],
        "Acknowledgments": ["https://example.com/hall-of-fame.html"],
        "Expires": ["2021-12-31T18:37:07z"],
    }
    assert found.expires == datetime(2021, 12, 31, 18, 37, 7, tzinfo=UTC)
    assert not found.signed
    assert [(f.severity, f.code) for f in found.findings] == [(Severity.WARNING, "unsigned")]


def test_rfc_unsigned_example_is_expired_after_its_date() -> None:
    found = parse(RFC_UNSIGNED.encode(), now=AFTER_RFC_EXPIRY)
    assert not found.ok
    assert [f.code for f in found.findings if f.severity is Severity.ERROR] == ["expired"]


def test_rfc_signed_example_reads_its_fields_and_flags_the_placeholder_signature() -> None:
    # The RFC prints "[signature]" where the radix-64 data goes: the cleartext is read in
    # full, and the placeholder is reported, not taken for a signature.
    found = parse(RFC_SIGNED.encode(), now=BEFORE_RFC_EXPIRY)
    assert found.values("canonical") == ["https://example.com/.well-known/security.txt"]
    assert found.values("Contact") == ["mailto:security@example.com"]
    assert found.expires == datetime(2021, 12, 31, 18, 37, 7, tzinfo=UTC)
    assert [(f.code, f.line) for f in found.findings] == [("signature_malformed", 20)]
    assert not found.signed


def test_rfc_signed_example_with_real_armor_is_signed_and_valid() -> None:
    text = RFC_SIGNED.split("-----BEGIN PGP SIGNATURE-----")[0] + SIGNATURE_BLOCK
    found = parse(text.encode(), now=BEFORE_RFC_EXPIRY)
    assert found.signed
    assert found.ok
    assert found.findings == ()


# -- signatures made by GnuPG --------------------------------------------------------------


def test_gnupg_clearsigned_file_is_signed_and_read_exactly_as_gpg_verifies_it(
    gpg: GnuPG,
) -> None:
    plain = security_txt(
        extra="Canonical: https://example.com/.well-known/security.txt\n-Note: leading dash\n"
    )
    signed = gpg.clearsign(plain)
    assert "\n- -Note" in signed  # gpg dash-escaped the line
    found = parse(signed.encode(), now=NOW)
    assert found.signed
    assert found.ok, found.findings
    assert found.findings == ()
    assert found.values("-Note") == ["leading dash"]
    assert parse(gpg.verified_text(signed).encode(), now=NOW).fields == found.fields


def test_tampered_armor_fails_its_checksum(gpg: GnuPG) -> None:
    signed = gpg.clearsign(security_txt())
    head, armor = signed.split("-----BEGIN PGP SIGNATURE-----")
    lines = armor.split("\n")
    data_line = next(i for i, line in enumerate(lines) if len(line) > 40)
    flipped = "A" if lines[data_line][5] != "A" else "B"
    lines[data_line] = lines[data_line][:5] + flipped + lines[data_line][6:]
    found = parse((head + "-----BEGIN PGP SIGNATURE-----" + "\n".join(lines)).encode(), now=NOW)
    assert not found.signed
    assert "signature_malformed" in [f.code for f in found.findings]


def test_crc24_matches_the_checksum_gnupg_wrote(gpg: GnuPG) -> None:
    import base64

    armor = gpg.clearsign("x\n").split("-----BEGIN PGP SIGNATURE-----\n\n")[1]
    data, checksum = armor.split("\n=")
    raw = base64.b64decode(data.replace("\n", ""))
    assert crc24(raw).to_bytes(3, "big") == base64.b64decode(checksum[:4])


def test_signed_message_without_signature_or_with_trailing_text() -> None:
    head = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + security_txt()
    assert "signature_missing" in codes(head)
    assert "text_after_signature" in codes(head + SIGNATURE_BLOCK + "Contact: x@y\n")
    assert "text_before_signed_message" in codes("Contact: a\n" + head + SIGNATURE_BLOCK)
    no_hash = head.replace("Hash: SHA256\n", "") + SIGNATURE_BLOCK
    assert "signature_malformed" in codes(no_hash)


# -- the rules, one by one -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (security_txt(contact=None), "no_contact"),
        (without_expires(security_txt()), "no_expires"),
        (security_txt(extra=f"Expires: {expires_in(10)}\n"), "multiple_expires"),
        (security_txt(expires=expires_in(-1)), "expired"),
        (security_txt(expires="2030-02-30T00:00:00Z"), "invalid_expires"),
        (security_txt(expires="31 December 2030"), "invalid_expires"),
        (security_txt(contact="http://example.com/security"), "insecure_uri"),
        (security_txt(contact="security at example dot com"), "invalid_uri"),
        (security_txt(extra="Policy:https://example.com/policy\n"), "no_space"),
        (security_txt(extra="Hiring: \n"), "empty_value"),
        (security_txt(extra="no colon on this line\n"), "invalid_line"),
        (
            security_txt(extra="Preferred-Languages: en\nPreferred-Languages: fr\n"),
            "multiple_languages",
        ),
        (security_txt(extra="Preferred-Languages: en, not a tag\n"), "invalid_language"),
        (
            security_txt(extra="CSAF: https://example.com/csaf/index.json\n"),
            "csaf_not_provider_metadata",
        ),
        (security_txt().rstrip("\n"), "no_final_newline"),
        (security_txt(extra="Policy: https://example.com/" + "p" * 2100 + "\n"), "line_too_long"),
    ],
)
def test_each_must_is_an_error(text: str, code: str) -> None:
    assert code in codes(text)
    assert not parse(text.encode(), now=NOW).ok


def test_byte_order_mark_and_bad_utf8_are_errors() -> None:
    assert "bom" in codes(b"\xef\xbb\xbf" + security_txt().encode())
    assert "not_utf8" in codes(security_txt().encode() + b"# \xff\n")


def test_too_many_lines_stops_reading() -> None:
    text = security_txt() + "# filler\n" * MAX_LINES
    found = parse(text.encode(), now=NOW)
    assert "too_many_lines" in [f.code for f in found.findings]
    assert found.values("Contact") == ["mailto:security@example.com"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (security_txt(), "unsigned"),
        (security_txt(expires=expires_in(400)), "expires_too_far"),
        (
            security_txt().replace("Encryption: https://example.com/pgp-key.txt\n", ""),
            "no_encryption",
        ),
    ],
    ids=["unsigned", "expires_too_far", "no_encryption"],  # the texts hold the clock's seconds
)
def test_each_should_is_a_warning(text: str, code: str) -> None:
    assert code in codes(text, Severity.WARNING)
    assert parse(text.encode(), now=NOW).ok


def test_signed_without_canonical_and_canonical_mismatch_are_warnings() -> None:
    signed = security_txt(signed=True)
    assert "no_canonical" in codes(
        signed.replace("Canonical: https://example.com/.well-known/security.txt\n", ""),
        Severity.WARNING,
    )
    elsewhere = "https://other.example/.well-known/security.txt"
    assert "canonical_mismatch" in codes(signed, Severity.WARNING, url=elsewhere)
    assert "canonical_mismatch" not in codes(
        signed, Severity.WARNING, url="https://example.com/.well-known/security.txt"
    )


def test_names_are_case_insensitive_crlf_and_trailing_blanks_are_line_ends() -> None:
    text = security_txt().replace("Contact:", "contact:").replace("Expires:", "EXPIRES:")
    crlf = text.replace("\n", " \t\r\n")
    for variant in (text, crlf):
        found = parse(variant.encode(), now=NOW)
        assert found.ok
        assert found.values("Contact") == ["mailto:security@example.com"]
        assert found.expires is not None


def test_unknown_fields_are_kept_and_ignored() -> None:
    found = parse(security_txt(extra="X-Bounty: https://example.com/bounty\n").encode(), now=NOW)
    assert found.ok
    assert found.fields["X-Bounty"] == ["https://example.com/bounty"]


def test_contacts_keep_their_order_of_preference() -> None:
    extra = "Contact: tel:+1-201-555-0123\nContact: https://example.com/security-contact.html\n"
    found = parse(security_txt(extra=extra).encode(), now=NOW)
    assert found.values("contact") == [
        "mailto:security@example.com",
        "tel:+1-201-555-0123",
        "https://example.com/security-contact.html",
    ]


def test_expires_keeps_its_offset_and_compares_in_utc() -> None:
    found = parse(security_txt(expires="2030-01-01T02:00:00+02:00").encode(), now=NOW)
    assert found.ok
    assert found.expires == datetime(2030, 1, 1, 0, 0, tzinfo=UTC)
    assert found.expires is not None
    assert found.expires.utcoffset() == timedelta(hours=2)
    assert "expired" in codes(security_txt(expires="2000-01-01T02:00:00+02:00"))


# -- agreement with sectxt -----------------------------------------------------------------

# Our code -> sectxt's code for the same broken rule.
SECTXT_CODES = {
    "no_contact": "no_contact",
    "no_expires": "no_expire",
    "multiple_expires": "multi_expire",
    "expired": "expired",
    "invalid_expires": "invalid_expiry",
    "insecure_uri": "no_https",
    "invalid_uri": "no_uri",
    "no_space": "no_space",
    "empty_value": "empty_value",
    "invalid_line": "invalid_line",
    "multiple_languages": "multi_lang",
    "csaf_not_provider_metadata": "no_csaf_file",
    "no_final_newline": "no_line_separators",
    "bom": "bom_in_file",
    "not_utf8": "utf8",
}

CORPUS = {
    "good": security_txt(),
    "signed": security_txt(signed=True),
    "far": security_txt(expires=expires_in(800)),
    "tel": security_txt(contact="tel:+1-201-555-0123"),
    "languages": security_txt(extra="Preferred-Languages: en, es, fr\n"),
    "csaf": security_txt(
        extra="CSAF: https://example.com/.well-known/csaf/provider-metadata.json\n"
    ),
    "unknown": security_txt(extra="X-Thing: whatever\n"),
    "crlf": security_txt().replace("\n", "\r\n"),
    "lower": security_txt().replace("Contact:", "contact:").replace("Expires:", "EXPIRES:"),
    "no_contact": security_txt(contact=None),
    "no_expires": without_expires(security_txt()),
    "two_expires": security_txt(extra=f"Expires: {expires_in(10)}\n"),
    "expired": security_txt(expires=expires_in(-1)),
    "bad_date": security_txt(expires="next tuesday"),
    "http_contact": security_txt(contact="http://example.com/contact"),
    "bad_uri": security_txt(contact="security at example dot com"),
    "invalid_line": security_txt(extra="this is not a field\n"),
    "no_space": security_txt(extra="Policy:https://example.com/p\n"),
    "empty": security_txt(extra="Policy: \n"),
    "two_languages": security_txt(extra="Preferred-Languages: en\nPreferred-Languages: fr\n"),
    "csaf_bad": security_txt(extra="CSAF: https://example.com/csaf/index.json\n"),
    "no_newline": security_txt().rstrip("\n"),
}
BINARY_CORPUS = {
    "bom": b"\xef\xbb\xbf" + security_txt().encode(),
    "latin1": security_txt().encode() + "# caf\xe9\n".encode("latin-1"),
}


def _sectxt(content: bytes) -> sectxt.Parser:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its OpenPGP library warns about its own internals
        return sectxt.Parser(content)


@pytest.mark.parametrize(
    "content",
    [t.encode() for t in CORPUS.values()] + list(BINARY_CORPUS.values()),
    ids=[*CORPUS, *BINARY_CORPUS],
)
def test_verdicts_agree_with_sectxt(content: bytes) -> None:
    ours = parse(content, now=datetime.now(UTC))
    theirs = _sectxt(content)
    assert ours.ok == theirs.is_valid(), (ours.findings, theirs.errors)
    our_errors = {SECTXT_CODES[f.code] for f in ours.findings if f.severity is Severity.ERROR}
    assert our_errors == {e["code"] for e in theirs.errors}
    assert ours.signed == ("not_signed" not in {r["code"] for r in theirs.recommendations})
