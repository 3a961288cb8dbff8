"""Validation of OSV records against the official OSV JSON schema (draft 2020-12).

The reason reported for a failure is the schema's own: the path of the offending value, what
is wrong with it, and the title of the rule it breaks when the schema names one (such as "GIT
ranges must use full-length commit hashes").
:func:`salvage` drops the ranges that break it when nothing else does.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from accord.advisories.schema_words import reason
from accord.errors import N_, Message

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

# jsonschema is imported on first use: with its optional format checkers installed it takes
# seconds to import, which every CLI command would otherwise pay before doing anything.


@cache
def schema() -> dict[str, Any]:
    """The OSV JSON schema shipped with the hub."""
    text = (resources.files("accord.advisories") / "data" / "osv-schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def problem(record: object) -> str | None:
    """Why ``record`` is not a valid OSV record, or None if it is."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(record))
    if error is None:
        return None
    return _describe(error)


def _describe(error: ValidationError) -> str:
    """ "path: what is wrong (the rule's title)": jsonschema's words in English, as before; a
    sentence of the catalog, by the kind of check that failed, in another language."""
    path = json_path(error.absolute_path)
    rule = _rule_title(error)
    said = reason(error)
    if rule:
        return Message(
            N_("%(path)s: %(reason)s (%(rule)s)"), path=path, reason=said, rule=Message(rule)
        )
    return Message(N_("%(path)s: %(reason)s"), path=path, reason=said)


# The titles of the OSV schema's rules (``data/osv-schema.json``), for the catalogs: a rule's
# title is said by its English text, as the schema writes it.
RULE_TITLES = (
    N_(
        "events must contain an introduced object and may contain fixed, last_affected "
        "or limit objects"
    ),
    N_("GIT ranges require a repo"),
    N_("GIT ranges must use full-length commit hashes"),
    N_("last_affected and fixed events are mutually exclusive"),
    N_("Currently supported ecosystems"),
    N_("Currently supported home database identifier prefixes"),
)


def json_path(parts: Any) -> str:
    """``["affected", 0, "ranges"]`` -> ``affected[0].ranges`` (``record`` for the root)."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "record"


def _rule_title(error: ValidationError) -> str | None:
    # Walk the schema along the failing path and keep the innermost titled rule.
    node: Any = schema()
    title = None
    for step in error.absolute_schema_path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("title"), str):
            title = node["title"]
    return title


@dataclass(frozen=True)
class Drop:
    """A range left out of a record because it breaks the schema: where it was, and why."""

    path: str
    reason: str


def salvage(record: dict[str, Any]) -> tuple[dict[str, Any], tuple[Drop, ...]]:
    """``record`` without the ranges that break the schema, and what was dropped.

    A range is one statement about one package's versions, independent of the entry's other
    ranges: a malformed ``GIT`` range (the PyPA database has short and ``.patch`` commits)
    does not make its entry's valid ``ECOSYSTEM`` range false, and rejecting the whole record
    would answer "not affected" where OSV.dev answers "affected". Only ranges are dropped:
    a record with any other problem, or one that the drops would leave invalid or an entry
    with neither ranges nor versions (which would then say nothing), comes back unchanged,
    for :func:`problem` to reject whole.
    """
    errors = list(_validator().iter_errors(record))
    if not errors:
        return record, ()
    bad: dict[tuple[int, int], list[ValidationError]] = {}
    for error in errors:
        path = list(error.absolute_path)
        if not _in_range(path):
            return record, ()
        bad.setdefault((path[1], path[3]), []).append(error)
    salvaged = copy.deepcopy(record)
    for index, entry in enumerate(salvaged["affected"]):
        kept = [r for j, r in enumerate(entry["ranges"]) if (index, j) not in bad]
        if len(kept) == len(entry["ranges"]):
            continue
        if not kept and not entry.get("versions"):
            return record, ()
        if kept:
            entry["ranges"] = kept
        else:
            del entry["ranges"]
    if problem(salvaged) is not None:
        return record, ()
    from jsonschema.exceptions import best_match

    drops = tuple(
        Drop(f"affected[{i}].ranges[{j}]", _describe(best_match(found) or found[0]))
        for (i, j), found in sorted(bad.items())
    )
    return salvaged, drops


def _in_range(path: list[Any]) -> bool:
    return (
        len(path) >= 4
        and path[0] == "affected"
        and isinstance(path[1], int)
        and path[2] == "ranges"
        and isinstance(path[3], int)
    )
