"""Every publication answers its place in the log at once: an advisory version, a signature
(approval), a departure and a pledge's text each answer the index of their entry and where
its inclusion proof is fetched. Before the cadence signs, the proof route answers "not yet
signed" (its own code, Retry-After); after, the proof verifies against the signed checkpoint.
The index is kept with the published thing, so later reads show it too.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import MemberRole, TokenScope
from accord.transparency import merkle, services, store
from accord.transparency.envelope import Envelope
from accord.web.app import create_app
from tests.advisories.test_routes import DRAFT
from tests.campaigns.authz import PLEDGE_BODY
from tests.factories import Factories
from tests.registry.helpers import application_body


@pytest.fixture
def cadence(own_log: Settings) -> Settings:
    """The hub's settings with a long interval: nothing is signed unless the test signs."""
    return own_log.model_copy(update={"log_checkpoint_seconds": 3600.0})


def _published(client: TestClient, make: Factories) -> tuple[dict[str, dict[str, Any]], str]:
    """Publish one of each kind over the API: the answers' parts that name the entries, by
    entry type, and the advisory's id."""
    make.user("oper", operator=True)
    operator = make.bearer(make.user("oper2", operator=True))
    slug = make.org("Acme")
    admin = make.user()
    make.member(admin, slug, MemberRole.ADMIN)
    writer = make.bearer(admin, TokenScope.ADMIN)

    draft = client.post(f"/api/v1/advisories/orgs/{slug}", json=DRAFT, headers=writer)
    assert draft.status_code == 201, draft.text
    advisory = client.post(f"/api/v1/advisories/{draft.json()['id']}/publish", headers=writer)
    assert advisory.status_code == 200, advisory.text

    applied = client.post("/api/v1/applications", json=application_body())
    assert applied.status_code == 201, applied.text
    approval = client.post(
        f"/api/v1/applications/{applied.json()['id']}/approve", json={}, headers=operator
    )
    assert approval.status_code == 200, approval.text

    left = client.post(f"/api/v1/orgs/{slug}/leave", json={"confirm": slug}, headers=writer)
    assert left.status_code == 201, left.text

    pledge = client.post("/api/v1/pledges", json=PLEDGE_BODY, headers=operator)
    assert pledge.status_code == 201, pledge.text
    places = {
        "advisory.version": advisory.json()["versions"][-1],
        "registry.signature": approval.json()["signature"],
        "registry.departure": left.json(),
        "campaigns.pledge": pledge.json()["current"],
    }
    return places, draft.json()["id"]


def test_each_publication_answers_its_index_then_its_proof(
    cadence: Settings, engine: Engine, session_factory: sessionmaker[Session], make: Factories
) -> None:
    with TestClient(create_app(cadence, engine=engine)) as client:
        places, advisory_id = _published(client, make)
        indexes = [place["log_index"] for place in places.values()]
        assert sorted(indexes) == indexes
        assert len(set(indexes)) == len(indexes)
        with unit_of_work(session_factory) as db:
            for entry_type, place in places.items():
                # The entry at that index is this publication's (its record comes at signing).
                entry = store.read_entry(db, place["log_index"])
                assert entry is not None
                assert Envelope.from_entry(entry).type == entry_type
                assert place["log_proof"] == (
                    f"/api/v1/log/proof/inclusion?index={place['log_index']}"
                )
        # Nothing signed yet: the proof route says so, apart from "no such entry".
        early = client.get(places["registry.departure"]["log_proof"])
        assert early.status_code == 404
        assert early.json()["error"] == "not_yet_signed"
        assert "next signed checkpoint" in early.json()["message"]
        assert early.headers["retry-after"] == "1"
        beyond = client.get("/api/v1/log/proof/inclusion", params={"index": max(indexes) + 9})
        assert beyond.json()["error"] != "not_yet_signed"

        due = cadence.model_copy(update={"log_checkpoint_seconds": 0.0})
        assert services.sign_if_due(session_factory, settings=due)
        checkpoint = client.get("/api/v1/log/checkpoint").json()
        root = base64.b64decode(checkpoint["root_hash"])
        for entry_type, place in places.items():
            proof = client.get(place["log_proof"])
            assert proof.status_code == 200, proof.text
            body = proof.json()
            assert body["index"] == place["log_index"]
            assert body["tree_size"] == checkpoint["tree_size"]
            with unit_of_work(session_factory) as db:
                record = services.record_at(db, place["log_index"])
                assert record is not None
                assert record.entry_type == entry_type
            merkle.verify_inclusion(
                body["index"],
                body["tree_size"],
                base64.b64decode(body["leaf_hash"]),
                [base64.b64decode(h) for h in body["hashes"]],
                root,
            )

        # Kept with the published thing: later reads answer the same index.
        again = client.get(f"/api/v1/advisories/{advisory_id}").json()["versions"][-1]
        assert again["log_index"] == places["advisory.version"]["log_index"]
        pledge = client.get(f"/api/v1/pledges/{PLEDGE_BODY['slug']}").json()
        assert pledge["versions"][0]["log_index"] == places["campaigns.pledge"]["log_index"]
        # And the pages that show them link the entry and its proof, in the reader's language.
        index = places["campaigns.pledge"]["log_index"]
        page = client.get(f"/pledges/{PLEDGE_BODY['slug']}", headers={"Accept-Language": "es"})
        assert f'<a href="/log/entries/{index}">Entrada {index} del registro' in page.text
        assert f"/api/v1/log/proof/inclusion?index={index}" in page.text
        departed = places["registry.departure"]["log_index"]
        profile = client.get("/signatories/acme", headers={"Accept-Language": "ja"})
        assert f"透明性ログのエントリ {departed}" in profile.text
        advisory_page = client.get(f"/advisories/{advisory_id}").text
        assert f'/log/entries/{places["advisory.version"]["log_index"]}"' in advisory_page


