"""Report attachments: checked on the way in, and served only as downloads.

A file's declared type must be on a short list and its first bytes must agree with it (a PNG
starts with the PNG signature, and so on), so an HTML page cannot arrive dressed as an image.
On the way out every file is ``application/octet-stream`` with ``Content-Disposition:
attachment`` and ``nosniff``, plus a sandboxing CSP: no browser renders it as a page of the hub.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import quote

from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.disclosure.models import Attachment, DisclosureCase
from accord.errors import InvalidInput, NotFound, PayloadTooLarge

MAX_FILES = 5
MAX_BYTES = 256 * 1024  # per file: the whole request is capped by ACCORD_MAX_REQUEST_BYTES


def _text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    head = data[:512].lstrip().lower()
    return not head.startswith((b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml"))


ALLOWED: dict[str, Callable[[bytes], bool]] = {
    "text/plain": _text,
    "application/json": _text,
    "application/pdf": lambda d: d.startswith(b"%PDF-"),
    "image/png": lambda d: d.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda d: d.startswith(b"\xff\xd8\xff"),
    "application/zip": lambda d: d.startswith((b"PK\x03\x04", b"PK\x05\x06")),
    "application/gzip": lambda d: d.startswith(b"\x1f\x8b"),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_filename(name: str) -> str:
    """A file name without paths, control characters or anything a header could misread."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKC", base)
    cleaned = _UNSAFE.sub("_", base).strip(" .")[:150]
    return cleaned or "attachment"


def check(filename: str, content_type: str, data: bytes, *, index: int) -> Attachment:
    """An attachment row for a file, or :class:`InvalidInput` / :class:`PayloadTooLarge`."""
    field = f"attachments.{index}"
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in ALLOWED:
        allowed = ", ".join(sorted(ALLOWED))
        raise InvalidInput(f"{field}: type {kind or '(none)'} is not one of {allowed}", field=field)
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"{field}: files are limited to {MAX_BYTES} bytes", field=field)
    if not data:
        raise InvalidInput(f"{field}: the file is empty", field=field)
    if not ALLOWED[kind](data):
        raise InvalidInput(f"{field}: the content is not {kind}", field=field)
    return Attachment(
        filename=safe_filename(filename),
        content_type=kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def get(db: Session, *, case: DisclosureCase, attachment_id: int) -> Attachment:
    """One of the case's attachments (the caller has checked the reader's standing)."""
    found = db.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case.id)
    )
    if found is None:
        raise NotFound(f"no attachment {attachment_id} in this case", field="attachment_id")
    return found


def download(attachment: Attachment) -> Response:
    """The file as a download that no browser renders inline."""
    name = attachment.filename
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        attachment.data,
        media_type="application/octet-stream",
        headers={
            "content-disposition": disposition,
            "x-content-type-options": "nosniff",
            "content-security-policy": "default-src 'none'; sandbox",
            "x-accord-content-type": attachment.content_type,
            "x-accord-sha256": attachment.sha256,
        },
    )
