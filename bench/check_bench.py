"""How fast is ``accord check``? Against a local hub, offline, and beside pip-audit.

1. import the PyPA advisory database into a fresh hub (SQLite unless --database-url);
2. serve it with uvicorn (one worker) on a loopback port;
3. an environment of 300 packages (real names and versions from the records, as dist-info
   folders): the check in-process (read, ask the hub, write the table), cold and warm;
4. the same offline, from the snapshot the hub serves (verified on open);
5. a CycloneDX JSON SBOM of 5,000 components, against the hub and offline;
6. side by side as commands (each paying Python's start-up): ``accord check`` and
   ``pip-audit -r`` of the same 300 pins against the same hub (its ``--osv-url``).

    PYTHONPATH=src python bench/check_bench.py [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from packaging.version import InvalidVersion, Version

from accord.advisories import importer
from accord.check import inputs, services
from accord.check.findings import Filters, Report
from accord.check.outputs import table
from accord.check.sources.hub import HubSource
from accord.check.sources.snapshot import SnapshotSource
from accord.config import Settings
from accord.identity.policy import SYSTEM
from accord.transparency import note
from bench.bench_advisories import PYPA, free_port, prepare

ROOT = Path(__file__).resolve().parents[1]


def pins(count: int) -> list[tuple[str, str]]:
    """(name, version) pairs from the records: distinct packages, affected or fixed versions."""
    chosen: dict[str, str] = {}
    for path in sorted((PYPA / "vulns").rglob("*.yaml")):
        record = importer.parse(path.read_text(), name=path.name)
        for entry in record.get("affected") or []:
            name = entry["package"]["name"]
            versions = [v for v in entry.get("versions") or [] if _pep440(v)]
            if versions and name not in chosen:
                chosen[name] = versions[len(versions) // 2]
    names = random.Random(2024).sample(sorted(chosen), count)
    return [(n, chosen[n]) for n in names]


def _pep440(version: str) -> bool:
    try:
        Version(version)
    except InvalidVersion:
        return False
    return True


def typical(pinned: list[tuple[str, str]], share: int) -> list[tuple[str, str]]:
    """An environment where one package in ``share`` has advisories (the rest: none known)."""
    return [p if i % share == 0 else (f"clean-package-{i}", "1.0.0") for i, p in enumerate(pinned)]


def environment(folder: Path, pinned: list[tuple[str, str]]) -> Path:
    """A virtual environment's layout with one dist-info folder per pin."""
    site = folder / "lib" / "python3.11" / "site-packages"
    for name, version in pinned:
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (folder / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return folder


def sbom(path: Path, pinned: list[tuple[str, str]], count: int) -> Path:
    """A CycloneDX 1.5 JSON SBOM: the pins, then npm components up to ``count``."""
    components = [
        {"type": "library", "name": n, "version": v, "purl": f"pkg:pypi/{n.lower()}@{v}"}
        for n, v in pinned
    ]
    components += [
        {
            "type": "library",
            "name": f"pkg-{i}",
            "version": f"1.{i % 50}.0",
            "purl": f"pkg:npm/pkg-{i}@1.{i % 50}.0",
        }
        for i in range(count - len(components))
    ]
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "components": components,
    }
    path.write_text(json.dumps(document))
    return path


def timed(run: Callable[[], Report], times: int = 5) -> tuple[float, float, float, Report]:
    """Cold (first) and warm (median of the rest) seconds, and the warm runs' median CPU
    seconds of this process (which the machine's load moves much less)."""
    durations = []
    cpu = []
    report = None
    for _ in range(times):
        start, start_cpu = time.perf_counter(), time.process_time()
        report = run()
        durations.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    assert report is not None
    return durations[0], statistics.median(durations[1:]), statistics.median(cpu[1:]), report


def check(paths: list[Path], source_of: Callable[[], object]) -> Report:
    """One whole check as the command runs it, minus Python's start-up."""
    with services.collector_paused():
        source = source_of()
        readings = inputs.read_all(paths)
        report = services.check(readings=readings, source=source, filters=Filters())  # type: ignore[arg-type]
        table.render(report)
        getattr(source, "close", lambda: None)()
    return report


