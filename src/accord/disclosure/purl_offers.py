"""What a vendor's answer form offers for its package URL (a ``<datalist>`` beside the field):
the packages the case already names (the report's purl, those of the answers given), then the
vendor's declared products. A purl typed by hand stays possible, as the last resort."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from accord.registry.products import Offer


@dataclass(frozen=True)
class PurlOffer:
    """One purl a form offers: the product it names, and who declared it (None: named in the
    case, by the report or an answer)."""

    purl: str
    name: str
    declared_by: str | None = None


def purl_offers(
    *, named: Iterable[tuple[str | None, str]], declared: Iterable[Offer] = ()
) -> list[PurlOffer]:
    """The offers of a form, each purl once: ``named`` (purl, product) pairs the case holds,
    in order, then the vendor's ``declared`` products; a pair without a purl is left out."""
    seen: set[str] = set()
    found: list[PurlOffer] = []
    for purl, product in named:
        if purl and purl not in seen:
            seen.add(purl)
            found.append(PurlOffer(purl=purl, name=product))
    for offer in declared:
        if offer.purl not in seen:
            seen.add(offer.purl)
            found.append(
                PurlOffer(purl=offer.purl, name=offer.name, declared_by=offer.organization)
            )
    return found
