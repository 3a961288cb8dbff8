"""The OSV-compatible API at the root path: ``/v1/query``, ``/v1/querybatch``, ``/v1/vulns/{id}``.

Requests, responses, page tokens and errors have OSV.dev's shapes, so an OSV client works by
changing its base URL: errors are ``{"code": <gRPC code>, "message": ...}`` with HTTP 400
(code 3, INVALID_ARGUMENT) or 404 (code 5, NOT_FOUND), plus ``field`` naming the culprit.
Beyond OSV.dev: ``/v1/querybatch?full=true`` answers full records instead of ids, and
records under TLP other than CLEAR are answered to the callers the policy allows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import bindparam, select

from accord import prepared
from accord.advisories import ecosystems, querying, validation
from accord.advisories.ecosystems import UnknownEcosystem
from accord.advisories.kept_answers import KeptAnswers
from accord.advisories.models import Advisory
from accord.advisories.osv import Vulnerability
from accord.advisories.visibility import can_read
from accord.errors import AccordError, InvalidInput
from accord.identity.policy import Action, Actor
from accord.prepared import Reading
from accord.web.admission import reads
from accord.web.deps import Caller, Reader, deferred_guard, guard, record_use, use_due
from accord.web.direct_routes import DirectRoute
from accord.web.loop_reads import on_loop

MAX_BATCH = 1000
# The queries' caller is looked up in their worker thread, with their reads: a guard with a
# request-scoped session cost the loop a generator dependency for every query, anonymous
# ones included (the common case), which read nothing to be let in.
Querying = Annotated[Caller, deferred_guard(Action.PUBLIC_READ, record_use=False)]
_M = TypeVar("_M", bound=BaseModel)
# The queries' handler calls their guard and route directly (accord.web.direct_routes).
router = APIRouter(prefix="/v1", tags=["OSV API"], route_class=DirectRoute)


class OsvError(AccordError):
    """An error as OSV.dev answers it (gRPC status code and message), plus the field.

    Its message stays English whatever the client's Accept-Language (``english``): OSV
    clients are programs written against OSV.dev, which answers in English, and some match
    on its text ("Invalid query.", "Bug not found."); a person reads these on no page.
    """

    english = True

    def __init__(self, message: str, *, field: str | None, status: int = 400, code: int = 3):
        super().__init__(message, field=field)
        self.status_code = status
        self.grpc_code = code

    def to_dict(self) -> dict[str, Any]:
        """OSV.dev's error body, with the field added."""
        body: dict[str, Any] = {"code": self.grpc_code, "message": str(self.message)}
        if self.field is not None:
            body["field"] = self.field
        return body


