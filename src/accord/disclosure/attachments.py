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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.disclosure import cases, history, notices
from accord.disclosure.models import OPEN_STATUSES, Attachment, DisclosureCase
from accord.errors import Conflict, InvalidInput, Message, NotFound, PayloadTooLarge
from accord.web.i18n import N_

MAX_FILES = 5  # per report, counting the files added after sending
MAX_BYTES = 256 * 1024  # per file: the whole request is capped by ACCORD_MAX_REQUEST_BYTES


# What a browser sniffing an unknown type takes for markup (WHATWG MIME Sniffing, 7.1,
# "rules for identifying an unknown MIME type"), plus SVG, MathML and other tags that load or
# run something. Each tag name must end at white space, ">" or "/" ("<br>" is markup,
# "<brian" is not).
_MARKUP_TAGS = (
    "html", "head", "script", "iframe", "h1", "div", "font", "table", "a", "style", "title",
    "b", "body", "br", "p", "svg", "object", "embed", "math", "meta", "link", "base", "form",
    "img", "frameset", "template",
)  # fmt: skip
# A doctype, a comment or an XML declaration, whatever follows.
_MARKUP_OPENINGS = ("<!doctype", "<!--", "<?xml")
_BOMS = {b"\xef\xbb\xbf": "utf-8", b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
_SKIPPED = "\ufeff\u200b\x00"  # byte-order marks, zero-width spaces and NULs


def starts_like_markup(data: bytes) -> bool:
    """Whether a browser could take the file for a page: after any byte-order mark and leading
    white space (ASCII or not), it opens with an HTML tag, a comment, SVG or XML, in any case.
    """
    head = data[:1024]
    encoding = "utf-8"
    for bom, name in _BOMS.items():
        if head.startswith(bom):
            head, encoding = head[len(bom) :], name
            break
    text = head.decode(encoding, errors="replace")
    while text and (text[0].isspace() or text[0] in _SKIPPED):
        text = text.lstrip().lstrip(_SKIPPED)
    lowered = text.lower()
    if lowered.startswith(_MARKUP_OPENINGS):
        return True
    for tag in _MARKUP_TAGS:
        opening = "<" + tag
        if lowered.startswith(opening):
            after = lowered[len(opening) : len(opening) + 1]
            if after == "" or after.isspace() or after in ">/":
                return True
    return False


def _text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not starts_like_markup(data)


ALLOWED: dict[str, Callable[[bytes], bool]] = {
    "text/plain": _text,
    "application/json": _text,
    "application/pdf": lambda d: d.startswith(b"%PDF-"),
    "image/png": lambda d: d.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda d: d.startswith(b"\xff\xd8\xff"),
    "application/zip": lambda d: d.startswith((b"PK\x03\x04", b"PK\x05\x06")),
    "application/gzip": lambda d: d.startswith(b"\x1f\x8b"),
}
# What the forms call each kind a reporter may attach (a person knows "PDF", not
# "application/pdf"), and the file names the file picker offers for them.
NAMES: dict[str, str] = {
    "text/plain": N_("plain text"),
    "application/json": "JSON",
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "application/zip": "ZIP",
    "application/gzip": "gzip",
}
PICKER = ",".join(
    [".txt", ".log", ".json", ".pdf", ".png", ".jpg", ".jpeg", ".zip", ".gz", *ALLOWED]
)
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
        raise InvalidInput(
            Message(
                N_("%(field)s: type %(value)s is not one of %(allowed)s"),
                field=field,
                value=kind or "(none)",
                allowed=allowed,
            ),
            field=field,
        )
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(
            Message(
                N_("%(field)s: files are limited to %(MAX_BYTES)s bytes"),
                field=field,
                MAX_BYTES=MAX_BYTES,
            ),
            field=field,
        )
    if not data:
        raise InvalidInput(Message(N_("%(field)s: the file is empty"), field=field), field=field)
    if not ALLOWED[kind](data):
        raise InvalidInput(
            Message(N_("%(field)s: the content is not %(kind)s"), field=field, kind=kind),
            field=field,
        )
    return Attachment(
        filename=safe_filename(filename),
        content_type=kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


@dataclass(frozen=True)
class Upload:
    """A file as it arrived (from JSON or a form)."""

    filename: str
    content_type: str
    data: bytes


def checked(uploads: Sequence[Upload], *, room: int = MAX_FILES) -> list[Attachment]:
    """Rows for ``uploads``, each checked; at most ``room`` of them."""
    if len(uploads) > room:
        raise InvalidInput(
            Message(
                N_("attachments: at most %(MAX_FILES)s files per report (%(room)s more now)"),
                MAX_FILES=MAX_FILES,
                room=room,
            ),
            field="attachments",
        )
    return [check(u.filename, u.content_type, u.data, index=i) for i, u in enumerate(uploads)]


def room_left(db: Session, *, case: DisclosureCase) -> int:
    """How many more files the report may carry."""
    count = db.scalar(select(func.count()).where(Attachment.case_id == case.id)) or 0
    return max(0, MAX_FILES - count)


def add_later(
    db: Session, *, settings: Settings, case: DisclosureCase, uploads: Sequence[Upload]
) -> list[Attachment]:
    """Files the reporter adds after sending, under the report's own rules (types, sizes, at
    most ``MAX_FILES`` in all), while the report is open; logged and told to the case."""
    # Locked first, as every post is: two uploads at once must not both find room.
    locked = cases.find(db, case.public_id, for_update=True)
    assert locked is not None  # the link's case: it was just read in this transaction
    case = locked
    if case.status not in OPEN_STATUSES:
        raise Conflict(
            Message(N_("the report is %(status)s: no more files"), status=case.status),
            field="attachments",
        )
    if not uploads:
        raise InvalidInput(N_("attachments: choose a file"), field="attachments")
    files = checked(uploads, room=room_left(db, case=case))
    for file in files:
        file.case_id = case.id
        db.add(file)
    db.flush()
    history.record(
        db,
        settings=settings,
        case=case,
        kind="attachment_added",
        actor_label="reporter",
        summary=f"The reporter added {len(files)} file(s)",
        details={"attachments": [f.sha256 for f in files]},
    )
    notices.to_case(db, settings=settings, case=case, kind="attachment", what=N_("A new file"))
    return files


def get(db: Session, *, case: DisclosureCase, attachment_id: int) -> Attachment:
    """One of the case's attachments (the caller has checked the reader's standing)."""
    found = db.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case.id)
    )
    if found is None:
        raise NotFound(
            Message(
                N_("no attachment %(attachment_id)s in this case"), attachment_id=attachment_id
            ),
            field="attachment_id",
        )
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
