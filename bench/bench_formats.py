"""How fast the advisory converters turn the whole PyPA database into CSAF, CVE JSON 5, STIX.

A CSAF provider regenerates documents when advisories change and a feed per TLP; this says
what one process does per second. Run from the repository root:

    PYTHONPATH=src:. python bench/bench_formats.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.advisories.formats.support import load_record, make_meta, pypa_paths

from accord.advisories.formats import csaf_json, to_csaf, to_cve_json5, to_stix_vulnerability


def _rate(name: str, convert: Callable[[], Any], count: int) -> None:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        convert()
        best = min(best, time.perf_counter() - started)
    print(f"{name:<28} {count:>5} records  {best * 1000:8.1f} ms  {count / best:9.0f} records/s")


def main() -> None:
    """Load every record once, then time each format over all of them (best of 3)."""
    started = time.perf_counter()
    publications = [(r, make_meta(r)) for r in map(load_record, pypa_paths())]
    print(f"loaded {len(publications)} records in {time.perf_counter() - started:.1f} s")
    count = len(publications)
    _rate("CSAF 2.0 (dict)", lambda: [to_csaf(r, m) for r, m in publications], count)
    _rate(
        "CSAF 2.0 (sorted JSON text)",
        lambda: [csaf_json(to_csaf(r, m)) for r, m in publications],
        count,
    )
    _rate(
        "CVE JSON 5",
        lambda: [to_cve_json5(r, m, cve_id="CVE-2024-0001") for r, m in publications],
        count,
    )
    _rate(
        "STIX 2.1 vulnerability",
        lambda: [to_stix_vulnerability(r, m) for r, m in publications],
        count,
    )


if __name__ == "__main__":
    main()