class PackageIn(BaseModel):
    """A package by ``ecosystem`` and ``name``, or by ``purl``."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=500)
    ecosystem: str | None = Field(default=None, max_length=500)
    purl: str | None = Field(default=None, max_length=1000)


class QueryIn(BaseModel):
    """One query: a package and version, a package alone, or a commit."""

    model_config = ConfigDict(extra="forbid")
    commit: str | None = Field(default=None, max_length=64)
    version: str | None = Field(default=None, max_length=500)
    package: PackageIn | None = None
    page_token: str | None = Field(default=None, max_length=500)


class BatchIn(BaseModel):
    """Up to 1,000 queries."""

    model_config = ConfigDict(extra="forbid")
    queries: list[QueryIn]


class VulnerabilityList(BaseModel):
    """Matching records; ``next_page_token`` when more than 1,000 matched."""

    vulns: list[Vulnerability] = []
    next_page_token: str | None = None


class BatchList(BaseModel):
    """One result per query, in order (ids and ``modified`` unless ``full=true``)."""

    results: list[VulnerabilityList]


def _body(model: type[BaseModel]) -> dict[str, Any]:
    # The body is parsed by hand (OSV.dev answers 400, FastAPI would answer 422), so its
    # schema is declared here for the OpenAPI description.
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _parse(model: type[_M], body: bytes) -> _M:
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        error = exc.errors()[0]
        field = validation.json_path(error["loc"]) if error["loc"] else "body"
        raise OsvError(f"{field}: {error['msg']}", field=field) from None


def to_query(raw: QueryIn, *, at: str = "") -> querying.Query:
    """Check one wire query as OSV.dev does and normalize it; 400 naming the field if wrong."""
    package = raw.package or PackageIn()
    name, ecosystem, version = package.name, package.ecosystem, raw.version
    if raw.commit is not None:
        if raw.version is not None:
            raise OsvError("commit and version cannot both be set", field=f"{at}version")
        if not raw.commit or any(c not in "0123456789abcdefABCDEF" for c in raw.commit):
            raise OsvError("Invalid hash.", field=f"{at}commit")
    if package.purl:
        name, ecosystem, version = _from_purl(package, version, at=at)
        if name is None:
            return querying.Query()  # OSV.dev answers an unknown purl type with no results
    elif name and not ecosystem:
        raise OsvError(
            "package.ecosystem is required with package.name", field=f"{at}package.ecosystem"
        )
    if ecosystem:
        try:
            ecosystems.check(ecosystem, field=f"{at}package.ecosystem")
        except UnknownEcosystem as exc:
            raise OsvError(f"Invalid ecosystem. {exc.message}", field=exc.field) from None
    if not (raw.commit or (name and ecosystem)):
        field = f"{at}package" if raw.package else (at.rstrip(".") or "query")
        raise OsvError("Invalid query.", field=field)
    query = querying.Query(
        ecosystem=ecosystem,
        name=ecosystems.normalize_name(ecosystem, name) if name and ecosystem else None,
        version=version,
        commit=raw.commit,
    )
    if raw.page_token:
        try:
            offset = querying.read_page_token(raw.page_token, query)
        except querying.InvalidPageToken:
            where = f" at index: {at[8:-2]}" if at else ""
            raise OsvError(f"Invalid page token{where}.", field=f"{at}page_token") from None
        query = querying.Query(query.ecosystem, query.name, query.version, query.commit, offset)
    return query


def _from_purl(
    package: PackageIn, version: str | None, *, at: str
) -> tuple[str | None, str | None, str | None]:
    if package.name:
        raise OsvError("name specified in a PURL query", field=f"{at}package.name")
    if package.ecosystem:
        raise OsvError("ecosystem specified in a PURL query", field=f"{at}package.ecosystem")
    try:
        found = ecosystems.from_purl(package.purl or "", field=f"{at}package.purl")
    except InvalidInput as exc:
        raise OsvError(exc.message, field=exc.field) from None
    if found is None:
        return None, None, version
    if found.version and version:
        raise OsvError("version specified in params and PURL query", field=f"{at}version")
    return found.name, found.ecosystem, found.version or version


_DOCUMENTS = select(Advisory.id, Advisory.document).where(
    Advisory.id.in_(bindparam("ids", expanding=True))
)


def documents(
    db: prepared.Reads, ids: set[int], kept: KeptAnswers | None = None, version: int = 0
) -> dict[int, bytes]:
    """The current OSV JSON of each advisory row id (those that have one), UTF-8; kept ones
    at ``version`` with ``kept``, and those read are kept."""
    found, missing = kept.documents(version, sorted(ids)) if kept else ({}, sorted(ids))
    if missing:
        prepared.leave_loop(db)  # on the event loop only what is kept is answered
    read: dict[int, bytes] = {}
    for start in range(0, len(missing), 500):
        rows = prepared.rows(db, _DOCUMENTS, {"ids": missing[start : start + 500]})
        read.update((row_id, doc.encode()) for row_id, doc in rows if doc is not None)
    if kept is not None and read:
        kept.keep_documents(version, read)
    return found | read


def _list_json(result: querying.Result, full: bool, docs: dict[int, bytes]) -> bytes:
    if full:
        return _splice(result, docs)
    return json.dumps(_ids(result), separators=(",", ":")).encode()


def _ids(result: querying.Result) -> dict[str, Any]:
    # OSV.dev leaves out empty fields: no match is answered {}.
    body: dict[str, Any] = {}
    if result.matches:
        body["vulns"] = [{"id": m.osv_id, "modified": m.modified} for m in result.matches]
    if result.next_page_token:
        body["next_page_token"] = result.next_page_token
    return body


def _splice(result: querying.Result, docs: dict[int, bytes]) -> bytes:
    # Stored records are already JSON: they are spliced in, never parsed and re-serialized.
    items = [docs[m.advisory_id] for m in result.matches if m.advisory_id in docs]
    parts = [b'"vulns":[' + b",".join(items) + b"]"] if items else []
    if result.next_page_token:
        parts.append(b'"next_page_token":' + json.dumps(result.next_page_token).encode())
    return b"{" + b",".join(parts) + b"}"


def answer(
    db: prepared.Reads,
    queries: Sequence[querying.Query],
    *,
    actor: Actor,
    full: bool,
    batch: bool,
    kept: KeptAnswers | None = None,
) -> bytes:
    """The JSON body answering ``queries`` (one query, or a batch), read in ``db``'s one
    transaction; with ``kept``, what it keeps at the query version is used (the version is
    read first, before anything else of the answer)."""
    version = kept.version(db) if kept is not None else 0
    results = querying.run(db, queries, actor=actor, kept=kept, version=version)
    wanted = {m.advisory_id for r in results for m in r.matches} if full else set()
    docs = documents(db, wanted, kept, version)
    if not batch:
        return _list_json(results[0], full, docs)
    if not full:
        body = {"results": [_ids(r) for r in results]}
        return json.dumps(body, separators=(",", ":")).encode()
    return b'{"results":[' + b",".join(_splice(r, docs) for r in results) + b"]}"


def kept_answers(state: Any) -> KeptAnswers:
    """The app's kept answers, made at the first query (``Settings.osv_answer_cache_bytes``)."""
    found: KeptAnswers | None = getattr(state, "osv_answers", None)
    if found is None:
        found = state.osv_answers = KeptAnswers(state.settings.osv_answer_cache_bytes)
    return found


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


