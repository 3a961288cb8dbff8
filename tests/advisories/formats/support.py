"""Inputs and third-party checkers for the format converters' tests.

Inputs are real OSV records of the PyPA advisory database (tests/data) plus hand-built
ones for what it lacks. Every check is somebody else's: the OASIS CSAF 2.0 JSON schema, the
PyPI ``csaf`` validator's mandatory tests, the CVE schema that ``cvelib`` ships, and
``stix2-validator``; CVSS scores come from the ``cvss`` library and CWE names from the
catalog inside the ``csaf`` package.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import csaf
import yaml
from cvelib.cve_api import CveRecord
from cvss import CVSS3, CVSS4
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT7
from univers.versions import InvalidVersion, PypiVersion

from accord.advisories.formats import (
    CvssScore,
    PublicationMeta,
    Publisher,
    Revision,
    Weakness,
    csaf_filename,
)
from tests import thirdparty

PYPA = thirdparty.PYPA_VULNS
CSAF_DIR = thirdparty.CSAF_DIR
T0 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def normalize(value: Any) -> Any:
    """YAML loads timestamps as datetimes; OSV (JSON) has RFC 3339 strings."""
    if isinstance(value, dict):
        return {key: normalize(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalize(item) for item in value]
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


def load_record(path: Path) -> dict[str, Any]:
    """One PyPA advisory as an OSV dict (a copy of its own: tests may change it)."""
    return copy.deepcopy(_parsed(path))


@cache
def _parsed(path: Path) -> dict[str, Any]:
    # libyaml's loader: the format tests' parameters read 300 records at collection, in
    # every worker, and the pure-Python loader took 30 ms each.
    return dict(normalize(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)))


@cache
def pypa_paths() -> tuple[Path, ...]:
    """Every record of the database, in a stable order."""
    return tuple(sorted(PYPA.glob("*/*.yaml")))


def sample(count: int) -> list[Path]:
    """``count`` records spread evenly over the database (deterministic)."""
    paths = pypa_paths()
    step = len(paths) / count
    return [paths[int(i * step)] for i in range(count)]


@cache
def _withdrawn() -> tuple[Path, ...]:
    return tuple(p for p in pypa_paths() if re.search(r"^withdrawn:", p.read_text(), re.M))


def withdrawn_paths() -> list[Path]:
    """The database's withdrawn records."""
    return list(_withdrawn())


def pep440(text: str) -> PypiVersion | None:
    """A PyPI release name as a PEP 440 version (univers), or None for a legacy name."""
    try:
        return PypiVersion(text)
    except InvalidVersion:
        return None


def listed_releases(entry: dict[str, Any]) -> list[PypiVersion]:
    """The releases an OSV ``affected`` entry lists as affected (PEP 440 ones)."""
    return [v for v in map(pep440, entry.get("versions") or ()) if v is not None]


def fixed_releases(entry: dict[str, Any]) -> list[PypiVersion]:
    """The releases its ``ECOSYSTEM`` ranges say fix it (PEP 440 ones)."""
    ranges = [r for r in entry.get("ranges") or () if r["type"] == "ECOSYSTEM"]
    fixed = [e["fixed"] for r in ranges for e in r["events"] if "fixed" in e]
    return [v for v in map(pep440, fixed) if v is not None]


def cvss_score(vector: str) -> CvssScore:
    """A vector with the base score the ``cvss`` library computes for it."""
    if vector.startswith("CVSS:4.0/"):
        return CvssScore(vector, float(CVSS4(vector).base_score))
    return CvssScore(vector, float(CVSS3(vector).scores()[0]))


@cache
def _cwe_catalog() -> dict[str, Any]:
    path = Path(csaf.__file__).parent / "csaf" / "v21" / "cwe" / "catalog.json"
    return dict(json.loads(path.read_text(encoding="utf-8"))["weaknesses"])


def weakness(number: int) -> Weakness:
    """CWE-``number`` with its current name in the MITRE catalog the csaf package ships."""
    history = _cwe_catalog()[str(number)]["history"]
    name = next(name for _, name in reversed(history) if name is not None)
    return Weakness(f"CWE-{number}", name)


def make_meta(record: dict[str, Any], **changes: Any) -> PublicationMeta:
    """A publication of ``record`` by an example vendor, version 1, with ``changes``."""
    fields: dict[str, Any] = {
        "publisher": Publisher(
            "Example Vendor",
            "https://vendor.example",
            cve_org_id=uuid.UUID("0c3f6a1e-4b7d-4e2a-9c1f-2d3e4f5a6b7c"),
        ),
        "tracking_id": f"EXAMPLE-{record['id']}",
        "version": "1",
        "initial_release_date": T0,
        "current_release_date": T0,
        "revisions": (Revision("1", T0, "Initial publication."),),
        "summary": "An attacker can take over the service; upgrade now.",
        "record_url": f"https://hub.example/v1/vulns/{record['id']}",
    }
    fields.update(changes)
    # Where the hub's CSAF provider would serve it: its canonical URL (test 6.2.11).
    name = csaf_filename(fields["tracking_id"])
    fields.setdefault("document_url", f"https://hub.example/.well-known/csaf/white/2024/{name}")
    return PublicationMeta(**fields)


# --- CSAF -------------------------------------------------------------------------------


