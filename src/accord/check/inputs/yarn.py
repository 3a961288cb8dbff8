"""``yarn.lock``: Yarn 1 ("classic", its own indented format) and Yarn 2+ ("berry", YAML).

Classic: blocks headed by the specifiers they resolve (``"a@^1.0.0", a@^1.1.0:``) with a
``version "1.2.0"`` line. Berry: YAML keyed the same way, with ``version`` and ``resolution``
(``a@npm:1.2.0``); packages from workspaces, git, files or links are not checked.
"""

from __future__ import annotations

import re

from accord.check.inputs.base import Collector, Format, Text, expect_dict, load_yaml
from accord.check.interface import Malformed

_VERSION = re.compile(r'^\s+version:?\s+"?([^"\s]+)"?\s*$')


def read(text: Text, out: Collector) -> None:
    """Classic or berry, told apart by berry's ``__metadata`` entry."""
    if re.search(r"^__metadata:", text.text, re.MULTILINE):
        _read_berry(text, out)
    else:
        _read_classic(text, out)


def _package_name(specifier: str) -> str:
    # "@scope/name@^1.0.0" -> "@scope/name"; "name@npm:^1" -> "name"
    specifier = specifier.strip().strip('"')
    at = specifier.find("@", 1)
    return specifier[:at] if at > 0 else specifier


def _read_classic(text: Text, out: Collector) -> None:
    header: tuple[int, str] | None = None
    found_version = False
    for number, line in enumerate(text.text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            if header is not None and not found_version:
                out.error(f"{header[1]} has no version line", line=header[0])
            if not line.rstrip().endswith(":"):
                raise Malformed("expected a package header ending with ':'", line=number)
            header, found_version = (number, _package_name(line.split(",")[0])), False
            continue
        match = _VERSION.match(line)
        if match and header is not None and line.startswith("  ") and not line.startswith("   "):
            found_version = True
            out.add("npm", header[1], match.group(1), line=header[0])
    if header is not None and not found_version:
        out.error(f"{header[1]} has no version line", line=header[0])


def _read_berry(text: Text, out: Collector) -> None:
    data = expect_dict(load_yaml(text), "$")
    for key, raw in data.items():
        if key == "__metadata":
            continue
        path = str(key)
        entry = expect_dict(raw, path)
        resolution = str(entry.get("resolution", ""))
        version = entry.get("version")
        at = resolution.find("@", 1)
        if at <= 0 or version is None:
            out.error("an entry needs a resolution and a version", path=path)
            continue
        name, locator = resolution[:at], resolution[at + 1 :]
        if locator.startswith("workspace:"):
            continue
        if not locator.startswith("npm:"):
            protocol = locator.split(":", 1)[0]
            out.notice(f"{name} comes from a {protocol}: source, not checked", path=path)
            continue
        out.add("npm", name, str(version), path=path)


FORMAT = Format(
    "yarn.lock",
    ("yarn.lock",),
    lambda head: "# yarn lockfile v1" in head or ("__metadata:" in head and "cacheKey" in head),
    read,
)
