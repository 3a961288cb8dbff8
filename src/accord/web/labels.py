"""Words the pages show for stored values (an organization's kind, an advisory's severity).

The stored values stay English identifiers; the ``label`` filter shows them in the viewer's
language. A value missing here is shown as it is stored.
"""

from __future__ import annotations

from gettext import NullTranslations

from jinja2 import pass_context
from jinja2.runtime import Context

from accord.web.i18n import N_, Viewer

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
    # organizations: a member's role
    "admin": N_("admin"),
    "member": N_("member"),
    # security.txt findings
    "error": N_("error"),
    "warning": N_("warning"),
}


@pass_context
def label(context: Context, value: object) -> str:
    """Template filter: the viewer's word for a stored value."""
    text = str(getattr(value, "value", value))
    if text not in LABELS:
        return text
    viewer = context.get("viewer")
    return (viewer if isinstance(viewer, Viewer) else Viewer()).translations.gettext(LABELS[text])


# A form field's problem, by pydantic's error type (``registry/forms.py`` keeps it), as a
# sentence that names the field. A type missing here is shown as pydantic wrote it.
PROBLEMS: dict[str, str] = {
    "missing": N_("%(field)s: this field is required."),
    "string_too_short": N_("%(field)s: write at least %(min_length)s characters."),
    "string_too_long": N_("%(field)s: write at most %(max_length)s characters."),
    "too_short": N_("%(field)s: give at least %(min_length)s."),
    "too_long": N_("%(field)s: give at most %(max_length)s."),
    "string_pattern_mismatch": N_("%(field)s: this is not in the expected form."),
    "url_parsing": N_("%(field)s: not a web address (https://...)."),
    "url_scheme": N_("%(field)s: not a web address (https://...)."),
    "url_syntax_violation": N_("%(field)s: not a web address (https://...)."),
    "url_type": N_("%(field)s: not a web address (https://...)."),
    "url_too_long": N_("%(field)s: this address is too long (at most %(max_length)s characters)."),
    "literal_error": N_("%(field)s: choose one of the options."),
    "enum": N_("%(field)s: choose one of the options."),
    "int_parsing": N_("%(field)s: write a whole number."),
    "value_error": N_("%(field)s: %(detail)s"),
    "agree": N_("%(field)s: tick the box to agree to this version of the accord."),
}


def _detail(translations: NullTranslations, detail: str) -> str:
    """A validator's message: whole if the catalog has it, else its sentence before the
    first colon (the part after it is technical detail, kept as written)."""
    whole = translations.gettext(detail)
    if whole != detail or ": " not in detail:
        return whole
    head, _, rest = detail.partition(": ")
    return f"{translations.gettext(head)}: {rest}"


@pass_context
def problem(context: Context, message: object) -> str:
    """Template filter: a form field's problem in the viewer's language."""
    kind, params = getattr(message, "kind", None), getattr(message, "params", None)
    field = getattr(message, "field", None)
    if kind not in PROBLEMS or field is None or not isinstance(params, dict):
        return str(message)
    viewer = context.get("viewer")
    translations = (viewer if isinstance(viewer, Viewer) else Viewer()).translations
    values = {**params, "field": field}
    if "detail" in values:
        values["detail"] = _detail(translations, values["detail"])
    try:
        return translations.gettext(PROBLEMS[kind]) % values
    except (KeyError, ValueError, TypeError):  # a number the sentence needs is missing
        return str(message)
