"""What the authorization matrix needs for the aggregator's routes: a provider registered by
the organization under test, mirrored, with no document yet."""

from __future__ import annotations

import json

from accord.aggregation.models import CsafProvider
from accord.db import unit_of_work
from accord.identity.services import get_org
from tests.authz import World
from tests.factories import Factories

PLACEHOLDERS = ("{provider_id}", "{provider}")


def prepare(make: Factories, world: World) -> None:
    """Store a provider of the organization and name it in the world's values."""
    metadata = {
        "publisher": {"category": "vendor", "name": "Matrix", "namespace": "https://m.example"},
        "role": "csaf_provider",
        "canonical_url": "https://m.example/provider-metadata.json",
    }
    with unit_of_work(make.factory) as db:
        org = get_org(db, world.values["slug"])
        provider = CsafProvider(
            organization_id=org.id,
            metadata_url=f"https://m.example/{org.slug}/provider-metadata.json",
            mode="aggregated",
            name="Matrix",
            slug=f"matrix-{org.slug}",
            keys=[],
            provider_metadata=json.dumps(metadata),
        )
        db.add(provider)
        db.flush()
        world.values.update(provider_id=provider.id, provider=provider.slug, year="2024",
                            document="none.json")  # fmt: skip
