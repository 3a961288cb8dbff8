"""Wire models of the sharing API (the TAXII side speaks the spec's own JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from accord.sharing.tlp import Tlp

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Strict(BaseModel):
    """Unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


class CollectionCreate(Strict):
    """A new TAXII collection of the organization in the path."""

    title: Name
    description: str = Field(default="", max_length=5000)
    alias: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")] | None = None
    default_tlp: Tlp = Tlp.AMBER
    public_read: bool = False
    community_read: bool = False


class GrantSet(Strict):
    """Read or write access for an organization (by slug) or a sharing group (by id)."""

    organization: Slug | None = None
    group: Annotated[str, StringConstraints(min_length=36, max_length=36)] | None = None
    can_read: bool = True
    can_write: bool = False


class CollectionRead(BaseModel):
    """A collection as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    alias: str | None
    title: str
    description: str
    owner: str
    default_tlp: Tlp
    public_read: bool
    community_read: bool
    can_read: bool
    can_write: bool
    visible_objects: int


class GroupCreate(Strict):
    """A new sharing group owned by the organization in the path."""

    name: Name
    description: str = Field(default="", max_length=5000)
    members: list[Slug] = Field(default_factory=list, max_length=1000)


class GroupExport(Strict):
    """A sharing group as it travels between hubs (organizations by slug and name)."""

    format: Annotated[str, StringConstraints(pattern=r"^accord-sharing-group/1$")] = (
        "accord-sharing-group/1"
    )
    id: Annotated[str, StringConstraints(min_length=36, max_length=36)]
    name: Name
    description: str = Field(default="", max_length=5000)
    owner: Slug
    members: list[dict[str, str]] = Field(max_length=1000)
    exported_at: datetime | None = None


class GroupImported(BaseModel):
    """What an import did: the group, and the organizations this hub does not know."""

    id: str
    name: str
    members: list[str]
    unknown: list[str]


class LookupRequest(Strict):
    """Values to look up: file hashes, IP addresses, domain names, URLs, e-mail addresses."""

    values: list[Annotated[str, StringConstraints(min_length=1, max_length=2048)]] = Field(
        min_length=1, max_length=10_000
    )
    include_expired: bool = False


class IndicatorHit(BaseModel):
    """An indicator whose pattern tests a looked-up value for equality."""

    id: str
    collection: str
    name: str | None
    pattern: str
    tlp: str
    revoked: bool
    sightings: int
    # The indexed value that matched when it is not the one asked: the range holding an
    # address, a URL's host name or address.
    via: str | None = None
    valid_until: str | None = None
    expired: bool = False
    # Decay score 0-100 (sharing.decay); results are ordered by it, highest first.
    score: float = 0.0
    url: str = ""


class LookupResult(BaseModel):
    """The indicators the caller may see for one looked-up value."""

    value: str
    kind: str
    normalised: str
    indicators: list[IndicatorHit]
    # The warninglists (known-benign values) holding the value: likely a false positive.
    warninglists: list[str] = []
