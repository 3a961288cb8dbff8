"""The hub as a CSAF trusted provider: OpenPGP signatures, its public key, ROLIE documents.

Signatures are checked by Debian's GnuPG (``gpg --verify``) and by the PyPI ``csaf``
validator's signature check (``csaf relate sign``), with only the key the provider metadata
names; the ROLIE service and category documents against the OASIS examples' structure and
the provider-metadata schema that links them.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.advisories import openpgp
from accord.config import Settings
from accord.errors import ConfigError
from accord.identity.models import TokenScope
from tests.advisories.formats.support import csaf_cli
from tests.advisories.test_csaf_provider import (
    EXAMPLES,
    provider_schema_errors,
    relative,
    shape,
)
from tests.advisories.test_exports import published
from tests.advisories.test_routes import create, publisher
from tests.factories import Factories, sign_in


def gpg(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", *args],
        capture_output=True,
        text=True,
        errors="replace",  # status lines carry raw notation bytes
        timeout=60,
        check=False,
    )


def fetch_key(client: TestClient, folder: Path) -> tuple[str, Path]:
    """The key the provider metadata names, fetched from its URL: (fingerprint, file)."""
    metadata = client.get("/.well-known/csaf/provider-metadata.json").json()
    (listed,) = metadata["public_openpgp_keys"]
    response = client.get(relative(listed["url"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/pgp-keys")
    path = folder / "hub-key.asc"
    path.write_bytes(response.content)
    return listed["fingerprint"], path


def test_every_document_is_signed_and_gpg_verifies_it(
    client: TestClient, make: Factories, tmp_path: Path
) -> None:
    slug, headers = publisher(make)
    for n in range(2):
        published(client, slug, headers, summary=f"Signed {n}")
    fingerprint, key = fetch_key(client, tmp_path)
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    imported = gpg(home, "--import", str(key))
    assert imported.returncode == 0, imported.stderr
    listing = gpg(home, "--with-colons", "--fingerprint").stdout
    assert f"fpr:::::::::{fingerprint}:" in listing

    feed = client.get("/.well-known/csaf/feed-tlp-white.json").json()
    assert len(feed["feed"]["entry"]) == 2
    for entry in feed["feed"]["entry"]:
        url = entry["content"]["src"]
        links = {(link["rel"], link["href"]) for link in entry["link"]}
        assert ("signature", f"{url}.asc") in links
        name = url.rsplit("/", 1)[1]
        document = tmp_path / name
        document.write_bytes(client.get(relative(url)).content)
        signature = client.get(relative(f"{url}.asc"))
        assert signature.headers["content-type"].startswith("application/pgp-signature")
        assert signature.text.startswith("-----BEGIN PGP SIGNATURE-----")
        (tmp_path / f"{name}.asc").write_bytes(signature.content)

        verified = gpg(home, "--status-fd", "1", "--verify", f"{document}.asc", str(document))
        assert verified.returncode == 0, verified.stderr
        assert "VALIDSIG " in verified.stdout
        assert fingerprint in verified.stdout

        # One changed byte and the signature no longer holds.
        tampered = tmp_path / f"tampered-{name}"
        text = document.read_bytes()
        tampered.write_bytes(text.replace(b'"csaf_version"', b'"csaf_versioN"', 1))
        assert tampered.read_bytes() != text
        bad = gpg(home, "--status-fd", "1", "--verify", f"{document}.asc", str(tampered))
        assert bad.returncode != 0
        assert "BADSIG" in bad.stdout


def test_the_csaf_validator_checks_the_signature(
    client: TestClient, make: Factories, tmp_path: Path
) -> None:
    slug, headers = publisher(make)
    published(client, slug, headers)
    _, key = fetch_key(client, tmp_path)
    path = client.get("/.well-known/csaf/white/index.txt").text.strip()
    document = tmp_path / path.rsplit("/", 1)[1]
    document.write_bytes(client.get(f"/.well-known/csaf/white/{path}").content)
    Path(f"{document}.asc").write_bytes(client.get(f"/.well-known/csaf/white/{path}.asc").content)

    def check(target: Path) -> subprocess.CompletedProcess[str]:
        command = [csaf_cli(), "relate", "sign", str(target), "--sig", f"{document}.asc"]
        return subprocess.run(
            [*command, "--key", str(key), "-v"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    good = check(document)
    assert good.returncode == 0, good.stdout + good.stderr
    tampered = tmp_path / "tampered.json"
    tampered.write_text(document.read_text().replace("Acme", "Acne"))
    assert tampered.read_text() != document.read_text()
    assert check(tampered).returncode != 0


def test_the_key_is_made_once_private_and_kept(settings: Settings) -> None:
    first = openpgp.public_key(settings)
    path = openpgp.key_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "PRIVATE KEY" in path.read_text()
    assert openpgp.public_key(settings) == first
    assert "PRIVATE" not in first.armored
    assert len(first.fingerprint) == 40
    assert first.fingerprint == first.fingerprint.upper()


def test_a_key_file_open_to_others_is_refused(tmp_path: Path, settings: Settings) -> None:
    own = settings.model_copy(update={"data_dir": tmp_path})
    openpgp.public_key(own)
    openpgp.key_path(own).chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        openpgp.sign(own, "text")


def test_a_key_file_broken_under_a_running_hub_is_a_500_that_names_nothing(
    client: TestClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # The message names a file of the data directory: the log's business, not the caller's.
    openpgp.public_key(settings)
    path = openpgp.key_path(settings)
    path.chmod(0o644)
    try:
        response = client.get("/.well-known/csaf/provider-metadata.json")
    finally:
        path.chmod(0o600)
    assert response.status_code == 500
    assert response.json() == {"error": "internal", "message": "internal error; it has been logged"}
    assert str(settings.data_dir) not in response.text
    assert "chmod 600" in caplog.text
    assert client.get("/.well-known/csaf/provider-metadata.json").status_code == 200


def test_only_the_hubs_key_is_served(client: TestClient) -> None:
    for name in ("0000000000000000000000000000000000000000.asc", "index.txt"):
        response = client.get(f"/.well-known/csaf/openpgp/{name}")
        assert response.status_code == 404
        assert response.json()["field"] == "filename"


def test_provider_metadata_lists_key_service_and_categories(
    client: TestClient, make: Factories
) -> None:
    slug, headers = publisher(make)
    published(client, slug, headers)
    metadata = client.get("/.well-known/csaf/provider-metadata.json").json()
    assert provider_schema_errors(metadata) == []
    assert metadata["role"] == "csaf_trusted_provider"
    (distribution,) = metadata["distributions"]
    rolie = distribution["rolie"]
    for url in (*rolie["services"], *rolie["categories"]):
        assert client.get(relative(url)).status_code == 200, url


def _example(name: str) -> Any:
    return json.loads((EXAMPLES / "ROLIE" / name).read_text())


def test_service_document_lists_every_feed_as_oasis_shows(client: TestClient) -> None:
    service = client.get("/.well-known/csaf/service.json").json()
    example = _example("example-02-service.json")
    assert shape(service) == shape(example)
    workspaces = service["service"]["workspace"]
    feeds = [c["href"] for w in workspaces for c in w["collection"]]
    assert [relative(f) for f in feeds] == [
        f"/.well-known/csaf/feed-tlp-{label}.json" for label in ("white", "green", "amber", "red")
    ]
    for feed in feeds:
        assert client.get(relative(feed)).json()["feed"]["link"][1] == {
            "rel": "service",
            "href": "http://testserver/.well-known/csaf/service.json",
        }
    for workspace in workspaces:
        for collection in workspace["collection"]:
            assert {
                "scheme": "urn:ietf:params:rolie:category:information-type",
                "term": "csaf",
            } in collection["categories"]["category"]


def test_category_document_names_the_readable_vendors_and_products(
    client: TestClient, make: Factories
) -> None:
    slug, headers = publisher(make)
    affected = [{"package": {"ecosystem": "npm", "name": "left-pad"}, "versions": ["1.0.0"]}]
    published(client, slug, headers)
    published(client, slug, headers, affected=affected, tlp="AMBER")
    example = _example("example-01-category.json")
    white = client.get("/.well-known/csaf/category-tlp-white.json").json()
    assert shape(white).keys() == shape(example).keys()
    terms = {c["term"] for c in white["categories"]["category"]}
    document = client.get(
        "/.well-known/csaf/white/" + client.get("/.well-known/csaf/white/index.txt").text.strip()
    ).json()
    tree = document["product_tree"]["branches"]
    vendors = {b["name"] for b in tree if b["category"] == "vendor"}
    products = {p["name"] for b in tree for p in b["branches"] if p["category"] == "product_name"}
    assert vendors
    assert products
    assert terms == {"csaf", *vendors, *products}
    # A restricted package is named only to those who may read its advisory.
    amber = "/.well-known/csaf/category-tlp-amber.json"
    assert "left-pad" not in client.get(amber).text
    assert "left-pad" in client.get(amber, headers=headers).text
    assert client.get("/.well-known/csaf/category-tlp-purple.json").status_code == 404


def test_advisory_page_links_the_signature_of_what_it_offers(
    client: TestClient, make: Factories
) -> None:
    slug = make.org("Acme")
    author = make.user()
    make.member(author, slug)
    headers = make.bearer(author, TokenScope.WRITE)
    osv_id = published(client, slug, headers)["id"]
    page = client.get(f"/advisories/{osv_id}").text
    links = re.findall(r'href="(/\.well-known/csaf/white/[^"]+)"', page)
    document, *companions = links
    assert companions == [f"{document}.asc", f"{document}.sha256", f"{document}.sha512"]
    for link in links:
        assert client.get(link).status_code == 200, link
    # The signed document is the one the CSAF download gives.
    download = client.get(f"/api/v1/advisories/{osv_id}/formats/csaf").content
    assert client.get(document).content == download
    draft = create(client, slug, headers)["id"]
    sign_in(client, author)
    draft_page = client.get(f"/advisories/{draft}")
    assert draft_page.status_code == 200
    assert "Publish the draft" in draft_page.text
    assert ".asc" not in draft_page.text
