"""The ids of advisories published from disclosure cases, explained for the pages showing them.

``x_PREFIX-YYYY-NNNN`` is the coordinators' advisory of case YYYY-NNNN and
``x_PREFIX-YYYY-NNNN-<vendor>`` the one a vendor published for its own product; ``PREFIX`` is
the hub's (``ACCORD_ADVISORY_ID_PREFIX``). The OSV schema admits a prefix that is not
registered with the OSV database only behind ``x_``. Kept apart from ``publishing`` so that
the page renderer can import it without the rest of the domain.
"""

from __future__ import annotations

import re

_ID = re.compile(
    r"^x_(?P<prefix>[A-Z][A-Z0-9]*)-(?P<year>\d{4})-(?P<number>\d{4,})(?:-(?P<vendor>[a-z0-9][a-z0-9-]*))?$"
)


def explain_id(osv_id: str, *, prefix: str) -> str | None:
    """A short note on an id of this hub's scheme (prefix ``prefix``) for the pages that show
    it; None for any other id (an imported advisory keeps its own scheme)."""
    found = _ID.match(osv_id)
    if found is None or found["prefix"] != prefix:
        return None
    tail = (
        f'this hub\'s id prefix is {prefix}; "x_" marks a prefix that is not registered with '
        "the OSV database."
    )
    if found["vendor"]:
        return (
            f"{osv_id}: the advisory that vendor {found['vendor']} published for its product "
            f"from disclosure case {found['year']}-{found['number']}; {tail}"
        )
    return f"{osv_id}: advisory {found['year']}-{found['number']} of this hub; {tail}"
