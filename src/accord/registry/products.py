"""Products an organization declares it ships, each named by a package URL without a version.

A signatory's product list is public: it tells reporters and coordinators who to tell when a
package has a vulnerability. The purls are keyed like the advisories' package index
(``accord.advisories.ecosystems``), so a report's ``pkg:pypi/Foo_Bar@1.0`` finds the
organization that declared ``pkg:pypi/foo-bar``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from packageurl import PackageURL
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.advisories import ecosystems
from accord.errors import N_, InvalidInput, Message
from accord.identity import audit
from accord.identity.models import Organization
from accord.identity.policy import Actor
from accord.registry.models import DeclaredProduct
from accord.registry.schemas import MAX_PRODUCTS, ProductDeclaration


@dataclass(frozen=True)
class PackageKey:
    """A package as the hub indexes it: an ecosystem and the name normalised within it."""

    ecosystem: str
    package: str


def key_of(purl: str, *, field: str) -> PackageKey:
    """The index key of a purl (its version, if any, left aside); 422 naming ``field`` if the
    purl is malformed.

    Types with an OSV ecosystem key as the advisories' index does; other types (``generic``,
    ``github``, ...) as ``purl:<type>`` and ``namespace/name``, so they still match each other.
    """
    parsed = _parse(purl, field=field)
    package = ecosystems.from_purl(parsed.to_string(), field=field)
    if package is not None:
        return PackageKey(
            ecosystems.base(package.ecosystem),
            ecosystems.normalize_name(package.ecosystem, package.name),
        )
    name = f"{parsed.namespace}/{parsed.name}" if parsed.namespace else parsed.name
    return PackageKey(f"purl:{parsed.type}", name)


def _parse(purl: str, *, field: str) -> PackageURL:
    try:
        return PackageURL.from_string(purl)
    except ValueError as exc:
        raise InvalidInput(
            Message(N_("%(field)s: invalid package URL: %(exc)s"), field=field, exc=exc),
            field=field,
        ) from None


def declared_purl(purl: str, *, field: str) -> str:
    """The canonical form of a declared product's purl; a version, qualifiers or a subpath are
    refused (a product is declared once for all its versions)."""
    parsed = _parse(purl, field=field)
    extra = [
        part
        for part, given in (
            (f"@{parsed.version}", parsed.version),
            ("?qualifiers", parsed.qualifiers),
            ("#subpath", parsed.subpath),
        )
        if given
    ]
    if extra:
        raise InvalidInput(
            Message(
                N_("%(field)s: name the product without %(values)s, e.g. pkg:%(type)s/%(name)s"),
                field=field,
                values=", ".join(extra),
                type=parsed.type,
                name=parsed.name,
            ),
            field=field,
        )
    return PackageURL(type=parsed.type, namespace=parsed.namespace, name=parsed.name).to_string()


def listed(db: Session, org: Organization) -> list[DeclaredProduct]:
    """The organization's declared products, in the order it gave them."""
    query = (
        select(DeclaredProduct)
        .where(DeclaredProduct.organization_id == org.id)
        .order_by(DeclaredProduct.position, DeclaredProduct.id)
    )
    return list(db.scalars(query))


@dataclass(frozen=True)
class Offer:
    """A declared product as a form offers it: its purl, its name and who declared it."""

    purl: str
    name: str
    organization: str  # the declaring organization's name
    slug: str


OFFERS_LIMIT = 2000  # a form's list of declared products, at most


def offers(
    db: Session, *, slugs: Collection[str] | None = None, limit: int = OFFERS_LIMIT
) -> list[Offer]:
    """Declared products for a form to offer beside free text (a ``<datalist>``): those of
    the organizations ``slugs`` (every organization's when None), by organization name and
    in each organization's own order. Declared products are public (the signatory's page)."""
    if slugs is not None and not slugs:
        return []
    query = (
        select(DeclaredProduct.purl, DeclaredProduct.name, Organization.name, Organization.slug)
        .join(Organization, Organization.id == DeclaredProduct.organization_id)
        .order_by(Organization.name, DeclaredProduct.position, DeclaredProduct.id)
        .limit(limit)
    )
    if slugs is not None:
        query = query.where(Organization.slug.in_(list(slugs)))
    return [Offer(*row) for row in db.execute(query)]


def replace(
    db: Session, *, org: Organization, products: Sequence[ProductDeclaration], actor: Actor
) -> list[DeclaredProduct]:
    """Replace the organization's product list (its admins); one audit row with the new list.

    Each purl is checked and keyed; two entries naming the same package are refused, naming
    the second (``products.N.purl``).
    """
    if len(products) > MAX_PRODUCTS:
        raise InvalidInput(
            Message(N_("products: at most %(MAX_PRODUCTS)s products"), MAX_PRODUCTS=MAX_PRODUCTS),
            field="products",
        )
    rows: list[DeclaredProduct] = []
    seen: dict[PackageKey, str] = {}
    for index, item in enumerate(products):
        field = f"products.{index}.purl"
        purl = declared_purl(item.purl, field=field)
        key = key_of(purl, field=field)
        if key in seen:
            raise InvalidInput(
                Message(
                    N_("%(field)s: %(purl)s is the same package as %(seen)s"),
                    field=field,
                    purl=purl,
                    seen=seen[key],
                ),
                field=field,
            )
        seen[key] = purl
        rows.append(
            DeclaredProduct(
                organization_id=org.id,
                name=item.name,
                purl=purl,
                ecosystem=key.ecosystem,
                package=key.package,
                position=index,
            )
        )
    db.execute(delete(DeclaredProduct).where(DeclaredProduct.organization_id == org.id))
    db.add_all(rows)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="org.products",
        target=org.slug,
        organization_id=org.id,
        details={"products": [row.purl for row in rows]},
    )
    return rows
