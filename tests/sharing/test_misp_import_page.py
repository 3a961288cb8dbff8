"""The MISP import page: a file and a collection from a list; what was stored, or each item's
problem beside the form with nothing stored. Bad input of each kind the issue names: an event
of 100,000 attributes, malformed address ranges, values a known taxonomy does not define."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.identity.models import MemberRole
from accord.sharing import misp, misp_pages
from accord.web.app import create_app
from tests.factories import Factories, csrf_of, sign_in
from tests.sharing.conftest import SharingWorld, make_collection
from tests.sharing.test_misp import _count, _import, load

PATH = "/sharing/import"
RANGES = ["10.0.0.0/33", "1.2.3.4-1.2.3.9", "fe80::/200", "10.0.0.300/8"]
TAGS = ["pap:PURPLE", 'admiralty-scale:source-reliability="z"']


@pytest.fixture(scope="module")
def roomy_app(settings: Settings, engine: Engine) -> FastAPI:
    """A hub whose operators allow request bodies of 16 MiB (ACCORD_MAX_REQUEST_BYTES)."""
    return create_app(settings.model_copy(update={"max_request_bytes": 16 << 20}), engine=engine)


@pytest.fixture
def roomy(roomy_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(roomy_app, base_url="http://testserver") as c:
        yield c


def _upload(
    client: TestClient, collection: str, document: Any, *, name: str = "event.json"
) -> tuple[int, str]:
    form = client.get(PATH)
    assert form.status_code == 200, form.text
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    answer = client.post(
        PATH,
        data={"csrf_token": csrf_of(form.text), "collection": collection},
        files={"file": (name, body, "application/json")},
    )
    return answer.status_code, unescape(answer.text)


def _problems(html: str) -> list[str]:
    block = re.search(r'<div class="error" id="file-error">(.*?)</div>', html, re.S)
    assert block, "no problems beside the file field"
    return [re.sub(r"\s+", " ", p).strip() for p in re.findall(r"<li>(.*?)</li>", block.group(1))]


def test_an_event_is_imported_into_a_collection_chosen_from_a_list(
    client: TestClient,
    world: SharingWorld,
    make: Factories,
    session_factory: sessionmaker[Session],
) -> None:
    other = make_collection(session_factory, world.slugs["community"], title="Not mine")
    make.session(client, world.people["producer"])
    form = client.get(PATH).text
    assert f'value="{world.collection}"' in form
    assert f'value="{other}"' not in form  # the producer may not write there
    status, html = _upload(client, world.collection, load("existing_event.json"))
    assert status == 200, html
    assert "Imported event" in html
    assert re.search(r"<dt>Attributes</dt><dd>\d+</dd>", html)
    assert _count(session_factory) > 0
    # Listed from the sharing page.
    assert f'href="{PATH}"' in client.get("/sharing").text


def test_bad_items_are_listed_beside_the_form_and_nothing_is_stored(
    client: TestClient,
    world: SharingWorld,
    make: Factories,
    session_factory: sessionmaker[Session],
) -> None:
    make.session(client, world.people["producer"])
    event = load("existing_event.json")
    event["Attribute"][1] = {**event["Attribute"][1], "type": "ip-dst", "value": "999.1.1.1"}
    event["Attribute"][3] = {**event["Attribute"][3], "Tag": [{"name": "tlp:purple"}]}
    status, html = _upload(client, world.collection, event)
    assert status == 422
    problems = _problems(html)
    assert "attribute 2 (ip-dst): '999.1.1.1' is not a valid ip-dst" in problems
    assert any(p.startswith("attribute 4:") and "purple" in p for p in problems)
    assert len(problems) == 2
    assert f'<option value="{world.collection}" selected' in html  # the choice is kept
    assert _count(session_factory) == 0


def test_malformed_ranges_are_named_one_by_one(
    client: TestClient,
    world: SharingWorld,
    make: Factories,
    session_factory: sessionmaker[Session],
) -> None:
    event = {
        "info": "Ranges",
        "Attribute": [
            {"type": "ip-dst", "value": "192.0.2.0/24"},  # a good one, not stored either
            *({"type": "ip-src", "value": value} for value in RANGES),
        ],
    }
    with pytest.raises(misp.MispInvalid) as caught:
        _import(session_factory, world.collection, event)
    expected = [f"attribute {i} (ip-src): '{v}' is not a valid ip-src" for i, v in
                enumerate(RANGES, start=2)]  # fmt: skip
    assert caught.value.problems == expected
    make.session(client, world.people["producer"])
    status, html = _upload(client, world.collection, event)
    assert status == 422
    assert _problems(html) == expected
    assert _count(session_factory) == 0
    # A range alone is imported: MISP's ip-src and ip-dst hold CIDR ranges.
    event["Attribute"] = event["Attribute"][:1]
    assert _upload(client, world.collection, event)[0] == 200
    assert _count(session_factory) > 0


def test_values_a_known_taxonomy_does_not_define_are_errors(
    client: TestClient,
    world: SharingWorld,
    make: Factories,
    session_factory: sessionmaker[Session],
) -> None:
    event = {
        "info": "Tags",
        "Attribute": [
            {"type": "domain", "value": f"d{i}.example", "Tag": [{"name": tag}]}
            for i, tag in enumerate(TAGS)
        ],
    }
    make.session(client, world.people["producer"])
    status, html = _upload(client, world.collection, event)
    assert status == 422
    problems = _problems(html)
    assert len(problems) == 2
    assert problems[0].startswith("attribute 1: tag 'pap:PURPLE': the PAP taxonomy has no")
    assert problems[1].startswith("attribute 2: tag 'admiralty-scale:source-reliability=\"z\"'")
    assert _count(session_factory) == 0
    # A namespace no taxonomy has is a free label, as MISP keeps it.
    # A namespace no taxonomy has is a free label, as MISP keeps it, and named beside the result.
    event["Attribute"] = [{"type": "domain", "value": "ok.example",
                           "Tag": [{"name": 'acme:risk="high"'}]}]  # fmt: skip
    status, html = _upload(client, world.collection, event)
    assert status == 200, html
    assert "1 tag is of a taxonomy this hub does not know" in html
    notices = re.search(r'<ul id="import-notices">(.*?)</ul>', html, re.S)
    assert notices, html
    assert re.findall(r"<li>(.*?)</li>", notices.group(1)) == [
        "attribute 1: tag 'acme:risk=\"high\"' is of a taxonomy this hub does not know "
        "('acme'); it was kept as a free label"
    ]


def test_an_event_of_100000_attributes_is_refused_whole_from_the_page(
    roomy: TestClient,
    world: SharingWorld,
    make: Factories,
    session_factory: sessionmaker[Session],
) -> None:
    event = {
        "info": "Too big",
        "Attribute": [
            {"type": "ip-dst", "value": f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}"}
            for i in range(100_000)
        ],
    }
    make.session(roomy, world.people["producer"])
    status, html = _upload(roomy, world.collection, event)
    assert status == 422
    [problem] = _problems(html)
    assert problem.startswith("the event has 100,000 attributes; at most 50,000")
    assert _count(session_factory) == 0


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"{not json", "the file is not JSON"),
        (b'{"Event": []}', "the file holds no MISP event"),
        (b"[" * 100 + b"]" * 100, "nested"),
    ],
)
def test_files_that_are_not_events_are_refused_beside_the_field(
    client: TestClient,
    world: SharingWorld,
    make: Factories,
    session_factory: sessionmaker[Session],
    body: bytes,
    said: str,
) -> None:
    make.session(client, world.people["producer"])
    status, html = _upload(client, world.collection, body)
    assert status == 422
    assert said in " ".join(_problems(html))
    assert _count(session_factory) == 0


def test_a_collection_the_member_may_not_write_is_refused_beside_it(
    client: TestClient,
    world: SharingWorld,
    make: Factories,
    session_factory: sessionmaker[Session],
) -> None:
    make.session(client, world.people["community"])
    own = make_collection(session_factory, world.slugs["community"], title="Own")
    assert f'value="{own}"' in client.get(PATH).text
    status, html = _upload(client, world.collection, load("existing_event.json"))
    assert status == 422
    assert 'id="collection-error"' in html
    status, html = _upload(client, str(uuid.uuid4()), load("existing_event.json"))
    assert status == 422
    assert 'id="collection-error"' in html


def test_a_file_over_the_hubs_body_limit_reaches_the_page(
    client: TestClient, world: SharingWorld, make: Factories
) -> None:
    """The page takes more than ACCORD_MAX_REQUEST_BYTES (1 MiB here): a 2 MiB event goes in,
    and a file just over the page's own limit is named beside the field, in Spanish."""
    make.session(client, world.people["producer"])
    padded = json.dumps(load("shadow.json")).encode() + b" " * (2 << 20)
    status, html = _upload(client, world.collection, padded)
    assert status == 200, html[:2000]
    assert "Imported event" in html
    client.cookies.set("accord_lang", "es")
    over = b" " * (misp_pages.MAX_FILE_BYTES + 1)
    status, html = _upload(client, world.collection, over)
    assert status == 422, html[:2000]
    assert _problems(html) == [
        "el archivo es más grande de lo que admite esta página: divida el evento o impórtelo "
        "con accord sharing import-misp en el servidor"
    ]


