"""What the aggregator's pages say of a provider's passes, in the viewer's language.

A pass stores English records: a provider's status and last message, each run's message,
each refusal's code and reason with the values found (URLs, sizes, HTTP statuses). The
pages say the status and each refusal's code as a sentence of the catalog, the stored record
beside it as its technical detail (``lang="en"``), as the security.txt findings do; a code
missing here shows its record alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from accord.errors import N_

STATUSES: dict[str, str] = {
    "new": N_("not read yet"),
    "ok": N_("read; nothing refused"),
    "failures": N_("read; some documents refused"),
    "failed": N_("its feeds could not be read"),
}

# A refusal's code (``FetchFailed``, ``outbound.Refused`` and the pass's own).
REFUSALS: dict[str, str] = {
    "no_metadata": N_("No provider metadata was found."),
    "bad_metadata": N_("The provider metadata is not valid CSAF provider metadata."),
    "bad_key": N_("An OpenPGP key the metadata names could not be used."),
    "bad_feed": N_("A feed could not be read."),
    "too_many": N_("The feeds list more documents than the hub reads."),
    "http_status": N_("The server answered with an error status."),
    "timeout": N_("The server did not answer in time."),
    "unreachable": N_("The server could not be reached."),
    "internal_address": N_("The host resolves to a non-public address."),
    "too_many_redirects": N_("Too many redirects."),
    "bad_url": N_("The address is not a valid https:// URL."),
    "not_https": N_("The address is not an https:// URL."),
    "bad_redirect": N_("The redirect is not valid."),
    "redirect_downgrade": N_("A redirect away from https was refused."),
    "content_encoding": N_("The file is served with a content encoding."),
    "too_large": N_("The file is larger than the limit."),
    "not_json": N_("The document is not a JSON object."),
    "no_hash": N_("The provider publishes no hash for the document."),
    "hash_mismatch": N_("The document does not match the hash its provider published."),
    "signature": N_("The document's OpenPGP signature does not verify."),
    "mandatory_test": N_("The document fails a CSAF mandatory test."),
    "not_stored": N_("The document could not be kept as an advisory."),
}

_MORE = re.compile(r"(\d+) more to read in the next pass")


def status(value: str, gettext: Callable[[str], str]) -> str:
    """A provider's last status in a catalog's language (as stored where it has none)."""
    return gettext(STATUSES[value]) if value in STATUSES else value


def refusal(code: str, gettext: Callable[[str], str]) -> str | None:
    """A refusal's sentence by its code, or None for a code not listed."""
    return gettext(REFUSALS[code]) if code in REFUSALS else None


def run_message(message: str, ngettext: Callable[[str, str, int], str]) -> tuple[str, bool]:
    """A pass's stored message for a reader, and whether it is the English record kept as
    written (a provider's own failure, with the values found)."""
    found = _MORE.fullmatch(message)
    if found is None:
        return message, True
    count = int(found[1])
    said = ngettext(
        "%(count)s more to read in the next pass", "%(count)s more to read in the next pass",
        count,
    )  # fmt: skip
    return said % {"count": count}, False
