"""Wire models of the identity domain: separate shapes for create, update and read."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from accord.errors import N_, reason_of
from accord.identity.credentials import MIN_PASSWORD_LENGTH
from accord.identity.models import MemberRole, OrgKind, OrgType, TokenScope
from accord.identity.passwords import common_problem, personal_problem

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,64}$"
# What a refused user name is told: the rule, not "not in the expected form".
USERNAME_RULE = N_("use 3 to 64 letters, digits, dots, underscores or hyphens, without spaces")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(N_("is not an email address"))
    return value.lower()


def _username(value: str) -> str:
    if not re.fullmatch(USERNAME_PATTERN, value):
        raise ValueError(USERNAME_RULE)
    return value


def _contact(value: str) -> str:
    # RFC 9116 contacts are URIs; a bare address is accepted and made a mailto: URI.
    if value.startswith(("https://", "mailto:", "tel:")):
        return value
    if _EMAIL.match(value):
        return "mailto:" + value
    raise ValueError(N_("must be an email address, a mailto:, tel: or https:// URI"))


_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _http_url(value: str) -> str:
    # Validated as a URL, kept as the normalized string: the models store and echo strings.
    try:
        return str(_HTTP_URL.validate_python(value))
    except ValidationError as exc:
        # The problem of its type, with its numbers ("at most 2083 characters"), said in the
        # reader's language; its English text is pydantic's, as before.
        raise ValueError(reason_of(exc.errors()[0])) from None


def _weak(problem: str) -> PydanticCustomError:
    # A sentence of its own, without pydantic's "Value error, " before it.
    return PydanticCustomError("password_weak", problem)


def _not_common(value: str) -> str:
    problem = common_problem(value)
    if problem is not None:
        raise _weak(problem)
    return value


def _cve_org_id(value: str) -> str:
    # CVE Services gives each organization a version 4 UUID; the CVE schema takes no other.
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise ValueError(N_("is not a UUID")) from None
    if parsed.version != 4:
        raise ValueError(N_("is not a version 4 UUID, as CVE Services gives organizations"))
    return str(parsed)


Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=320), AfterValidator(_email)
]
Contact = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=500),
    AfterValidator(_contact),
]
Url = Annotated[str, StringConstraints(max_length=500), AfterValidator(_http_url)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]
# Checked by _username, so that a refusal says the rule; the API's schema still shows it.
Username = Annotated[
    str,
    AfterValidator(_username),
    WithJsonSchema({"type": "string", "pattern": USERNAME_PATTERN}),
]
# A new password: long enough, not common or breached (accord.identity.passwords).
Password = Annotated[
    str,
    StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=1024),
    AfterValidator(_not_common),
]
Country = Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{2}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
CveOrgId = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=64), AfterValidator(_cve_org_id)
]


class Strict(BaseModel):
    """Base of request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class OrgFields(Strict):
    """The public description of an organization, shared by create and read."""

    name: Name
    kind: OrgKind
    org_type: OrgType = Field(alias="type")
    country: Country
    website: Url
    security_contact: Contact
    disclosure_policy_url: Url | None = None
    security_txt_url: Url | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] = ""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OrgCreate(OrgFields):
    """An operator creates an organization directly (joining goes through the registry)."""

    slug: Slug | None = None


class OrgUpdate(Strict):
    """Fields an organization's admins may change; omitted fields stay as they are."""

    website: Url | None = None
    security_contact: Contact | None = None
    disclosure_policy_url: Url | None = None
    security_txt_url: Url | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    country: Country | None = None
    # The organization's UUID in CVE Services, if it is a CNA; null removes it.
    cve_org_id: CveOrgId | None = None

    @field_validator("website", "security_contact", "description", "country", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Omitted, these stay as they are; every organization has one, so null is no value.
        if value is None:
            raise ValueError(N_("may be omitted, but not null"))
        return value


class OrgRead(BaseModel):
    """An organization as anyone may see it."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    slug: str
    name: str
    kind: OrgKind
    org_type: OrgType = Field(serialization_alias="type")
    country: str
    website: str
    security_contact: str
    disclosure_policy_url: str | None
    security_txt_url: str | None
    description: str
    cve_org_id: str | None
    created_at: datetime


class UserCreate(Strict):
    """A new account."""

    username: Username
    email: Email
    password: Password
    display_name: Annotated[str, StringConstraints(max_length=200)] = ""

    @field_validator("password")
    @classmethod
    def _not_personal(cls, value: str, info: ValidationInfo) -> str:
        # The username and email are checked first (declared first); if either is wrong it is
        # missing here, and its own error is reported.
        username = info.data.get("username")
        if username is not None:
            problem = personal_problem(value, username=username, email=info.data.get("email"))
            if problem is not None:
                raise _weak(problem)
        return value


class UserRead(BaseModel):
    """An account, as its owner and operators see it."""

    model_config = ConfigDict(from_attributes=True)

    username: str
    email: str
    display_name: str
    is_operator: bool
    is_active: bool
    created_at: datetime


class MemberSet(Strict):
    """Add a user to an organization, or change the user's role there."""

    username: Username
    role: MemberRole


class MemberRead(BaseModel):
    """One member of an organization."""

    username: str
    display_name: str
    role: MemberRole


class TokenCreate(Strict):
    """Ask for a new API token."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    scope: TokenScope
    expires_in_days: int = Field(default=90, ge=1)


class TokenRead(BaseModel):
    """A token's metadata; the secret is never shown again."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenRead):
    """The answer to a token creation: the only time the secret is shown."""

    token: str


class LoginRequest(Strict):
    """Credentials for a browser sign-in."""

    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class AuditEventRead(BaseModel):
    """One audit row."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    action: str
    actor_label: str
    organization_id: int | None
    target: str
    ip_address: str | None
    details: dict[str, Any]


class InvitationCreate(Strict):
    """An invitation to join an organization: the colleague's address and their role."""

    email: Email
    role: MemberRole = MemberRole.MEMBER
