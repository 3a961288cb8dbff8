"""The log over HTTP: JSON API, C2SP tiles, the key, bundles, and the 400s for bad requests."""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from accord.transparency import merkle, note, tiles
from accord.transparency.bundles import verify_bundle
from accord.transparency.envelope import document_digest
from accord.transparency.schemas import LogBundle
from tests.transparency.conftest import Publish


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def _key(client: TestClient) -> note.Verifier:
    body = client.get("/.well-known/accord-log-key").json()
    verifier = note.Verifier.parse(body["verifier_key"])
    assert base64.b64decode(body["public_key"]) == verifier.public_key
    assert body["key_id"] == verifier.key_id.hex()
    assert body["origin"] == verifier.name
    return verifier


def test_an_empty_log_serves_a_signed_checkpoint_of_size_0(
    client: TestClient, publish: Publish
) -> None:
    verifier = _key(client)
    body = client.get("/api/v1/log/checkpoint").json()
    empty = note.open_checkpoint(body["note"], verifier)
    assert (empty.size, empty.root_hash) == (0, hashlib.sha256(b"").digest())  # RFC 9162 2.1.1
    assert (body["tree_size"], body["origin"]) == (0, "testserver/log")
    assert verifier.name == "testserver/log"  # ACCORD_BASE_URL http://testserver
    served = client.get("/log/checkpoint")
    assert served.status_code == 200
    assert served.text == body["note"]  # signed the same each time: nothing is stored
    assert client.get("/log/checkpoint").text == served.text
    page = client.get("/log").text
    assert 'href="/log/checkpoint"' in page
    assert "testserver/log<br>0<br>" in page
    assert client.get("/api/v1/log/proof/inclusion?index=0").status_code == 404
    # The first entry's checkpoint extends it, as a monitor holding it checks.
    publish({"n": 0})
    first = note.open_checkpoint(client.get("/log/checkpoint").text, verifier)
    assert first.size == 1


