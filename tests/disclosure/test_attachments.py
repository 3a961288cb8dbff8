"""Attachments that a browser could take for a page are refused, however they are dressed."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from accord.disclosure import attachments
from accord.errors import InvalidInput
from tests.disclosure.world import REPORT, World
from tests.factories import Factories

DISGUISED = [
    b"\xef\xbb\xbf<html><script>alert(1)</script>",  # a UTF-8 byte-order mark
    b"   <script>alert(1)</script>",
    b"\t\r\n\x0c<iframe src=x>",
    b"\xef\xbb\xbf \n<!DOCTYPE HTML><p>hi",
    b"<!doctypehtml><p>hi",
    b"<HtMl><body onload=alert(1)>",
    b"\n<svg/onload=alert(1)>",
    b"<?XML version='1.0'?><x/>",
    b"<!-- a comment --><b>bold</b>",
    b"<BODY>",
    b"<a href=x>link</a>",
    b"\xc2\xa0\xe2\x80\x8b<script>",  # a no-break space and a zero-width space
]


@pytest.mark.parametrize("data", DISGUISED)
@pytest.mark.parametrize("kind", ["text/plain", "application/json"])
def test_markup_is_refused_after_boms_and_white_space(data: bytes, kind: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        attachments.check("poc.txt", kind, data, index=0)
    assert caught.value.field == "attachments.0"


@pytest.mark.parametrize(
    "data",
    [
        "\ufeff<html>".encode("utf-16-le"),
        "\ufeff  <script>".encode("utf-16-be"),
        b"\xef\xbb\xbf\t<svg>",
    ],
)
def test_the_sniff_reads_utf16_and_utf8_byte_order_marks(data: bytes) -> None:
    assert attachments.starts_like_markup(data)


@pytest.mark.parametrize(
    "data",
    [
        b"hello <script>alert(1)</script>",  # markup later in a text is only text
        b"<brian> wrote this",
        b"<ab>",
        b'{"poc": "<html>"}',
        b"\xef\xbb\xbfplain text with a byte-order mark",
    ],
)
def test_text_that_does_not_open_with_markup_is_kept(data: bytes) -> None:
    assert attachments.check("poc.txt", "text/plain", data, index=0).data == data


def test_a_report_with_a_disguised_page_names_the_attachment(
    client: TestClient, make: Factories
) -> None:
    World.build(make)
    files = [
        {
            "filename": "poc.txt",
            "content_type": "text/plain",
            "data_base64": base64.b64encode(b"\xef\xbb\xbf  <HTML><script>x</script>").decode(),
        }
    ]
    r = client.post("/api/v1/disclosure/reports", json={**REPORT, "attachments": files})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "attachments.0"
