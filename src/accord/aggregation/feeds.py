"""Reading a provider: where its metadata is, its keys, and the documents its feeds list.

CSAF 2.0 section 7.3.1 says where a provider's metadata is, tried in this order for a domain:
``https://<domain>/.well-known/csaf/provider-metadata.json``, the ``CSAF:`` fields of
``https://<domain>/.well-known/security.txt``, and ``https://csaf.data.security.<domain>``.
A URL given whole is read as it is. The metadata's ``distributions`` list directories (read
through ``changes.csv``, else ``index.txt``) and ROLIE feeds (each entry's ``content.src``,
``updated`` and hash and signature links); only TLP:WHITE/CLEAR ones are read, the public.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import pysequoia

from accord import limits
from accord.advisories import documents
from accord.aggregation.fetching import Fetcher, FetchFailed
from accord.registry import reach_checks

WELL_KNOWN = "/.well-known/csaf/provider-metadata.json"
SECURITY_TXT = "/.well-known/security.txt"
METADATA_LIMIT = 1_048_576
PUBLIC_TLP = ("WHITE", "CLEAR")


@dataclass(frozen=True)
class Listed:
    """One document a feed lists: its URL, when it last changed (if said), and companions."""

    url: str
    changed_at: datetime | None
    sha256_url: str | None
    sha512_url: str | None
    signature_url: str | None


@dataclass(frozen=True)
class Metadata:
    """A provider's metadata as read: where, its parsed content and exact text."""

    url: str
    content: dict[str, Any]
    text: str


def candidates(given: str) -> list[str]:
    """The URLs to try for what a person entered: a metadata URL, or a domain."""
    given = given.strip()
    scheme = "https"
    if given.startswith(("https://", "http://")):
        scheme, _, rest = given.partition("://")
        if rest.strip("/") != rest.split("/", 1)[0]:
            return [given]  # a URL with a path: the metadata itself
        given = rest
    domain = given.strip("/").lower()
    found = [f"{scheme}://{domain}{WELL_KNOWN}", f"{scheme}://{domain}{SECURITY_TXT}"]
    if ":" not in domain:  # the DNS path names a host, not a host and port
        found.append(f"https://csaf.data.security.{domain}")
    return found


def discover(fetcher: Fetcher, given: str) -> Metadata:
    """The provider metadata for ``given``, by the spec's order; :class:`FetchFailed` saying
    what each place answered when none holds valid metadata."""
    tried: list[str] = []
    for url in candidates(given):
        try:
            if url.endswith(SECURITY_TXT):
                body = fetcher.get(url, limit=METADATA_LIMIT) or b""
                for found in _csaf_fields(body):
                    try:
                        return read_metadata(fetcher, found)
                    except FetchFailed as exc:
                        tried.append(exc.message)
                tried.append(f"{url}: no CSAF field")
                continue
            return read_metadata(fetcher, url)
        except FetchFailed as exc:
            tried.append(exc.message)
    raise FetchFailed("no_metadata", "no provider metadata found: " + "; ".join(tried))


def _csaf_fields(body: bytes) -> list[str]:
    text = body.decode("utf-8", "replace")
    found = []
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "csaf" and value.strip().startswith("https://"):
            found.append(value.strip())
    return found


def read_metadata(fetcher: Fetcher, url: str) -> Metadata:
    """The provider metadata at ``url``, valid against the official schema."""
    body = fetcher.get(url, limit=METADATA_LIMIT) or b""
    problem = reach_checks.metadata_problem(body)
    if problem is not None:
        raise FetchFailed("bad_metadata", f"{url}: not valid CSAF provider metadata: {problem}")
    content = json.loads(body)
    return Metadata(url, content, body.decode("utf-8"))


def keys(fetcher: Fetcher, metadata: Metadata) -> list[dict[str, str]]:
    """The provider's public OpenPGP keys, each one whose fingerprint is the one named."""
    found = []
    for entry in metadata.content.get("public_openpgp_keys") or []:
        url = str(entry.get("url", ""))
        body = fetcher.get(url, limit=METADATA_LIMIT) or b""
        try:
            cert = pysequoia.Cert.from_bytes(body)
        except Exception as exc:  # pysequoia raises plain exceptions for malformed keys
            raise FetchFailed("bad_key", f"{url}: not an OpenPGP key ({exc})") from None
        named = str(entry.get("fingerprint", "")).upper()
        if named and cert.fingerprint.upper() != named:
            raise FetchFailed("bad_key", f"{url}: the key is not the one the metadata names")
        found.append({"fingerprint": cert.fingerprint.upper(), "url": url, "armored": str(cert)})
    return found