def test_checkpoint_entries_and_proofs(client: TestClient, publish: Publish) -> None:
    refs = [publish({"n": n}, subject_id=f"org-{n}") for n in range(5)]
    verifier = _key(client)

    body = client.get("/api/v1/log/checkpoint").json()
    checkpoint = note.open_checkpoint(body["note"], verifier)
    assert (checkpoint.size, body["tree_size"]) == (5, 5)
    assert _b64(body["root_hash"]) == merkle.root_of([r.leaf_hash for r in refs])

    text = client.get("/log/checkpoint")
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.text == body["note"]
    assert text.headers["cache-control"] == "no-cache"

    entry = client.get("/api/v1/log/entries/3")
    assert entry.headers["cache-control"].endswith("immutable")
    assert merkle.hash_leaf(_b64(entry.json()["entry"])) == refs[3].leaf_hash
    assert entry.json()["envelope"]["subject"] == "org-3"

    proof = client.get("/api/v1/log/proof/inclusion", params={"index": 3}).json()
    merkle.verify_inclusion(
        3, 5, refs[3].leaf_hash, [_b64(h) for h in proof["hashes"]], checkpoint.root_hash
    )
    by_hash = client.get(
        "/api/v1/log/proof/inclusion",
        params={"leaf_hash": base64.urlsafe_b64encode(refs[3].leaf_hash).decode(), "tree_size": 4},
    ).json()
    assert (by_hash["index"], by_hash["tree_size"]) == (3, 4)

    consistency = client.get("/api/v1/log/proof/consistency?first=2&second=5").json()
    merkle.verify_consistency(
        2,
        5,
        [_b64(h) for h in consistency["hashes"]],
        merkle.root_of([r.leaf_hash for r in refs[:2]]),
        checkpoint.root_hash,
    )

    recent = client.get("/api/v1/log/entries?limit=2").json()
    assert [r["index"] for r in recent] == [4, 3]
    found = client.get(f"/api/v1/log/documents/{document_digest({'n': 1})}").json()
    assert [r["index"] for r in found] == [1]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/log/proof/inclusion?index=5", "index"),  # index past the size
        ("/api/v1/log/proof/inclusion?index=0&tree_size=0", "tree_size"),  # size 0
        ("/api/v1/log/proof/inclusion?index=0&tree_size=6", "tree_size"),  # past the log
        ("/api/v1/log/proof/inclusion?index=abc", "index"),  # non-numeric
        ("/api/v1/log/proof/inclusion?index=-1", "index"),
        ("/api/v1/log/proof/inclusion", "index"),  # neither index nor leaf hash
        ("/api/v1/log/proof/inclusion?leaf_hash=notbase64!", "leaf_hash"),
        ("/api/v1/log/proof/inclusion?leaf_hash=AAAA", "leaf_hash"),  # not 32 bytes
        ("/api/v1/log/proof/consistency?first=3&second=2", "first"),  # first > second
        ("/api/v1/log/proof/consistency?first=0&second=2", "first"),
        ("/api/v1/log/proof/consistency?first=1&second=x", "second"),
        ("/api/v1/log/entries/1e3", "index"),
        ("/api/v1/log/entries?limit=0", "limit"),
        ("/api/v1/log/documents/xyz", "sha256"),
        ("/log/tile/00/000", "level"),
        ("/log/tile/0/1", "path"),
        ("/log/tile/0/000.p/256", "path"),
    ],
)
def test_malformed_requests_are_400_with_the_field(
    client: TestClient, bulk: Callable[[list[bytes]], int], url: str, field: str
) -> None:
    bulk([b"a", b"b", b"c", b"d", b"e"])
    response = client.get(url, headers={"accept": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert response.json()["message"]


def test_missing_things_are_404(client: TestClient, bulk: Callable[[list[bytes]], int]) -> None:
    bulk([b"a", b"b"])
    assert client.get("/api/v1/log/entries/2").status_code == 404
    assert client.get("/api/v1/log/bundle/7").status_code == 404
    hash_b64 = base64.b64encode(merkle.hash_leaf(b"nope")).decode()
    assert (
        client.get("/api/v1/log/proof/inclusion", params={"leaf_hash": hash_b64}).status_code == 404
    )
    assert client.get("/log/tile/0/000.p/3").status_code == 404
    assert client.get("/log/tile/0/000").status_code == 404  # not full yet
    assert client.get("/log/tile/entries/000.p/3").status_code == 404


def test_tiles_and_entry_bundles_follow_c2sp(
    client: TestClient, bulk: Callable[[list[bytes]], int]
) -> None:
    entries = [b"entry %d" % i for i in range(70_000 // 100)]  # 700: 2 full tiles, 1 partial
    bulk(entries)
    leaves = [merkle.hash_leaf(e) for e in entries]
    full = client.get("/log/tile/0/001")
    assert full.headers["content-type"] == "application/octet-stream"
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert full.content == b"".join(leaves[256:512])
    partial = client.get("/log/tile/0/002.p/188")
    assert partial.content == b"".join(leaves[512:700])
    assert client.get("/log/tile/0/000.p/5").content == b"".join(leaves[:5])
    level1 = client.get("/log/tile/1/000.p/2").content
    assert level1 == merkle.root_of(leaves[:256]) + merkle.root_of(leaves[256:512])

    bundle = client.get("/log/tile/entries/002.p/188", headers={"accept-encoding": "gzip"})
    assert bundle.headers["content-encoding"] == "gzip"
    assert tiles.decode_bundle(bundle.content) == entries[512:700]  # httpx un-gzips
    raw = client.get("/log/tile/entries/000", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert tiles.decode_bundle(raw.content) == entries[:256]
    assert gzip.decompress(gzip.compress(raw.content)) == raw.content


def test_bundle_downloads_and_verifies(client: TestClient, publish: Publish) -> None:
    publish({"first": True})
    ref = publish({"accord": "text", "signatory": "Example"})
    response = client.get(f"/api/v1/log/bundle/{ref.index}")
    assert "attachment" in response.headers["content-disposition"]
    bundle = LogBundle.model_validate_json(response.text)
    assert bundle.document == {"accord": "text", "signatory": "Example"}
    verified = verify_bundle(bundle, verifier=_key(client))
    assert (verified.index, verified.checkpoint.size) == (1, 2)


def test_openapi_documents_every_log_route(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in [
        "/api/v1/log/checkpoint",
        "/api/v1/log/entries/{index}",
        "/api/v1/log/proof/inclusion",
        "/api/v1/log/proof/consistency",
        "/api/v1/log/bundle/{index}",
        "/.well-known/accord-log-key",
        "/log/tile/{level}/{path}",
        "/log/tile/entries/{path}",
        "/log/checkpoint",
    ]:
        operation = paths[path]["get"]
        assert operation["description"] or operation["summary"], path
    inclusion = paths["/api/v1/log/proof/inclusion"]["get"]
    assert "400" in inclusion["responses"]