def test_an_endorsement_and_its_withdrawal_answer_their_indexes_in_headers(
    cadence: Settings, engine: Engine, session_factory: sessionmaker[Session], make: Factories
) -> None:
    """Endorsing and withdrawing answer 204 without a body, as before: their entries' indexes
    come in ``Accord-Log-Index`` and the proofs' routes in ``Link``; the pledge's endorsers
    answer the endorsement's index later too."""
    with TestClient(create_app(cadence, engine=engine)) as client:
        operator = make.bearer(make.user("oper", operator=True))
        slug = make.org("Acme")
        admin = make.user()
        make.member(admin, slug, MemberRole.ADMIN)
        writer = make.bearer(admin, TokenScope.ADMIN)
        assert client.post("/api/v1/pledges", json=PLEDGE_BODY, headers=operator).is_success
        route = f"/api/v1/orgs/{slug}/pledges/{PLEDGE_BODY['slug']}"

        endorsed = client.put(route, headers=writer)
        assert endorsed.status_code == 204, endorsed.text
        endorsed_at = int(endorsed.headers["Accord-Log-Index"])
        listed = client.get(f"/api/v1/pledges/{PLEDGE_BODY['slug']}").json()["endorsers"]
        assert [e["log_index"] for e in listed] == [endorsed_at]
        withdrawn = client.delete(route, headers=writer)
        assert withdrawn.status_code == 204, withdrawn.text
        withdrawn_at = int(withdrawn.headers["Accord-Log-Index"])
        assert withdrawn_at > endorsed_at

        links = {}
        with unit_of_work(session_factory) as db:
            for index, answer, event in (
                (endorsed_at, endorsed, "endorsed"),
                (withdrawn_at, withdrawn, "withdrawn"),
            ):
                entry = store.read_entry(db, index)
                assert entry is not None
                envelope = Envelope.from_entry(entry)
                assert envelope.type == "campaigns.endorsement"
                assert envelope.document is not None
                assert envelope.document["event"] == event
                link = answer.headers["Link"]
                assert link == (
                    f'</api/v1/log/proof/inclusion?index={index}>; rel="urn:accord:rel:log-proof"'
                )
                links[index] = link[1 : link.index(">")]
        assert client.get(links[endorsed_at]).json()["error"] == "not_yet_signed"

        due = cadence.model_copy(update={"log_checkpoint_seconds": 0.0})
        assert services.sign_if_due(session_factory, settings=due)
        root = base64.b64decode(client.get("/api/v1/log/checkpoint").json()["root_hash"])
        for index, proof_route in links.items():
            body = client.get(proof_route).json()
            assert body["index"] == index
            merkle.verify_inclusion(
                body["index"],
                body["tree_size"],
                base64.b64decode(body["leaf_hash"]),
                [base64.b64decode(h) for h in body["hashes"]],
                root,
            )
