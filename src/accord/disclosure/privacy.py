"""What the reporter lets a case's participants know about them.

The reporter chooses, when reporting, whether vendors may see their contact and their name;
coordinators always may (they run the case). Until the reporter says otherwise, vendors see
neither, and see "credited as chosen" rather than the credit line, which may be a name too.
Every page and API answer about a case reads the reporter through :func:`reporter_shown`.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.disclosure.models import DisclosureCase
from accord.identity.policy import CaseStanding


@dataclass(frozen=True)
class ReporterShown:
    """The reporter as one viewer sees them; None: not shown to this viewer."""

    name: str | None
    contact: str | None
    credit: str | None
    contact_to_vendors: bool
    name_to_vendors: bool


def reporter_shown(case: DisclosureCase, standing: CaseStanding) -> ReporterShown:
    """The reporter's name, contact and credit as ``standing`` may see them."""
    everything = standing.coordinator or standing.reporter
    name_ok = everything or case.vendors_see_name
    return ReporterShown(
        name=case.reporter_name if name_ok else None,
        contact=case.contact if everything or case.vendors_see_contact else None,
        credit=case.credit if name_ok else None,
        contact_to_vendors=case.vendors_see_contact,
        name_to_vendors=case.vendors_see_name,
    )
