"""The hub as a CSAF 2.0 provider: metadata, ROLIE feeds, directories, hashes, visibility.

Checked against the OASIS provider-metadata and CSAF schemas, the structure of the ROLIE feed
example OASIS publishes, and the PyPI ``csaf`` validator's mandatory tests.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import csaf_provider, exports
from accord.advisories.models import Advisory
from accord.config import Settings
from accord.identity.models import TokenScope
from tests.advisories.conftest import import_path
from tests.advisories.formats.support import (
    CSAF_DIR,
    csaf_schema_errors,
    findings,
    provider_schema_validator,
    run_csaf_validator,
    sample,
    unavoidable,
    withdrawn_paths,
)
from tests.advisories.test_exports import published
from tests.advisories.test_routes import publisher
from tests.factories import Factories

BASE = "http://testserver/.well-known/csaf"
EXAMPLES = CSAF_DIR / "examples"


def provider_schema_errors(metadata: dict[str, Any]) -> list[str]:
    errors = provider_schema_validator().iter_errors(metadata)
    return [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def shape(value: Any) -> Any:
    """The keys of every object, recursively (lists by their first item): a structure."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def relative(url: str) -> str:
    assert url.startswith("http://testserver/")
    return url.removeprefix("http://testserver")


def test_provider_metadata_validates_and_points_at_the_public_feed(
    client: TestClient, make: Factories
) -> None:
    slug, headers = publisher(make)
    published(client, slug, headers)
    metadata = client.get("/.well-known/csaf/provider-metadata.json").json()
    assert provider_schema_errors(metadata) == []
    assert metadata["canonical_url"] == f"{BASE}/provider-metadata.json"
    (distribution,) = metadata["distributions"]
    assert distribution["directory_url"] == f"{BASE}/white/"
    assert [f["tlp_label"] for f in distribution["rolie"]["feeds"]] == ["WHITE"]
    assert client.get(relative(distribution["rolie"]["feeds"][0]["url"])).status_code == 200
    assert provider_schema_errors(json.loads(_example("provider-metadata"))) == []


def test_real_records_are_served_passing_every_test_their_data_allows(
    session_factory: sessionmaker[Session], settings: Settings, db: Session, tmp_path: Path
) -> None:
    # 40 records spread over the PyPA database and every withdrawn one, as imported; served
    # by a hub whose public address is https, as CSAF's canonical URLs must be.
    source = tmp_path / "records"
    source.mkdir()
    for path in {*sample(40), *withdrawn_paths()}:
        (source / path.name).write_text(path.read_text())
    report = import_path(session_factory, source)
    assert report.rejections == []
    hub = settings.model_copy(update={"base_url": "https://hub.example"})
    served = tmp_path / "served"
    served.mkdir()
    metas = {}
    for advisory in db.scalars(select(Advisory)):
        versions = exports.published_versions(advisory)
        found = exports.csaf_export(advisory, hub)
        (served / found.filename).write_text(found.text)
        metas[found.filename] = (
            json.loads(versions[-1].document),
            exports.meta_for(advisory, versions, hub),
        )
        own = json.loads(found.text)["document"]["references"][0]
        assert own["url"] == "https://hub.example" + csaf_provider.document_path(advisory)
    db.rollback()
    reports = run_csaf_validator(served, preset="full")
    assert len(reports) == report.total >= 50
    for name, text in reports.items():
        assert findings(text) <= unavoidable(*metas[name]), text


def _example(folder: str) -> str:
    return next((EXAMPLES / folder).glob("*.json")).read_text()


def test_every_public_document_is_served_valid_with_true_hashes(
    client: TestClient, make: Factories, tmp_path: Path
) -> None:
    slug, headers = publisher(make)
    ids = [published(client, slug, headers, summary=f"Issue {n}")["id"] for n in range(3)]
    feed = client.get("/.well-known/csaf/feed-tlp-white.json").json()
    example = json.loads((EXAMPLES / "ROLIE" / "example-01-feed-tlp-white.json").read_text())
    assert shape(feed).keys() == shape(example).keys()
    assert shape(feed)["feed"].keys() == shape(example)["feed"].keys()
    assert shape(feed)["feed"]["entry"] == shape(example)["feed"]["entry"]
    entries = feed["feed"]["entry"]
    assert sorted(e["id"] for e in entries) == sorted(ids)
    for entry in entries:
        links = {(link["rel"], link["href"]) for link in entry["link"]}
        url = entry["content"]["src"]
        assert ("self", url) in links
        body = client.get(relative(url))
        assert body.status_code == 200
        document = body.json()
        assert csaf_schema_errors(document) == []
        assert document["document"]["tracking"]["id"] == entry["id"]
        year = document["document"]["tracking"]["initial_release_date"][:4]
        assert url.endswith(f"/white/{year}/{url.rsplit('/', 1)[1]}")
        # Its canonical URL (test 6.2.11) is where the provider serves it.
        own = [r["url"] for r in document["document"]["references"] if r["category"] == "self"]
        assert own[0] == url
        for algorithm in ("sha256", "sha512"):
            assert ("hash", f"{url}.{algorithm}") in links
            line = client.get(relative(f"{url}.{algorithm}")).text
            digest, name = line.split()
            assert digest == hashlib.new(algorithm, body.content).hexdigest()
            assert name == url.rsplit("/", 1)[1]
        (tmp_path / url.rsplit("/", 1)[1]).write_bytes(body.content)
    reports = run_csaf_validator(tmp_path)
    assert len(reports) == 3
    assert all("Overall: PASS" in r for r in reports.values()), reports