def listed(
    fetcher: Fetcher,
    metadata: Metadata,
    *,
    most: int,
    broken: list[tuple[str, FetchFailed]] | None = None,
) -> list[Listed]:
    """Every public document the metadata's distributions list, each URL once.

    A feed that cannot be read (a redirect loop, past the size cap, not a feed) is added to
    ``broken`` with why, and the others are read; without ``broken`` it raises. Listing more
    than ``most`` documents in all raises :class:`FetchFailed` ("too_many")."""
    seen: dict[str, Listed] = {}
    for url, read in _feeds(fetcher, metadata):
        try:
            items = read()
        except FetchFailed as exc:
            if broken is None or exc.code == "too_many":
                raise
            broken.append((url, exc))
            continue
        for item in items:
            seen.setdefault(item.url, item)
            _bound(seen, most)
    return list(seen.values())


def _feeds(fetcher: Fetcher, metadata: Metadata) -> list[tuple[str, Callable[[], list[Listed]]]]:
    """Each public feed of the metadata's distributions, and how to read it."""
    found: list[tuple[str, Callable[[], list[Listed]]]] = []
    for distribution in metadata.content.get("distributions") or []:
        directory = distribution.get("directory_url")
        if isinstance(directory, str):
            base = directory.rstrip("/")
            found.append((base, partial(_directory, fetcher, base)))
        for feed in (distribution.get("rolie") or {}).get("feeds") or []:
            label = str(feed.get("tlp_label", "")).upper()
            if label in PUBLIC_TLP:
                url = str(feed.get("url", ""))
                found.append((url, partial(_rolie, fetcher, url)))
    return found


def _bound(seen: dict[str, Listed], most: int) -> None:
    if len(seen) > most:
        raise FetchFailed("too_many", f"the feeds list more than {most} documents")


def _directory(fetcher: Fetcher, base: str) -> list[Listed]:
    changes = fetcher.get(f"{base}/changes.csv", missing_ok=True)
    if changes is not None:
        rows = csv.reader(io.StringIO(changes.decode("utf-8", "replace")))
        found = []
        for row in rows:
            if len(row) < 2 or not row[0].strip():
                continue
            try:
                when = documents.parse_timestamp(row[1].strip(), field="changes.csv")
            except Exception:
                raise FetchFailed(
                    "bad_feed", f"{base}/changes.csv: {row[1]!r} is no time"
                ) from None
            found.append(_beside(f"{base}/{row[0].strip().lstrip('/')}", when))
        return found
    index = fetcher.get(f"{base}/index.txt") or b""
    paths = [line.strip() for line in index.decode("utf-8", "replace").splitlines()]
    return [_beside(f"{base}/{p.lstrip('/')}", None) for p in paths if p]


def _beside(url: str, when: datetime | None) -> Listed:
    return Listed(url, when, f"{url}.sha256", f"{url}.sha512", f"{url}.asc")


def _rolie(fetcher: Fetcher, url: str) -> list[Listed]:
    body = fetcher.get(url) or b""
    try:
        feed = limits.load_json(body, what=url)
        entries = feed["feed"].get("entry") or []
    except (ValueError, KeyError, TypeError, AttributeError, limits.LimitExceeded) as exc:
        raise FetchFailed("bad_feed", f"{url}: not a ROLIE feed ({exc})") from None
    found = []
    for entry in entries:
        src = (entry.get("content") or {}).get("src")
        if not isinstance(src, str):
            continue
        links = entry.get("link") or []
        signatures = [str(k.get("href")) for k in links if k.get("rel") == "signature"]
        hashes = {
            href.rsplit(".", 1)[-1]: href
            for href in (str(k.get("href")) for k in links if k.get("rel") == "hash")
        }
        when = None
        if isinstance(entry.get("updated"), str):
            try:
                when = documents.parse_timestamp(entry["updated"], field="updated")
            except Exception:  # the parser's own error: the feed is refused as a whole
                raise FetchFailed("bad_feed", f"{url}: {entry['updated']!r} is no time") from None
        found.append(
            Listed(
                src,
                when,
                hashes.get("sha256"),
                hashes.get("sha512"),
                signatures[0] if signatures else None,
            )
        )
    return found