@router.post(
    "/query",
    response_model=VulnerabilityList,
    openapi_extra=_body(QueryIn),
    summary="Vulnerabilities of a package version, a package, or a commit",
)
@reads
async def query(request: Request, caller: Querying) -> Response:
    """As OSV.dev's ``POST /v1/query``: full records, 1,000 per page (``next_page_token``)."""
    parsed = _checked(await request.body())
    # On SQLite an answer kept whole is answered on the event loop (``web.loop_reads``): its
    # reads are the caller's kept rows and the query version, point reads. A batch, up to
    # 1,000 answers spliced, always takes the thread.
    body = on_loop(request.app.state, lambda db: _answer_in(db, caller, [parsed], True, False))
    if body is None:
        body = await run_in_threadpool(_answer_to, caller, [parsed], full=True, batch=False)
    elif use_due(request):
        await run_in_threadpool(record_use, request, request.app.state.sessionmaker)
    return _json(body)


# Bodies of ``/v1/query`` already checked: a client asks the same query again and again,
# and its check (pydantic's parse, the ecosystem's rules) is a function of the bytes alone.
# Only queries that passed are kept (a wrong one is refused again each time); bounded.
_CHECKED: dict[bytes, querying.Query] = {}
_CHECKED_ENTRIES = 1024
_CHECKED_LENGTH = 512


def _checked(body: bytes) -> querying.Query:
    found = _CHECKED.get(body)
    if found is None:
        found = to_query(_parse(QueryIn, body))
        if len(body) <= _CHECKED_LENGTH:
            if len(_CHECKED) >= _CHECKED_ENTRIES:
                _CHECKED.clear()
            _CHECKED[body] = found
    return found


def _answer_to(
    caller: Caller,
    queries: Sequence[querying.Query],
    *,
    full: bool,
    batch: bool,
) -> bytes:
    """:func:`answer` for the caller, authenticated and authorized first (in this thread).

    In one bare read transaction (``prepared.Reading``): the caller's token (none for an
    anonymous caller) and every statement of the answer run through ``accord.prepared``.
    """
    state = caller.request.app.state
    with Reading(state.engine, state.access_cache, state.read_connections) as db:
        body = _answer_in(db, caller, queries, full, batch)
    # A token's use is marked once a minute, in a transaction of its own (reads stay reads).
    record_use(caller.request, state.sessionmaker)
    # The loop's own connection, made here where a connect may wait (once a process).
    state.read_connections.prepare_loop()
    return body


def _answer_in(
    db: prepared.Reads, caller: Caller, queries: Sequence[querying.Query], full: bool, batch: bool
) -> bytes:
    actor = caller.actor(db)
    kept = kept_answers(caller.request.app.state)
    return answer(db, queries, actor=actor, full=full, batch=batch, kept=kept)


@router.post(
    "/querybatch",
    response_model=BatchList,
    openapi_extra=_body(BatchIn),
    summary="Up to 1,000 queries at once",
)
@reads
async def querybatch(
    request: Request,
    caller: Querying,
    full: Annotated[bool, Query(description="Answer full records instead of ids.")] = False,
) -> Response:
    """As OSV.dev's ``POST /v1/querybatch``: at most 1,000 queries (else 400), each answered
    with ``id`` and ``modified`` of its matches, 1,000 per page; ``?full=true`` answers the
    full records instead."""
    batch = _parse(BatchIn, await request.body())
    if len(batch.queries) > MAX_BATCH:
        raise OsvError(
            f"Too many queries. At most {MAX_BATCH} queries per batch; "
            f"{len(batch.queries)} were sent.",
            field="queries",
        )
    parsed = [to_query(q, at=f"queries[{i}].") for i, q in enumerate(batch.queries)]
    body = await run_in_threadpool(_answer_to, caller, parsed, full=full, batch=True)
    return _json(body)


@router.get("/vulns/{vuln_id}", response_model=Vulnerability, summary="One record by id")
def vuln(
    vuln_id: str, factory: Reader, actor: Annotated[Actor, guard(Action.PUBLIC_READ)]
) -> Response:
    """The current published record (withdrawn ones included, with ``withdrawn`` set)."""
    with factory() as db:
        row = db.execute(
            select(
                Advisory.document, Advisory.status, Advisory.tlp, Advisory.organization_id
            ).where(Advisory.osv_id == vuln_id)
        ).first()
    if (
        row is None
        or row.document is None
        or not can_read(actor, status=row.status, tlp=row.tlp, organization_id=row.organization_id)
    ):
        # Also for a record the caller may not read: its existence is not theirs to learn.
        raise OsvError("Bug not found.", field="id", status=404, code=5)
    return Response(content=row.document, media_type="application/json")
