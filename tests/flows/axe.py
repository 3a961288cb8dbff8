"""axe-core in the browser tests: installed once from npm, run on the page a test has open, and
every violation reported whatever its impact (minor and moderate included).

axe-core is installed into a cache folder outside the checkout (never committed). Without npm
or the registry the tests that use it skip, except under ACCORD_REQUIRE_BROWSER.

The script goes in through the browser context (``context.add_init_script``, or one evaluation
on a page that lacks it), not through a ``<script>`` tag: the DevTools protocol is not bound by
the hub's Content-Security-Policy, so a test need not turn the policy off to run axe, and the
tests that count the console's CSP errors keep counting them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

AXE_PACKAGE = "axe-core@4"
AXE_CACHE = Path(tempfile.gettempdir()) / "accord-test-axe-core"
# axe-core's violations, one row each: rule, impact, help, the first few elements. With
# ``settle``, two frames pass first: what a resize changes (scroll-regions.js marks the boxes
# that scroll on the next animation frame) is in place before axe looks.
RUN = """async (settle) => {
  if (settle) await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map(v => [v.id, v.impact, v.help,
    v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', ')]);
}"""


def unavailable(reason: str) -> None:
    """Skip, or fail where CI requires the browser and its tools."""
    if os.environ.get("ACCORD_REQUIRE_BROWSER"):
        pytest.fail(f"ACCORD_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's browser script, installed from npm on first use."""
    script = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            unavailable("npm is missing (apt-get install npm) to fetch axe-core")
        done = subprocess.run(
            [npm, "install", "--prefix", str(AXE_CACHE), "--no-audit", "--no-fund", AXE_PACKAGE],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or not script.exists():
            unavailable(f"npm could not install {AXE_PACKAGE}: {done.stderr.strip()[-500:]}")
    return script.read_text()


def lines(found: list[list[str]]) -> list[str]:
    """axe-core's rows (from ``RUN``), one line each."""
    return [
        f"{rule} ({impact}): {help_text} at {targets}" for rule, impact, help_text, targets in found
    ]


def violations(page: Any, source: str, *, settle: bool = True) -> list[str]:
    """Every axe-core violation on the page as it is now, of any impact, one line each."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(source)
    return lines(page.evaluate(RUN, settle))


def check(page: Any, source: str) -> None:
    """Fail, naming the page and each violation, unless axe-core finds none."""
    found = violations(page, source)
    assert found == [], f"axe-core on {page.url}:\n" + "\n".join(found)
