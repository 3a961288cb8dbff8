"""Start the three servers the TAXII benchmark compares, each with the same indicators.

- the hub (``accord``), one uvicorn worker, SQLite in a fresh data directory, plus a fixed 2 KB
  JSON route on the same stack: the ceiling any route of ours can reach;
- medallion 3.0.0, memory backend, Flask's server, from its own venv (its pins stay there);
- OpenTAXII 0.9.3, SQLite, one gunicorn sync worker, from its own venv, with PR 289 applied.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.types import ASGIApp

ROOT = Path(__file__).resolve().parent.parent
# The peers' own venvs (their pins stay out of ours); docs/benchmarks.md says how to make them.
MEDALLION_VENV = Path(os.environ.get("BENCH_MEDALLION_VENV", "/tmp/peers-medallion"))  # noqa: S108
OPENTAXII_VENV = Path(os.environ.get("BENCH_OPENTAXII_VENV", "/tmp/peers-opentaxii"))  # noqa: S108
TAXII = "application/taxii+json;version=2.1"
NAMESPACE = uuid.UUID("8b1f7c52-0d4e-4a57-9c5e-7a1c2b3d4e5f")
T0 = datetime(2024, 1, 1, tzinfo=UTC)
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
CEILING_BODY = json.dumps({"items": ["x" * 90] * 20}).encode()[:2048]


def indicator(i: int) -> dict[str, Any]:
    """The ``i``-th benchmark indicator: the same on every server, every run."""
    stamp = (T0 + timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    digest = uuid.uuid5(NAMESPACE, f"sha{i}").hex * 2
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(NAMESPACE, str(i))}",
        "created": stamp,
        "modified": stamp,
        "name": f"benchmark indicator {i}",
        "pattern": f"[file:hashes.'SHA-256' = '{digest}']",
        "pattern_type": "stix",
        "valid_from": stamp,
        "object_marking_refs": [GREEN],
    }


def envelopes(count: int, size: int) -> Iterator[bytes]:
    """``count`` indicators as TAXII envelopes of ``size`` objects."""
    for start in range(0, count, size):
        objects = [indicator(i) for i in range(start, min(count, start + size))]
        yield json.dumps({"objects": objects}).encode()


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes], seconds: float = 180) -> None:
    """Block until something listens on ``port`` (or the process died): up to three minutes,
    as long as the hub took to start at a load average of 20 on this machine's two cores."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def logged(data_dir: Path) -> list[str]:
    """uvicorn options for the access log ``accord serve`` keeps (query strings cut), written
    to ``access.log`` in ``data_dir`` by the caller: a deployment logs, so the benchmark does."""
    from accord.web.logs import uvicorn_log_config

    config = data_dir / "uvicorn-log.json"
    config.write_text(json.dumps(uvicorn_log_config()))
    return ["--log-config", str(config), "--log-level", "info"]


def basic(user: str, secret: str) -> str:
    """An HTTP Basic header value."""
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def post_envelopes(netloc: str, path: str, auth: str, bodies: list[bytes]) -> None:
    """Each body POSTed on one keep-alive connection; each must be acknowledged (202) with no
    object failed."""
    connection = http.client.HTTPConnection(netloc, timeout=1200)
    headers = {"Content-Type": TAXII, "Accept": TAXII, "Authorization": auth}
    for body in bodies:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != 202 or b'"failure_count":0' not in answer.replace(b" ", b""):
            raise RuntimeError(f"answered {response.status}: {answer[:300]!r}")
    connection.close()


# -- the hub -------------------------------------------------------------------------------


def hub_app() -> FastAPI:
    """The hub as ``accord serve`` builds it, plus the fixed 2 KB ceiling route."""
    from accord.cli.context import settings_from_env
    from accord.web.app import create_app
    from bench import gc_probe, memory_probe, turn_probe

    if os.environ.get("BENCH_SWITCH_INTERVAL"):  # seconds: the interpreter's switch interval
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
    app = create_app(settings_from_env())
    gc_probe.install()  # with BENCH_GC_PROBE set: each collection's pause, in a file
    memory_probe.watch(app)  # its caches, in a sample with BENCH_MEMORY_PROBE set
    app.add_api_route("/bench/ceiling", ceiling, methods=["GET"])
    turn_probe.install(app.state.engine)  # with BENCH_TURN_PROBE set (bench/load.py --probe)
    return app


