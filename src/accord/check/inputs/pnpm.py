"""``pnpm-lock.yaml``: lockfile versions 5 (``/name/1.0.0``), 6 (``/name@1.0.0``) and 9
(``name@1.0.0``). Peer-dependency suffixes (``(react@18.2.0)`` or ``_react@18.2.0``) are
dropped; packages from git, tarballs or links are not checked."""

from __future__ import annotations

import re

from accord.check.inputs.base import Collector, Format, Text, expect_dict, load_yaml
from accord.check.interface import Malformed

_PEERS = re.compile(r"\(.*$")


def read(text: Text, out: Collector) -> None:
    """Every key of ``packages``, read by the lockfile version's key syntax."""
    data = expect_dict(load_yaml(text), "$")
    raw_version = str(data.get("lockfileVersion", ""))
    try:
        major = int(float(raw_version))
    except ValueError:
        raise Malformed(
            f"lockfileVersion {raw_version!r} is not a number", path="lockfileVersion"
        ) from None
    packages = expect_dict(data.get("packages") or {}, "packages")
    seen: set[tuple[str, str]] = set()
    for key, raw in packages.items():
        path = f"packages[{key!r}]"
        entry = expect_dict(raw or {}, path)
        parsed = _parse_key(str(key), major)
        if entry.get("name") and entry.get("version"):
            parsed = (str(entry["name"]), str(entry["version"]))
        if parsed is None or not parsed[1][:1].isdigit():
            out.notice(f"{key} is not a registry package, not checked", path=path)
            continue
        if parsed not in seen:
            seen.add(parsed)
            out.add("npm", parsed[0], parsed[1], path=path)


def _parse_key(key: str, major: int) -> tuple[str, str] | None:
    key = _PEERS.sub("", key.lstrip("/"))
    if major < 6:
        name, _, version = key.rpartition("/")
        version = version.split("_", 1)[0]
    else:
        at = key.rfind("@")
        if at <= 0:
            return None
        name, version = key[:at], key[at + 1 :]
    return (name, version) if name and version else None


FORMAT = Format(
    "pnpm-lock.yaml",
    ("pnpm-lock.yaml",),
    lambda head: head.lstrip().startswith("lockfileVersion:"),
    read,
)
