"""Instructions an object of the web process's whole POST path, by callgrind, over HTTP.

    PYTHONPATH=src:. .venv/bin/python bench/taxii_post_instructions.py [--envelopes 10]
        [--warm 3] [--keep FILE]

``bench/taxii_check_instructions.py`` counts the reading, checking and the entry's encoding in
process; this counts everything the web process does for a POST of an envelope of 1,000 of the
TAXII benchmark's indicators (``bench/taxii_servers.py``): uvicorn and httptools receiving the
body, the body's limit, the route's dependencies, the caller's and collection's reads, the
check, the queue entry, its commit and the queue's checkpoint thread, the answer. The hub is
seeded and served by uvicorn under valgrind's callgrind with its instrumentation off (its
drainer, a spawned process, runs outside valgrind and stores the envelopes meanwhile);
``--warm`` envelopes are posted first, then the instrumentation is switched on for
``--envelopes`` envelopes posted one after the other on one keep-alive connection, and off:
the instructions valgrind collected divided by the objects posted. No status is polled. With
``--keep`` the callgrind output is kept for ``callgrind_annotate``. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import taxii_servers as servers

SIZE = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--envelopes", type=int, default=10)
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="where to keep the callgrind output")
    args = parser.parse_args()
    bodies = list(servers.envelopes(SIZE * (args.warm + args.envelopes), SIZE))
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        collection, token = servers.seed_hub(data_dir, None)
        port = servers.free_port()
        out = args.keep or data_dir / "callgrind.out"
        env = {**os.environ, "ACCORD_DATA_DIR": str(data_dir),
               "ACCORD_MAX_REQUEST_BYTES": "4000000", "PYTHONHASHSEED": "0",
               "PYTHONPATH": f"{servers.ROOT / 'src'}:{servers.ROOT}"}  # fmt: skip
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                   f"--callgrind-out-file={out}", sys.executable, "-m", "uvicorn", "--factory",
                   "bench.taxii_servers:hub_app", "--host", "127.0.0.1", "--port", str(port),
                   *servers.logged(data_dir)]  # fmt: skip
        log = (data_dir / "valgrind.log").open("ab")
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        path = f"/taxii2/hub/collections/{collection}/objects/"
        auth = servers.basic("bench", token)
        try:
            servers.wait_for(port, process, seconds=900)
            servers.post_envelopes(f"127.0.0.1:{port}", path, auth, bodies[: args.warm])
            switch = ["callgrind_control", "-i"]
            subprocess.run([*switch, "on", str(process.pid)], check=True, capture_output=True)
            servers.post_envelopes(f"127.0.0.1:{port}", path, auth, bodies[args.warm :])
            subprocess.run([*switch, "off", str(process.pid)], check=True, capture_output=True)
        finally:
            process.terminate()
            process.wait(timeout=300)
        found = re.search(r"^totals:\s*(\d+)", out.read_text(), re.M)
        assert found is not None, "no totals in the callgrind output"
        total = int(found.group(1))
        objects = SIZE * args.envelopes
        print(f"{total / objects:,.0f} instructions an object in the web process "
              f"({args.envelopes} envelopes of {SIZE} after {args.warm})")  # fmt: skip


if __name__ == "__main__":
    main()
