"""Every record of the PyPA database, converted to each format and checked like the sample.

Slow (minutes, in four slices that workers share): the sample in the other modules covers the
kinds of input; this run shows no real record breaks a converter.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from stix2validator import ValidationOptions, validate_instance

from accord.advisories.formats import csaf_json, to_csaf, to_cve_json5, to_stix_vulnerability
from tests.advisories.formats.cases import varied
from tests.advisories.formats.support import (
    csaf_schema_errors,
    cve_schema_errors,
    findings,
    load_record,
    make_meta,
    pypa_paths,
    run_csaf_validator,
    unavoidable,
)

# Pure converters and validators over files, the same on either database: no ``settings``
# fixture, so the PostgreSQL run leaves them to the SQLite run (tests/conftest.py).
pytestmark = pytest.mark.slow


# The records are converted in slices, one test each, so that pytest-xdist's workers share
# them (whole, this was among the suite's longest tests). The slices are disjoint and together
# hold every record (checked in each).
SLICES = 4


@pytest.mark.parametrize("number", range(SLICES))
def test_every_record_makes_valid_documents(tmp_path: Path, number: int) -> None:
    every = pypa_paths()
    assert len(every) == len({p.stem for p in every}) == 2661
    chosen = list(enumerate(every))[number::SLICES]
    failures: dict[str, list[str]] = {}
    allowed: dict[str, set[str]] = {}
    options = ValidationOptions(version="2.1")
    for index, path in chosen:
        record = load_record(path)
        meta = make_meta(record, **varied(index, record))
        allowed[f"{record['id']}.json"] = unavoidable(record, meta)
        document = to_csaf(record, meta)
        (tmp_path / f"{record['id']}.json").write_text(csaf_json(document), encoding="utf-8")
        errors = csaf_schema_errors(document)
        # A withdrawn advisory has a CVE record only if it is the CVE's own (see test_cve.py).
        own = {**record, "id": "CVE-2024-0001"} if record.get("withdrawn") else record
        errors += cve_schema_errors(to_cve_json5(own, meta, cve_id="CVE-2024-0001"))
        errors += [
            str(e) for e in validate_instance(to_stix_vulnerability(record, meta), options).errors
        ]
        if errors:
            failures[record["id"]] = errors
    # The mandatory, recommended and informative tests: only what the data decides remains.
    reports = run_csaf_validator(tmp_path, preset="full")
    failures |= {name: [r] for name, r in reports.items() if not findings(r) <= allowed[name]}
    assert len(reports) == len(chosen)
    assert failures == {}
