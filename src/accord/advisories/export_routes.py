"""Downloads of an advisory in other formats, and the hub's CSAF 2.0 provider paths.

``/api/v1/advisories/{id}/formats/{format}`` gives one published version as OSV, CSAF,
CVE JSON 5 or a STIX bundle, to whoever may read the advisory. ``/.well-known/csaf/...``
serves the provider metadata, the ROLIE feeds, service and category documents, the
directories with hash and signature files, and the hub's public OpenPGP key (see
:mod:`csaf_provider`).
Every route is a read: ``PUBLIC_READ``, with the advisories' visibility rule applied to
what it answers.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from accord.advisories import csaf_provider, exports, openpgp, services
from accord.errors import N_, Message, NotFound
from accord.identity import services as identity_services
from accord.identity.policy import Action, Actor
from accord.limits import DbInt
from accord.web.deps import DbSession, SettingsDep, guard

api_router = APIRouter(tags=["advisories"])
provider_router = APIRouter(tags=["csaf"])
Reader = Annotated[Actor, guard(Action.PUBLIC_READ)]
_TEXT = "text/plain; charset=utf-8"


class SecurityTxtLine(BaseModel):
    """The ``CSAF:`` line an organization adds to its security.txt."""

    organization: str
    line: str
    provider_metadata: str
    https: bool
    publishes_advisories: bool


@api_router.get("/advisories/{advisory_id}/formats/{fmt}")
def advisory_format(
    advisory_id: str,
    fmt: Literal["osv", "csaf", "cve", "stix"],
    db: DbSession,
    actor: Reader,
    settings: SettingsDep,
    version: Annotated[DbInt | None, Query(ge=1)] = None,
    cna_org_id: uuid.UUID | None = None,
) -> Response:
    """A published version (the latest by default) in one format, as a download.

    ``cve`` needs a CVE alias (404 otherwise) and the CVE Services organization UUID of
    the CNA that will submit the record: the publisher's stored ``cve_org_id``, or
    ``cna_org_id`` given here, which overrides it (422 naming ``cve_org_id`` if neither).
    """
    advisory = services.get(db, advisory_id, actor=actor)
    found = exports.export(advisory, fmt, settings, number=version, cna_org_id=cna_org_id)
    return _download(found)


def _download(found: exports.Export) -> Response:
    disposition = f'attachment; filename="{found.filename}"'
    return Response(
        found.text, media_type=found.media_type, headers={"Content-Disposition": disposition}
    )


@api_router.get("/csaf/security-txt/{slug}", response_model=SecurityTxtLine)
def security_txt_line(
    slug: str, db: DbSession, _actor: Reader, settings: SettingsDep
) -> SecurityTxtLine:
    """The ``CSAF:`` line for the organization's security.txt (CSAF 2.0 requirement 8).

    The field must be an https URL: ``https`` says whether the hub's public URL is one.
    ``publishes_advisories`` says whether the organization has published any yet (the
    profile page offers the line only then).
    """
    org = identity_services.get_org(db, slug)
    url = csaf_provider.provider_metadata_url(settings)
    return SecurityTxtLine(
        organization=org.slug,
        line=csaf_provider.security_txt_line(settings),
        provider_metadata=url,
        https=url.startswith("https://"),
        publishes_advisories=csaf_provider.publishes(db, org.id),
    )


@provider_router.get(f"{csaf_provider.BASE}/provider-metadata.json")
def provider_metadata(db: DbSession, actor: Reader, settings: SettingsDep) -> JSONResponse:
    """The provider metadata (CSAF 2.0 requirement 7 and 9)."""
    return JSONResponse(csaf_provider.provider_metadata(db, actor, settings))


@provider_router.get(csaf_provider.BASE + "/feed-tlp-{label}.json")
def rolie_feed(label: str, db: DbSession, actor: Reader, settings: SettingsDep) -> JSONResponse:
    """The ROLIE feed of a TLP label: the documents of it the caller may read."""
    found = csaf_provider.entries(db, actor, label)
    return JSONResponse(csaf_provider.feed(found, settings, label))


@provider_router.get(csaf_provider.BASE + "/service.json")
def rolie_service(_actor: Reader, settings: SettingsDep) -> JSONResponse:
    """The ROLIE service document listing every feed (requirement 16)."""
    return JSONResponse(csaf_provider.service_document(settings))


@provider_router.get(csaf_provider.BASE + "/category-tlp-{label}.json")
def rolie_category(label: str, db: DbSession, actor: Reader) -> JSONResponse:
    """The ROLIE category document of a TLP label (requirement 17)."""
    return JSONResponse(csaf_provider.category_document(db, actor, label))


@provider_router.get(csaf_provider.BASE + "/openpgp/{filename}")
def public_key(filename: str, _actor: Reader, settings: SettingsDep) -> Response:
    """The hub's public OpenPGP key, ``<FINGERPRINT>.asc`` (requirement 20)."""
    key = openpgp.public_key(settings)
    if filename != key.filename:
        raise NotFound(
            Message(
                N_("no key %(filename)s: the hub signs with %(filename2)s"),
                filename=filename,
                filename2=key.filename,
            ),
            field="filename",
        )
    return Response(key.armored, media_type="application/pgp-keys")


@provider_router.get(csaf_provider.BASE + "/{label}/index.txt")
def index_txt(label: str, db: DbSession, actor: Reader) -> Response:
    """Every document path of the label's directory (requirement 12)."""
    found = csaf_provider.entries(db, actor, label)
    return Response(csaf_provider.index_txt(found), media_type=_TEXT)


@provider_router.get(csaf_provider.BASE + "/{label}/changes.csv")
def changes_csv(label: str, db: DbSession, actor: Reader) -> Response:
    """Paths and current release dates, newest first (requirement 13)."""
    found = csaf_provider.entries(db, actor, label)
    return Response(csaf_provider.changes_csv(found), media_type="text/csv; charset=utf-8")


@provider_router.get(csaf_provider.BASE + "/{label}/{year}/{filename}")
def directory_file(
    label: str, year: str, filename: str, db: DbSession, actor: Reader, settings: SettingsDep
) -> Response:
    """A CSAF document, its ``.sha256`` / ``.sha512`` file (requirement 18) or its ``.asc``
    OpenPGP signature (requirement 19)."""
    name, _, suffix = filename.rpartition(".")
    if suffix == "json":
        name, suffix = filename, ""
    if suffix not in ("", *csaf_provider.HASHES, csaf_provider.SIGNATURE):
        raise NotFound(Message(N_("no file %(filename)s"), filename=filename), field="filename")
    if not name.endswith(".json"):
        raise NotFound(Message(N_("no file %(filename)s"), filename=filename), field="filename")
    found = csaf_provider.document(db, actor, settings, label=label, year=year, filename=name)
    if not suffix:
        return Response(found.text, media_type="application/json")
    if suffix == csaf_provider.SIGNATURE:
        signature = csaf_provider.signature_file(found.text, settings)
        return Response(signature, media_type="application/pgp-signature")
    return Response(csaf_provider.hash_file(found.text, suffix, name), media_type=_TEXT)