def test_a_form_over_the_limit_answers_a_page_in_the_viewers_language(
    client: TestClient, world: SharingWorld, make: Factories
) -> None:
    make.session(client, world.people["producer"])
    form = client.get(PATH)
    big = b"x" * (misp_pages.MAX_BODY_BYTES + 1)
    answer = client.post(
        PATH,
        data={"csrf_token": csrf_of(form.text), "collection": world.collection},
        files={"file": ("event.json", big, "application/json")},
        headers={"Accept-Language": "ja"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert '<html lang="ja">' in answer.text
    assert "フォームが大きすぎます" in answer.text
    assert "16.1 MiB" in answer.text  # the file's 16 MiB and the form around it
    assert f'href="{PATH}"' in answer.text
    # Another page's form keeps the hub's limit (1 MiB), and says so in words too.
    answer = client.post(
        "/account", data={"csrf_token": "x", "note": "y" * (2 << 20)},
        headers={"Accept-Language": "es"},
    )  # fmt: skip
    assert answer.status_code == 413
    assert "El formulario es demasiado grande" in answer.text
    assert "1.0 MiB" in answer.text
    # Programs still get JSON.
    answer = client.post("/api/v1/anything", content=b"{}" + b" " * (2 << 20),
                         headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 413
    assert answer.json()["error"] == "too_large"


def test_with_no_collection_to_write_to_the_page_says_the_way_on(
    client: TestClient, make: Factories
) -> None:
    org = make.org("Lonely Org")
    make.member(admin := make.user("lonely-admin"), org, MemberRole.ADMIN)
    make.member(member := make.user("lonely-member"), org, MemberRole.MEMBER)
    sign_in(client, admin)
    page = client.get(PATH).text
    assert "There is no collection you may write to." in page
    # An admin is offered the page that creates one, rather than a dead end.
    assert 'href="/sharing/collections/new"' in page
    other = TestClient(client.app)
    sign_in(other, member)
    page = other.get(PATH).text
    assert 'href="/sharing/collections/new"' not in page
    assert "An admin of your organization may create one" in page
