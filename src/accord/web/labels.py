"""Words the pages show for stored values (an organization's kind, an advisory's severity).

The stored values stay English identifiers; the ``label`` filter shows them in the viewer's
language. A value missing here is shown as it is stored.
"""

from __future__ import annotations

import re
from gettext import NullTranslations

from jinja2 import pass_context
from jinja2.runtime import Context

from accord.errors import Message, at_field, detail_in
from accord.field_labels import labelled
from accord.parse_details import detail_of
from accord.reasons import REASONS, Problem
from accord.web.i18n import N_, Viewer, moments_in

LABELS: dict[str, str] = {
    # organizations: kind and type
    "signatory": N_("signatory"),
    "partner": N_("partner"),
    "vendor": N_("vendor"),
    "csirt": N_("CSIRT"),
    "ngo": N_("NGO"),
    "government": N_("government"),
    "academia": N_("academia"),
    "other": N_("other"),
    # advisories: a credit's role (OSV's credit types, lower case, words apart)
    "finder": N_("finder"),
    "reporter": N_("reporter"),
    "analyst": N_("analyst"),
    "coordinator": N_("coordinator"),
    "remediation developer": N_("remediation developer"),
    "remediation reviewer": N_("remediation reviewer"),
    "remediation verifier": N_("remediation verifier"),
    "tool": N_("tool"),
    "sponsor": N_("sponsor"),
    # advisories: status and severity
    "draft": N_("draft"),
    "published": N_("published"),
    "withdrawn": N_("withdrawn"),
    # severity: the words of advisories.scoring.severity_label, which the CLI and PDFs write
    "NONE": N_("None"),
    "LOW": N_("Low"),
    "MEDIUM": N_("Medium"),
    "HIGH": N_("High"),
    "CRITICAL": N_("Critical"),
    "UNKNOWN": N_("Unknown"),
    # disclosure: who did what in a case's history, when no person did ("reporter" above):
    # the hub itself (a vendor invited as a report arrives) and its own jobs (accord demo's)
    "hub": N_("the hub"),
    "system": N_("the hub, automatically"),
    # disclosure: where a report or case is ("published" above)
    "reported": N_("reported, awaiting triage"),
    "invalid": N_("closed: not valid"),
    "spam": N_("closed: spam"),
    "duplicate": N_("closed: a duplicate"),
    "question": N_("closed: an ordinary question"),
    "open": N_("open case"),
    "closed": N_("closed"),
    # indicator lookup: the kind of value recognised
    "ipv4": N_("IPv4 address"),
    "ipv6": N_("IPv6 address"),
    "domain": N_("domain name"),
    "url": N_("URL"),
    "email": N_("email address"),
    "md5": N_("MD5 hash"),
    "sha1": N_("SHA-1 hash"),
    "sha256": N_("SHA-256 hash"),
    "sha512": N_("SHA-512 hash"),
    # accounts: a member's role and an API token's scope ("admin" is both)
    "admin": N_("admin"),
    "member": N_("member"),
    "read": N_("read"),
    "write": N_("write"),
    # applications to join
    "pending": N_("pending"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    # background jobs and webhook deliveries
    "queued": N_("queued"),
    "running": N_("running"),
    "done": N_("done"),
    "failed": N_("failed"),
    "dead": N_("dead"),
    # security.txt findings
    "error": N_("error"),
    "warning": N_("warning"),
    # a vendor's reason for "not affected" (the CSAF and VEX justifications, stored as named)
    "component_not_present": N_("the component is not in the product"),
    "vulnerable_code_not_present": N_("the vulnerable code is not in the product"),
    "vulnerable_code_not_in_execute_path": N_("the vulnerable code is never run"),
    "vulnerable_code_cannot_be_controlled_by_adversary": N_(
        "an attacker cannot reach the vulnerable code"
    ),
    "inline_mitigations_already_exist": N_("the product already blocks the attack"),
}


@pass_context
def label(context: Context, value: object) -> str:
    """Template filter: the viewer's word for a stored value."""
    text = str(getattr(value, "value", value))
    if text not in LABELS:
        return text
    viewer = context.get("viewer")
    return (viewer if isinstance(viewer, Viewer) else Viewer()).translations.gettext(LABELS[text])


# A form field's problem, by pydantic's error type (``web/forms.py`` keeps it), as a
# sentence that names the field. A type missing here is shown as pydantic wrote it.
PROBLEMS: dict[str, str] = {
    "missing": N_("%(field)s: this field is required."),
    "string_too_short": N_("%(field)s: write at least %(min_length)s characters."),
    "string_too_long": N_("%(field)s: write at most %(max_length)s characters."),
    "too_short": N_("%(field)s: give at least %(min_length)s."),
    "too_long": N_("%(field)s: give at most %(max_length)s."),
    "string_pattern_mismatch": N_("%(field)s: this is not in the expected form (%(pattern)s)."),
    "url_parsing": N_("%(field)s: not a web address (https://...)."),
    "url_scheme": N_("%(field)s: the address must start with one of: %(expected_schemes)s."),
    "url_syntax_violation": N_("%(field)s: not a web address (https://...)."),
    "url_type": N_("%(field)s: not a web address (https://...)."),
    "url_too_long": N_("%(field)s: this address is too long (at most %(max_length)s characters)."),
    "literal_error": N_("%(field)s: choose one of: %(expected)s."),
    "enum": N_("%(field)s: choose one of: %(expected)s."),
    "int_parsing": N_("%(field)s: write a whole number."),
    "value_error": N_("%(field)s: %(detail)s"),
    "agree": N_("%(field)s: tick the box to agree to this version of the accord."),
}

# The same with pydantic's detail of what it could not read (``accord.parse_details``).
PROBLEMS_DETAILED: dict[str, str] = {
    "url_parsing": N_("%(field)s: not a web address (https://...): %(error)s."),
    "url_syntax_violation": N_("%(field)s: not a web address (https://...): %(error)s."),
}


# What the forms' validators say after "Value error, " (``identity/schemas.py``): marked here
# so that the catalogs carry them and ``_detail`` finds them; a detail missing here is shown
# as written.
DETAILS: tuple[str, ...] = (
    N_("must be an email address, a mailto:, tel: or https:// URI"),
    N_("is not an email address"),
    N_("use 3 to 64 letters, digits, dots, underscores or hyphens, without spaces"),
)
# pydantic's URL parser, through a validator: said as the web address it is not.
_URL_DETAILS = ("Input should be a valid URL", "URL scheme should be")


def _detail(translations: NullTranslations, detail: str) -> str:
    """A validator's message (see ``accord.errors.detail_in``)."""
    return detail_in(detail, translations.gettext)


@pass_context
def problem(context: Context, message: object, beside: str | None = None) -> str:
    """Template filter: a form field's problem in the viewer's language, its RFC 3339
    moments written by ``format_when``. Shown ``beside`` the field it names, the sentence
    drops the field's internal name ("steps_to_reproduce: ..."): the label above says which
    field it is, in the reader's words."""
    said = _problem(context, message)
    named = _NAMED.match(said)
    # The element's name may carry its form's prefix ("close_note" for the close form's note).
    if beside is None or named is None or not beside.endswith(named.group(1)):
        return labelled(said, _viewer(context).translations.gettext)  # the field's label
    rest = said[named.end() :]
    # One of the sentences above starts with a word of ours, capitalized; another message may
    # start with a value ("acme.example is already...") that must stay as typed.
    kind, params = _kind(message), getattr(message, "params", None)
    detail = params.get("detail") if isinstance(params, dict) else None
    reason = params.get("reason") if isinstance(params, dict) else None
    ours = (
        (kind in PROBLEMS and kind != "value_error")
        or kind in REASONS
        or detail in DETAILS
        or isinstance(reason, Problem)
    )
    return rest[:1].upper() + rest[1:] if ours else rest


def _viewer(context: Context) -> Viewer:
    found = context.get("viewer")
    return found if isinstance(found, Viewer) else Viewer()


def _kind(message: object) -> object:
    """The problem's kind, a validator's URL message counted as the URL problem it is."""
    kind, params = getattr(message, "kind", None), getattr(message, "params", None)
    detail = str(params.get("detail", "")) if isinstance(params, dict) else ""
    return "url_parsing" if kind == "value_error" and detail.startswith(_URL_DETAILS) else kind


_NAMED = re.compile(r"([a-z][a-z0-9_.]*): ")


def _problem(context: Context, message: object) -> str:
    kind, params = _kind(message), getattr(message, "params", None)
    field = getattr(message, "field", None)
    found = context.get("viewer")
    viewer = found if isinstance(found, Viewer) else Viewer()
    translations = viewer.translations
    if isinstance(message, Message):  # a domain error's sentence, by its id
        return moments_in(message.translated(translations.gettext), viewer)
    if kind not in PROBLEMS and isinstance(kind, str) and kind in REASONS and field is not None:
        # pydantic's own words, by its error type (``accord.reasons``), after the field
        found = Problem(kind, str(message), params if isinstance(params, dict) else {})
        return moments_in(at_field(field, found).translated(translations.gettext), viewer)
    if kind not in PROBLEMS or field is None or not isinstance(params, dict):
        return moments_in(translations.gettext(str(message)), viewer)  # marked N_, or itself
    values = {**params, "field": field}
    sentence = PROBLEMS[kind]
    found = detail_of(values.get("detail")) if kind in PROBLEMS_DETAILED else None
    if found is not None:  # what pydantic could not read in the address, said too
        sentence, values["error"] = PROBLEMS_DETAILED[kind], found.translated(translations.gettext)
    elif "detail" in values:
        values["detail"] = _detail(translations, values["detail"])
    try:
        return moments_in(translations.gettext(sentence) % values, viewer)
    except (KeyError, ValueError, TypeError):  # a number the sentence needs is missing
        return moments_in(str(message), viewer)


# A security.txt finding (``registry/securitytxt``), by its code: the stored message is the
# English record, with the values it found; the page shows this sentence in the viewer's
# language and the record beside it. A code missing here shows its stored message.
FINDINGS: dict[str, str] = {
    "bom": N_("The file starts with a byte-order mark."),
    "not_utf8": N_("The file is not valid UTF-8."),
    "no_final_newline": N_("The last line does not end with a line break."),
    "too_many_lines": N_("The file has too many lines."),
    "unsigned": N_("The file carries no OpenPGP cleartext signature (RFC 9116 2.3)."),
    "text_before_signed_message": N_("Text comes before the signed message."),
    "signature_malformed": N_("The OpenPGP signature is malformed."),
    "signature_missing": N_("The signed message has no signature block."),
    "text_after_signature": N_("Text follows the signature."),
    "line_too_long": N_("A line is too long."),
    "invalid_line": N_("A line is neither a field ('Name: value'), a comment nor blank."),
    "empty_value": N_("A field's value is empty."),
    "no_space": N_("A space must follow the colon of a field."),
    "invalid_language": N_("A language is not a language tag."),
    "invalid_uri": N_("A value is not a URI."),
    "insecure_uri": N_("Web URIs must begin with https://."),
    "no_expires": N_("The Expires field is missing."),
    "multiple_expires": N_("The Expires field appears more than once."),
    "invalid_expires": N_("Expires is not an RFC 3339 date-time."),
    "expired": N_("The file has expired."),
    "expires_too_far": N_("Expires should be less than a year into the future."),
    "no_contact": N_("The Contact field is missing."),
    "no_encryption": N_("An email Contact should come with an Encryption key."),
    "multiple_languages": N_("Preferred-Languages appears more than once."),
    "csaf_not_provider_metadata": N_("CSAF must point to a provider-metadata.json."),
    "no_canonical": N_("A signed file should name its Canonical URI."),
    "canonical_mismatch": N_("The URL it was fetched from is not a Canonical URI."),
    "redirect_other_host": N_("The request was redirected to another host."),
    "no_charset": N_("Served as text/plain without charset=utf-8."),
    "charset": N_("Served in a character set other than UTF-8."),
    "not_https": N_("Not served over HTTPS: RFC 9116 requires https://."),
    "started_over_http": N_("The first request went over plain HTTP."),
    "timeout": N_("The server did not answer in time."),
    "unreachable": N_("The server could not be reached."),
    "too_many_redirects": N_("Too many redirects."),
    "invalid_url": N_("The security.txt URL is not a valid https:// URL."),
    "bad_url": N_("The security.txt URL is not a valid https:// URL."),
    "internal_address": N_("The host resolves to a non-public address."),
    "bad_redirect": N_("The redirect is not valid."),
    "redirect_downgrade": N_("A redirect away from https was refused."),
    "http_status": N_("The server answered with an error status."),
    "content_type": N_("The file is not served as text/plain."),
    "content_encoding": N_("The file is served with a content encoding."),
    "too_large": N_("The file is larger than the limit."),
}


@pass_context
def finding(context: Context, code: object, message: object) -> str:
    """Template filter: a security.txt finding's sentence in the viewer's language."""
    viewer = context.get("viewer")
    translations = (viewer if isinstance(viewer, Viewer) else Viewer()).translations
    known = FINDINGS.get(str(code))
    return translations.gettext(known) if known is not None else str(message)