def test_index_and_changes_list_paths_newest_first(client: TestClient, make: Factories) -> None:
    slug, headers = publisher(make)
    first = published(client, slug, headers, summary="First")["id"]
    second = published(client, slug, headers, summary="Second")["id"]
    # Republishing the first makes it the latest change.
    client.patch(f"/api/v1/advisories/{first}", json={"summary": "First, again"}, headers=headers)
    assert client.post(f"/api/v1/advisories/{first}/publish", headers=headers).status_code == 200

    index = client.get("/.well-known/csaf/white/index.txt")
    assert index.headers["content-type"].startswith("text/plain")
    paths = index.text.splitlines()
    assert len(paths) == 2
    changes = client.get("/.well-known/csaf/white/changes.csv")
    rows = list(csv.reader(io.StringIO(changes.text)))
    assert [r[0] for r in rows] == paths
    times = [datetime.fromisoformat(r[1]) for r in rows]
    assert times == sorted(times, reverse=True)
    for (path, when), osv_id in zip(rows, (first, second), strict=True):
        document = client.get(f"/.well-known/csaf/white/{path}").json()
        assert document["document"]["tracking"]["id"] == osv_id
        tracking = document["document"]["tracking"]
        assert tracking["current_release_date"] == when
        assert path == f"{tracking['initial_release_date'][:4]}/{osv_id.lower()}.json"


def test_restricted_advisories_stay_out_of_public_feeds(
    client: TestClient, make: Factories
) -> None:
    slug, headers = publisher(make)
    public = published(client, slug, headers)["id"]
    green = published(client, slug, headers, tlp="GREEN")["id"]
    amber = published(client, slug, headers, tlp="AMBER")["id"]
    everything = client.get("/.well-known/csaf/white/index.txt").text
    feed = client.get("/.well-known/csaf/feed-tlp-white.json").text
    for hidden in (green, amber):
        assert hidden.lower() not in everything
        assert hidden not in feed
    assert public.lower() in everything
    # The other labels answer strangers nothing, and each reader only what they may read.
    assert client.get("/.well-known/csaf/amber/index.txt").text == ""
    assert client.get("/.well-known/csaf/feed-tlp-green.json").json()["feed"]["entry"] == []
    signed_in = make.bearer(make.user(), TokenScope.READ)
    green_index = client.get("/.well-known/csaf/green/index.txt", headers=signed_in).text
    assert green.lower() in green_index
    assert client.get("/.well-known/csaf/amber/index.txt", headers=signed_in).text == ""
    amber_path = client.get("/.well-known/csaf/amber/index.txt", headers=headers).text.strip()
    assert amber.lower() in amber_path
    assert client.get(f"/.well-known/csaf/amber/{amber_path}").status_code == 404
    member_copy = client.get(f"/.well-known/csaf/amber/{amber_path}", headers=headers)
    assert member_copy.status_code == 200
    assert csaf_schema_errors(member_copy.json()) == []
    # A restricted document is never reachable under the public label.
    assert client.get(f"/.well-known/csaf/white/{amber_path}", headers=headers).status_code == 404


def test_bad_paths_answer_json_errors(client: TestClient, make: Factories) -> None:
    slug, headers = publisher(make)
    path = client.get("/.well-known/csaf/white/index.txt").text
    assert path == ""
    published(client, slug, headers)
    path = client.get("/.well-known/csaf/white/index.txt").text.strip()
    for bad in (
        "/.well-known/csaf/purple/index.txt",
        f"/.well-known/csaf/white/{path}.md5",
        f"/.well-known/csaf/white/1999/{path.split('/')[1]}",
        "/.well-known/csaf/white/2024/nothing.json",
    ):
        response = client.get(bad)
        assert response.status_code == 404, bad
        assert response.json()["field"] in ("label", "filename"), bad


def test_security_txt_line_names_the_provider_metadata(client: TestClient, make: Factories) -> None:
    slug = make.org("Acme")
    answer = client.get(f"/api/v1/csaf/security-txt/{slug}").json()
    assert answer["line"] == f"CSAF: {BASE}/provider-metadata.json"
    assert answer["https"] is False  # the test hub runs on http; security.txt wants https
    assert client.get("/api/v1/csaf/security-txt/nobody").status_code == 404
