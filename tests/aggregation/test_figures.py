"""Progress from the real world: advisories a signatory released on its own CSAF provider,
read by the hub's aggregator, count in its figures for the period they were released in, and
not in another; the figure is recomputed here from the stored CSAF documents."""

from __future__ import annotations

import html
import json
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import periods
from accord.aggregation import passes, services
from accord.aggregation.models import CsafDocument, CsafProvider
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import Organization
from accord.identity.policy import SYSTEM
from tests.aggregation.conftest import EXAMPLES
from tests.aggregation.provider import Provider
from tests.factories import Factories
from tests.registry.servers import StaticServer


def _released(name: str, when: datetime) -> bytes:
    """An official example whose single revision is dated ``when``."""
    content: dict[str, Any] = json.loads((EXAMPLES / name).read_bytes())
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    tracking = content["document"]["tracking"]
    tracking["initial_release_date"] = tracking["current_release_date"] = stamp
    for revision in tracking["revision_history"]:
        revision["date"] = stamp
    return json.dumps(content).encode()


def _recount(db: Session, org_id: int, period: periods.Period) -> list[str]:
    """The tracking ids the figure should count, read from the kept documents themselves."""
    found = []
    query = (
        select(CsafDocument)
        .join(CsafProvider, CsafProvider.id == CsafDocument.provider_id)
        .where(CsafProvider.organization_id == org_id)
    )
    for kept in db.scalars(query):
        released = json.loads(kept.document)["document"]["tracking"]["initial_release_date"]
        at = datetime.fromisoformat(released.replace("Z", "+00:00"))
        if period.contains(at) and kept.fetched_at < period.end:
            found.append(kept.tracking_id)
    return sorted(found)


def test_advisories_on_the_signatory_s_own_provider_count_in_their_period(
    client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    db: Session,
    local_settings: Settings,
    https_server: StaticServer,
) -> None:
    now = utcnow()
    year = periods.parse(str(now.year))
    inside = year.start + (now - year.start) / 2
    provider = Provider(https_server)
    provider.publish("2026/rhsa.json", _released("rhsa-2021_5217.json", inside))
    # Released the year before: outside the period.
    before = year.start - timedelta(days=3)
    provider.publish("2026/bsi.json", _released("bsi-2022-0001.json", before))
    slug = make.org("Provider Corp")
    with unit_of_work(session_factory) as write:
        org_id = write.scalars(select(Organization.id).where(Organization.slug == slug)).one()
        registered = services.register(
            write, actor=SYSTEM, settings=local_settings, given=provider.metadata_url,
            organization_id=org_id,
        )  # fmt: skip
        provider_id = registered.id
    summary = passes.run(session_factory, provider_id=provider_id, settings=local_settings)
    assert summary.stored == 2, summary

    expected = _recount(db, org_id, year)
    assert expected == ["RHSA-2021:5217"]
    assert _recount(db, org_id, periods.parse(str(now.year - 1))) == []  # read after its end
    db.rollback()

    answer = client.get(f"/api/v1/accountability/signatories/{slug}/figures?period={year.key}")
    assert answer.status_code == 200, answer.text
    shown = answer.json()["figures"]
    assert shown["advisories_on_provider"]["value"] == len(expected)
    assert shown["advisories_on_provider"]["records"] == ["advisory:RHSA-2021:5217"]
    # Not published on the hub by the signatory: not counted twice.
    assert shown["advisories_published"]["value"] == 0
    assert shown["advisories_everywhere"]["value"] == 1
    # The year before: released then, but read by the hub only after that year had ended.
    earlier = client.get(
        f"/api/v1/accountability/signatories/{slug}/figures?period={now.year - 1}"
    ).json()["figures"]
    assert earlier["advisories_on_provider"]["value"] == 0

    definitions = {d["id"]: d for d in client.get("/api/v1/accountability/definitions").json()}
    assert definitions["advisories_on_provider"]["sources"] == [
        "the CSAF documents the hub's aggregator read from the signatory's own CSAF provider"
    ]
    assert len(definitions["advisories_everywhere"]["sources"]) == 2
    methods = html.unescape(client.get("/accountability/methods").text)
    assert "Advisories on its own CSAF provider" in methods
    assert "aggregator read from the signatory's own CSAF provider" in methods