def serve(settings: Settings) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "ACCORD_DATA_DIR": str(settings.data_dir), "PYTHONPATH": str(ROOT / "src")}
    if settings.database_url:
        env["ACCORD_DATABASE_URL"] = settings.database_url
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "accord.web.factory:app_from_env",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the hub did not start")


def command(args: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, check=False, timeout=600)
    return time.perf_counter() - start, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="accord-check-bench-"))
    settings = Settings(data_dir=work / "hub", database_url=args.database_url)
    engine, factory = prepare(settings)
    start = time.perf_counter()
    report = importer.run(factory, str(PYPA), actor=SYSTEM, settings=settings)
    print(
        f"load average {os.getloadavg()[0]:.1f}; "
        f"database: {engine.dialect.name}; CPUs: {os.cpu_count()}; "
        f"{report.total} PyPA records imported in {time.perf_counter() - start:.0f} s"
    )
    pinned = pins(300)
    env = environment(work / "venv", pinned)
    env_typical = environment(work / "venv-typical", typical(pinned, 10))
    bom = sbom(work / "bom.cdx.json", pinned, 5000)
    requirements = work / "requirements.txt"
    requirements.write_text("".join(f"{n}=={v}\n" for n, v in pinned))
    server, url = serve(settings)
    try:
        start = time.perf_counter()
        snapshot = work / "snapshot.zip"
        snapshot.write_bytes(httpx.get(f"{url}/api/v1/check/snapshot", timeout=300).content)
        built = time.perf_counter() - start
        key = note.Verifier.parse(
            httpx.get(f"{url}/.well-known/accord-log-key").json()["verifier_key"]
        )
        print(
            f"snapshot: {snapshot.stat().st_size / 2**20:.1f} MiB, first request (build, log, "
            f"serve) {built:.2f} s"
        )

        def hub() -> HubSource:
            return HubSource(url)

        def offline() -> SnapshotSource:
            return SnapshotSource(snapshot, verifier=key)

        SnapshotSource(snapshot, verifier=key).verify_all()  # as `accord snapshot pull` does

        for label, paths in (
            ("environment of 300 packages, all with advisories", [env]),
            ("environment of 300 packages, 1 in 10 with advisories", [env_typical]),
            ("CycloneDX SBOM of 5,000 components", [bom]),
        ):
            for where, source in (("local hub", hub), ("offline", offline)):
                cold, warm, cpu, found = timed(lambda p=paths, s=source: check(p, s))
                print(
                    f"{label}, {where}: cold {cold:.3f} s, warm {warm:.3f} s (CPU {cpu:.3f} s) "
                    f"({len(found.dependencies)} packages, {len(found.findings)} findings)"
                )
        for label, args in (
            ("`accord check --help`", ["check", "--help"]),
            (
                "`accord check --offline` of 300 pins",
                ["check", "--offline", "--snapshot", str(snapshot), "--key", key.encode()],
            ),
        ):
            runs = [command([sys.executable, "-m", "accord", *args, str(requirements)])]
            runs += [command([sys.executable, "-m", "accord", *args, str(requirements)])]
            runs += [command([sys.executable, "-m", "accord", *args, str(requirements)])]
            print(
                f"command {label}: median of 3 {statistics.median(r[0] for r in runs):.2f} s "
                f"(exit {runs[-1][1]})"
            )
        pip_audit = shutil.which("pip-audit") or str(Path(sys.executable).with_name("pip-audit"))
        ours, status = command(
            [sys.executable, "-m", "accord", "check", "--hub", url, str(requirements)]
        )
        print(f"command `accord check --hub` of 300 pins: {ours:.2f} s (exit {status})")
        if Path(pip_audit).exists():
            theirs, status = command(
                [
                    pip_audit,
                    "-r",
                    str(requirements),
                    "--no-deps",
                    "--disable-pip",
                    "-s",
                    "osv",
                    "--osv-url",
                    f"{url}/v1/query",
                    "--cache-dir",
                    str(work / "pip-audit-cache"),
                    "--progress-spinner",
                    "off",
                ]
            )
            print(
                f"command `pip-audit -r --osv-url` of the same 300 pins: {theirs:.2f} s "
                f"(exit {status})"
            )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
