"""Words the pages show for stored values (an organization's kind, an advisory's severity).

The stored values stay English identifiers; the ``label`` filter shows them in the viewer's
language. A value missing here is shown as it is stored.
"""

from __future__ import annotations

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
    "NONE": N_("none"),
    "LOW": N_("low"),
    "MEDIUM": N_("medium"),
    "HIGH": N_("high"),
    "CRITICAL": N_("critical"),
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
