"""The plain name of each field a person fills in, for the sentences that name a field
("website: not a web address"): a reader sees "Website: ...", in their language, where the
code's name ``security_contact`` meant nothing to them.

Pages and error pages say a refusal through :func:`accord.errors.say`, which puts the label
in. The API's JSON keeps the code's name in its sentences, beside its ``field``: its reader
is a program, or a developer whose request body has that key; so does the command line,
whose options bear the fields' names (``--reason``). A field missing here keeps its name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from accord.errors import N_

LABELS: dict[str, str] = {
    # accounts, sign-in and tokens
    "username": N_("User name"),
    "email": N_("Email address"),
    "password": N_("Password"),
    "code": N_("Code"),
    "credential": N_("Security key"),
    "token": N_("Link"),
    "scope": N_("Access"),
    "expires_in_days": N_("Valid for (days)"),
    "role": N_("Role"),
    "operator": N_("Operator"),
    "language": N_("Language"),
    "time_zone": N_("Time zone"),
    "issuer": N_("Issuer"),
    "client_secret": N_("Client secret"),
    "allowed_domains": N_("Allowed domains"),
    # organizations and applications
    "name": N_("Name"),
    "display_name": N_("Name shown"),
    "kind": N_("Kind"),
    "type": N_("Type"),
    "org_type": N_("Type of organization"),
    "country": N_("Country"),
    "website": N_("Website"),
    "description": N_("Description"),
    "security_contact": N_("Security contact"),
    "contact_name": N_("Contact name"),
    "contact_email": N_("Contact email"),
    "disclosure_policy_url": N_("Disclosure policy address"),
    "security_txt_url": N_("security.txt address"),
    "cve_org_id": N_("CVE organization ID"),
    "organization": N_("Organization"),
    "reason": N_("Reason"),
    "confirm": N_("Confirmation"),
    "title": N_("Title"),
    "text": N_("Text"),
    # reports, cases and advisories
    "summary": N_("Summary"),
    "details": N_("Details"),
    "plain_summary": N_("Summary in plain words"),
    "steps_to_reproduce": N_("Steps to reproduce"),
    "impact": N_("Impact"),
    "proof_of_concept": N_("Proof of concept"),
    "product": N_("Product"),
    "products": N_("Products"),
    "vendor": N_("Vendor"),
    "attachments": N_("Attachments"),
    "message": N_("Message"),
    "note": N_("Note"),
    "embargo_at": N_("Embargo until"),
    "status": N_("Status"),
    "justification": N_("Justification"),
    "statement": N_("Statement"),
    "answer": N_("Answer"),
    "severity": N_("Severity"),
    "cvss_v3": N_("CVSS v3 vector"),
    "cvss_v4": N_("CVSS v4 vector"),
    "cwe_ids": N_("Weaknesses (CWE)"),
    "aliases": N_("Aliases"),
    "references": N_("References"),
    "credits": N_("Credits"),
    "affected": N_("Affected packages"),
    "affected_versions": N_("Affected versions"),
    "fixed_versions": N_("Fixed versions"),
    "purl": N_("Package URL"),
    "version": N_("Version"),
    # progress reports, sharing and the aggregator
    "period": N_("Period"),
    "narrative": N_("Narrative"),
    "commitments": N_("Commitments"),
    "url": N_("Address"),
    "given": N_("Address"),
    "tlp": N_("TLP marking"),
    "feed": N_("Feed"),
    "list": N_("List"),
    "count": N_("Number"),
}

_NAMED = re.compile(r"(?P<field>[a-z][a-z0-9_]*)(?P<rest>(?:\.[a-z0-9_]+)*): ")


def label_of(field: str, gettext: Callable[[str], str]) -> str:
    """A field's plain name in a catalog's language; the code's name where it has none
    (``references.0.url``: the label of ``references``, then the rest)."""
    head, dot, rest = field.partition(".")
    if head not in LABELS:
        return field
    return gettext(LABELS[head]) + (f" ({rest})" if dot else "")


def labelled(said: str, gettext: Callable[[str], str]) -> str:
    """A sentence that starts with a field's code name ("website: ...") with its label
    instead; any other sentence as it is."""
    found = _NAMED.match(said)
    if found is None or found["field"] not in LABELS:
        return said
    field = found["field"] + found["rest"]
    return f"{label_of(field, gettext)}: {said[found.end() :]}"
