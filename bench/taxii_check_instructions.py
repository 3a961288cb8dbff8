"""Instructions an object of a TAXII envelope's reading, checking and queue entry, by callgrind.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python bench/taxii_check_instructions.py N [--bodies-only]

Builds N envelopes of 1,000 of the TAXII benchmark's indicators (``bench/taxii_servers.py``)
and passes each through what the web process does before it commits a queue entry: the body
read and checked (``services.check_envelope``), the entry's payload and pendings encoded. Run
it for two values of N (2 and 12): the difference of the totals valgrind prints
("Collected"), divided by the objects between them, is the instructions an object, the
imports cancelled. ``--bodies-only`` builds the envelopes alone, to take their share out.
Instruction counts move little with the machine's load, unlike CPU time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import taxii_servers as servers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("envelopes", type=int)
    parser.add_argument("--bodies-only", action="store_true")
    args = parser.parse_args()
    from accord.sharing import queue, services

    bodies = list(servers.envelopes(1000 * args.envelopes, 1000))
    if args.bodies_only:
        return
    for body in bodies:
        outcomes = services.check_envelope(body)
        valid = [o for o in outcomes if not isinstance(o, dict)]
        queue.encode(valid)
        queue._pendings(valid)


if __name__ == "__main__":
    main()
