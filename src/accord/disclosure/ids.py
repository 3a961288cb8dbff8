"""The ids of advisories published from disclosure cases, explained for the pages showing them.

``x_PREFIX-YYYY-NNNN`` is the coordinators' advisory of (the first vulnerability of) case
YYYY-NNNN and ``x_PREFIX-YYYY-NNNN-<vendor>`` the one a vendor published for its own products;
a case's other vulnerabilities add their number after a dot, ``x_PREFIX-YYYY-NNNN.2`` and
``x_PREFIX-YYYY-NNNN.2-<vendor>`` (vulnerability 1 keeps the ids cases had before they held
several, so that those stay valid). ``PREFIX`` is the hub's (``ACCORD_ADVISORY_ID_PREFIX``).
The OSV schema admits a prefix that is not registered with the OSV database only behind
``x_``. Kept apart from ``publishing`` so that
the page renderer can import it without the rest of the domain.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from accord.web.i18n import N_

_ID = re.compile(
    r"^x_(?P<prefix>[A-Z][A-Z0-9]*)-(?P<year>\d{4})-(?P<number>\d{4,})(?:\.(?P<vulnerability>[1-9]\d*))?(?:-(?P<vendor>[a-z0-9][a-z0-9-]*))?$"
)


# Kept as msgids so that pages say them in the viewer's language (``web/rendering.py``).
VENDOR_NOTE = N_(
    "%(id)s: the advisory that vendor %(vendor)s published for its product from disclosure "
    'case %(case)s; this hub\'s id prefix is %(prefix)s; "x_" marks a prefix that is not '
    "registered with the OSV database."
)
VENDOR_NOTE_OF = N_(
    "%(id)s: the advisory that vendor %(vendor)s published for its product from "
    "vulnerability %(vulnerability)s of disclosure case %(case)s; this hub's id prefix is "
    '%(prefix)s; "x_" marks a prefix that is not registered with the OSV database.'
)
HUB_NOTE_OF = N_(
    "%(id)s: advisory of vulnerability %(vulnerability)s of case %(case)s of this hub; this "
    'hub\'s id prefix is %(prefix)s; "x_" marks a prefix that is not registered with the OSV '
    "database."
)
HUB_NOTE = N_(
    '%(id)s: advisory %(case)s of this hub; this hub\'s id prefix is %(prefix)s; "x_" marks '
    "a prefix that is not registered with the OSV database."
)


def explain_id(osv_id: str, *, prefix: str, gettext: Callable[[str], str] = str) -> str | None:
    """A short note on an id of this hub's scheme (prefix ``prefix``) for the pages that show
    it, through ``gettext``; None for any other id (an imported advisory keeps its own)."""
    found = _ID.match(osv_id)
    if found is None or found["prefix"] != prefix:
        return None
    values = {"id": osv_id, "case": f"{found['year']}-{found['number']}", "prefix": prefix}
    if found["vulnerability"]:
        values["vulnerability"] = found["vulnerability"]
        if found["vendor"]:
            return gettext(VENDOR_NOTE_OF) % {**values, "vendor": found["vendor"]}
        return gettext(HUB_NOTE_OF) % values
    if found["vendor"]:
        return gettext(VENDOR_NOTE) % {**values, "vendor": found["vendor"]}
    return gettext(HUB_NOTE) % values