@cache
def csaf_registry() -> Registry[Any]:
    """FIRST's CVSS schemas and the CSAF 2.0 schema, served from the local copies."""
    first = CSAF_DIR / "referenced_schema" / "first"
    resources = []
    for name, spec in (("cvss-v2.0", DRAFT4), ("cvss-v3.0", DRAFT4), ("cvss-v3.1", DRAFT7)):
        contents = json.loads((first / f"{name}.json").read_text(encoding="utf-8"))
        url = f"https://www.first.org/cvss/{name}.json"
        contents["$id"] = url  # the v3.1 file says "...json?20211103", the CSAF schema not
        resources.append((url, Resource.from_contents(contents, default_specification=spec)))
    csaf_schema = Resource.from_contents(_schema("csaf_json_schema.json"))
    resources.append((str(csaf_schema.contents["$id"]), csaf_schema))
    return Registry().with_resources(resources)


def _schema(name: str) -> dict[str, Any]:
    return dict(json.loads((CSAF_DIR / "json_schema" / name).read_text(encoding="utf-8")))


@cache
def csaf_schema_validator() -> Draft202012Validator:
    """The OASIS CSAF 2.0 schema, with FIRST's CVSS schemas served from the local copies."""
    return Draft202012Validator(
        _schema("csaf_json_schema.json"),
        registry=csaf_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


@cache
def provider_schema_validator() -> Draft202012Validator:
    """The OASIS CSAF 2.0 provider-metadata schema (it refers to the CSAF schema)."""
    return Draft202012Validator(
        _schema("provider_json_schema.json"),
        registry=csaf_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def csaf_schema_errors(document: dict[str, Any]) -> list[str]:
    """What the CSAF 2.0 JSON schema says is wrong with ``document``."""
    errors = csaf_schema_validator().iter_errors(document)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def csaf_cli() -> str:
    """The ``csaf`` command of the environment running the tests."""
    found = Path(sys.executable).parent / "csaf"
    return str(found) if found.exists() else (shutil.which("csaf") or "csaf")


def run_csaf_validator(folder: Path, preset: str = "basic") -> dict[str, str]:
    """Run ``csaf validate --spec-version v20 --no-network`` on every file of ``folder``.

    Returns each file name mapped to its report; a passing file's report says "Overall: PASS".
    The ``basic`` preset runs the mandatory tests; ``full`` adds the recommended and the
    informative ones. One process for the lot: the validator takes seconds to start.
    """
    files = sorted(str(p) for p in folder.glob("*.json"))
    command = [csaf_cli(), "validate", "--spec-version", "v20", "--no-network"]
    done = subprocess.run(
        [*command, "--preset", preset, *files],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    reports: dict[str, str] = {}
    for block in re.split(r"^(?=File: )", done.stdout, flags=re.M):
        match = re.match(r"File: (.+)", block)
        if match:
            reports[Path(match[1].strip()).name] = block
    if len(reports) != len(files):
        raise AssertionError(f"validator exited {done.returncode}: {done.stdout}{done.stderr}")
    return reports


def findings(report: str) -> set[str]:
    """The ids of the tests a validator report says failed, warned or informed."""
    return set(re.findall(r"^\s+\[(?:FAIL|WARN|INFO)\] (\d+(?:\.\d+)+) ", report, re.M))


_CVE = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,}$")


def unavoidable(record: dict[str, Any], meta: PublicationMeta) -> set[str]:
    """The recommended and informative tests a document may fail for its data alone.

    6.3.9 and 6.3.10 ask for enumerated versions under ``product_version``: an OSV range is
    a range (an open one has no last version, and enumerating the releases known today would
    leave the next ones out), so it stays a ``product_version_range``. The others depend on
    what the record and its publication give: no CVSS v3 vector (6.2.3: CSAF 2.0 has no
    place for a 4.0 score), a CVSS 3.0 one (6.3.2: rewriting it as 3.1 would change what was
    scored), no CWE (6.3.4), no CVE id (6.3.3).
    """
    found = {"6.3.9", "6.3.10"}
    if meta.cvss_v3 is None:
        found.add("6.2.3")
    elif meta.cvss_v3.vector.startswith("CVSS:3.0/"):
        found.add("6.3.2")
    if not meta.cwes:
        found.add("6.3.4")
    if not any(_CVE.match(i) for i in [record["id"], *(record.get("aliases") or ())]):
        found.add("6.3.3")
    return found


# --- CVE JSON 5 and STIX ---------------------------------------------------------------


@cache
def cve_schema_validator() -> Draft7Validator:
    """The CVE Record Format 5.1.1 schema (bundled, as the CVE project publishes it)."""
    schema = json.loads(Path(CveRecord.Schemas.V5_SCHEMA.value).read_text(encoding="utf-8"))
    return Draft7Validator(schema, format_checker=FormatChecker())


def cve_schema_errors(record: dict[str, Any]) -> list[str]:
    """What the CVE JSON 5 schema says is wrong with ``record``."""
    found = []
    for error in cve_schema_validator().iter_errors(record):
        # The record is a oneOf (published or rejected): report the branch it nearly matched.
        branches: dict[Any, list[Any]] = {}
        for inner in error.context or ():
            branches.setdefault(inner.relative_schema_path[0], []).append(inner)
        nearest = min(branches.values(), key=len) if branches else [error]
        found += [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in nearest]
    return found
