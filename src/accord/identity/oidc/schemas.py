"""The provider form: what an organization's admin (or an operator) registers."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints

from accord.identity.schemas import Strict
from accord.web.i18n import N_

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _issuer(value: str) -> str:
    parts = urlsplit(value)
    # Core §2: https, no query or fragment. http only for a provider on the hub's own
    # machine or network, which the outbound rules already refuse unless allowed.
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(N_("an https:// address is needed"))
    if parts.query or parts.fragment:
        raise ValueError(N_("an issuer has no query or fragment"))
    return value


def _domains(value: str) -> str:
    names = [part.strip().lower() for part in re.split(r"[\s,]+", value) if part.strip()]
    if not names:
        raise ValueError(N_("name at least one e-mail domain"))
    for name in names:
        if not _DOMAIN.match(name):
            not_a_domain = N_("not a domain name")
            raise ValueError(f"{not_a_domain}: {name[:100]}")
    return " ".join(sorted(set(names)))


class ProviderForm(Strict):
    """A provider's registration. An empty ``client_secret`` on a change keeps the stored one."""

    issuer: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(_issuer)
    ]
    client_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    client_secret: Annotated[str, StringConstraints(max_length=1000)] = ""
    allowed_domains: Annotated[str, StringConstraints(max_length=2000), AfterValidator(_domains)]
    passwords_allowed: bool = True

    @property
    def domains(self) -> list[str]:
        """The allowed domains as a list, lower-case and sorted."""
        return self.allowed_domains.split()