def served_hub_app() -> ASGIApp:
    """:func:`hub_app`, timed with BENCH_ADMISSION_PROBE set (bench/load.py --probe)."""
    from bench import admission_probe

    return admission_probe.wrap(hub_app())


def ceiling() -> Response:
    """The fixed 2 KB JSON document: the same route on the hub's stack and on a bare app."""
    return Response(CEILING_BODY, media_type="application/json")


def bare_app() -> FastAPI:
    """FastAPI with the ceiling route alone: what the framework costs without the hub."""
    app = FastAPI()
    app.add_api_route("/bench/ceiling", ceiling, methods=["GET"])
    return app


def seed_hub(data_dir: Path, database_url: str | None) -> tuple[str, str]:
    """Migrate, create an organization, a user, a token and a collection.

    Returns the collection's id and the token.
    """
    from accord.config import Settings
    from accord.db import make_engine, make_sessionmaker, unit_of_work, upgrade
    from accord.identity import access, services
    from accord.identity.models import MemberRole, OrgKind, OrgType, TokenScope, User
    from accord.identity.policy import SYSTEM
    from accord.identity.schemas import OrgCreate, TokenCreate
    from accord.sharing import services as sharing
    from accord.sharing.schemas import CollectionCreate
    from accord.sharing.tlp import Tlp

    settings = Settings(data_dir=data_dir, database_url=database_url, max_request_bytes=4_000_000)
    engine = make_engine(settings)
    upgrade(engine)
    with unit_of_work(make_sessionmaker(engine)) as db:
        org = services.create_org(
            db,
            data=OrgCreate(name="Bench CERT", kind=OrgKind.PARTNER, type=OrgType.CSIRT,
                           country="NL", website="https://bench.example",
                           security_contact="cert@bench.example"),
            actor=SYSTEM,
        )  # fmt: skip
        # No password: the account signs in with its token only ("!" matches no argon2 hash).
        user = User(username="bench", email="bench@bench.example", password_hash="!")  # noqa: S106
        db.add(user)
        db.flush()
        services.set_member(db, org=org, username="bench", role=MemberRole.ADMIN, actor=SYSTEM)
        _, token = access.create_token(
            db, user=user, data=TokenCreate(name="bench", scope=TokenScope.WRITE),
            actor=SYSTEM, settings=settings,
        )  # fmt: skip
        collection = sharing.create_collection(
            db, org=org, data=CollectionCreate(title="bench", default_tlp=Tlp.GREEN), actor=SYSTEM
        ).uuid
    engine.dispose()
    return collection, token


def start_hub(
    data_dir: Path,
    database_url: str | None,
    *,
    workers: int = 1,
    seeded: tuple[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen[bytes], str, str]:
    """A seeded hub served by uvicorn: the process, the objects URL, the Authorization header.

    ``seeded`` is what :func:`seed_hub` returned, for a caller that stored more before the
    server starts; ``env`` adds to the server's environment.
    """
    collection, token = seeded or seed_hub(data_dir, database_url)
    port = free_port()
    environment = {**os.environ, "ACCORD_DATA_DIR": str(data_dir),
                   "ACCORD_MAX_REQUEST_BYTES": "4000000",
                   "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", **(env or {})}  # fmt: skip
    if database_url:
        environment["ACCORD_DATABASE_URL"] = database_url
    app = "bench.taxii_servers:served_hub_app"
    process = serve(app, port, data_dir, environment, workers=workers)
    url = f"http://127.0.0.1:{port}/taxii2/hub/collections/{collection}/objects/"
    return process, url, basic("bench", token)


def serve(
    factory: str, port: int, data_dir: Path, env: dict[str, str], *, workers: int = 1
) -> subprocess.Popen[bytes]:
    """``factory`` served by uvicorn as ``accord serve`` runs it (httptools, uvloop, the access
    log in ``data_dir``), once something listens on ``port``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", factory,
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         *logged(data_dir)],
        env=env, stdout=(data_dir / "access.log").open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_for(port, process)
    return process


# -- medallion -----------------------------------------------------------------------------


def start_medallion(workdir: Path, count: int) -> tuple[subprocess.Popen[bytes], str, str]:
    """medallion with ``count`` indicators already in its memory backend's data file."""
    port = free_port()
    root = f"http://127.0.0.1:{port}/api1/"
    collection = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
    objects, manifest = [], []
    for i in range(count):
        obj = indicator(i)
        added = (T0 + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        objects.append(obj)
        manifest.append({"id": obj["id"], "date_added": added, "version": obj["modified"],
                         "media_type": "application/stix+json;version=2.1"})  # fmt: skip
    data = {
        "/discovery": {"title": "medallion", "default": root, "api_roots": [root]},
        "api1": {
            "information": {"title": "api1", "versions": [TAXII], "max_content_length": 10**8},
            "status": [],
            "collections": [{"id": collection, "title": "bench", "can_read": True,
                             "can_write": True, "objects": objects, "manifest": manifest,
                             "media_types": ["application/stix+json;version=2.1"]}],
        },
    }  # fmt: skip
    (workdir / "medallion-data.json").write_text(json.dumps(data))
    config = {
        "backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                    "filename": str(workdir / "medallion-data.json")},
        "users": {"bench": "bench-password"},
        "taxii": {"max_page_size": 100},
    }  # fmt: skip
    (workdir / "medallion.json").write_text(json.dumps(config))
    process = subprocess.Popen(
        [str(MEDALLION_VENV / "bin" / "medallion"), "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "ERROR", str(workdir / "medallion.json")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for(port, process)
    return process, f"{root}collections/{collection}/objects/", basic("bench", "bench-password")


# -- OpenTAXII -----------------------------------------------------------------------------


def start_opentaxii(workdir: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """OpenTAXII with an empty collection (the benchmark fills it through POST)."""
    port = free_port()
    config = workdir / "opentaxii.yml"
    config.write_text(
        f"""domain: "127.0.0.1:{port}"
support_basic_auth: yes
auth_api:
  class: opentaxii.auth.sqldb.SQLDatabaseAPI
  parameters:
    db_connection: sqlite:///{workdir}/ot-auth.db
    create_tables: yes
    secret: benchmark-only-secret
    token_ttl_secs: 86400
taxii1:
taxii2:
  persistence_api:
    class: opentaxii.persistence.sqldb.Taxii2SQLDatabaseAPI
    parameters:
      db_connection: sqlite:///{workdir}/ot-data.db
      create_tables: yes
  max_content_length: 10485760
  title: OpenTAXII
  public_discovery: yes
logging:
  opentaxii: error
  root: error
"""
    )
    env = {**os.environ, "OPENTAXII_CONFIG": str(config), "PYTHONPATH": str(ROOT),
           "PYTHONWARNINGS": "ignore"}  # fmt: skip
    bin_dir = OPENTAXII_VENV / "bin"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    subprocess.run(
        [str(bin_dir / "opentaxii-create-account"), "-u", "bench", "-p", "bench-password", "-a"],
        check=True,
        **quiet,
    )  # type: ignore[call-overload]
    # 0.9.3's create-account leaves is_admin unset whatever -a says; update-account sets it.
    subprocess.run(
        [str(bin_dir / "opentaxii-update-account"), "-u", "bench", "-f", "admin", "-v", "yes"],
        check=True,
        **quiet,
    )  # type: ignore[call-overload]
    subprocess.run(
        [str(bin_dir / "opentaxii-add-api-root"), "-t", "bench", "--default"], check=True, **quiet
    )  # type: ignore[call-overload]
    python = str(bin_dir / "python")
    root_id = subprocess.run(
        [python, "-c", "import sqlite3,sys,uuid; r=sqlite3.connect(sys.argv[1]).execute("
         "'select id from opentaxii_api_root').fetchone()[0]; print(uuid.UUID(r))",
         f"{workdir}/ot-data.db"], capture_output=True, text=True, check=True, env=env,
    ).stdout.strip()  # fmt: skip
    subprocess.run(
        [str(bin_dir / "opentaxii-add-collection"), "-r", root_id, "-t", "bench"],
        check=True,
        **quiet,
    )  # type: ignore[call-overload]
    collection = subprocess.run(
        [python, "-c", "import sqlite3,sys,uuid; r=sqlite3.connect(sys.argv[1]).execute("
         "'select id from opentaxii_collection').fetchone()[0]; print(uuid.UUID(r))",
         f"{workdir}/ot-data.db"], capture_output=True, text=True, check=True, env=env,
    ).stdout.strip()  # fmt: skip
    process = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "bench.opentaxii_app:app", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--timeout", "600", "--log-level", "error"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for(port, process)
    url = f"http://127.0.0.1:{port}/taxii2/{root_id}/collections/{collection}/objects/"
    return process, url, basic("bench", "bench-password")
