"""The CSAF 2.0 JSON schema and mandatory tests (CSAF 2.0 section 6.1) of a document.

The checks are the PyPI ``csaf`` package's (the OASIS schema plus one function per mandatory
test, checked upstream against the OASIS test files); this module only asks them and says
the first failure the way a person reads it: the test's number, its title and where in the
document. A document that passes neither is imported nor aggregated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, cast

from accord.errors import N_, Message


@dataclass(frozen=True)
class Failure:
    """One failed test: ``test`` is "schema" or a mandatory test's number ("6.1.1")."""

    test: str
    title: str
    path: str
    message: str

    def describe(self) -> str:
        """One line: "CSAF mandatory test 6.1.1 (Missing Definition of Product ID) failed at
        /vulnerabilities/0/...: ...", said in the reader's language (a :class:`Message`;
        the test's title and the checker's own words stay as the ``csaf`` package wrote
        them)."""
        values = {"test": self.test, "title": self.title, "detail": self.message}
        at = self.path and self.path != "/"
        if self.test == "schema":
            msgid = _SCHEMA_AT if at else _SCHEMA
        else:
            msgid = _TEST_AT if at else _TEST
        said = Message(msgid, path=self.path, **values)
        return said if len(said) <= 1000 else said[:1000]


_SCHEMA = N_("the CSAF 2.0 JSON schema failed: %(detail)s")
_SCHEMA_AT = N_("the CSAF 2.0 JSON schema failed at %(path)s: %(detail)s")
_TEST = N_("CSAF mandatory test %(test)s (%(title)s) failed: %(detail)s")
_TEST_AT = N_("CSAF mandatory test %(test)s (%(title)s) failed at %(path)s: %(detail)s")


class _Validate(Protocol):
    def __call__(self, doc: dict[str, Any], *, preset: str) -> Any: ...


@cache
def _validator() -> _Validate:
    # Imported at first use: the package takes seconds to load its schemas and rules. Its
    # import configures the root logger (logging.basicConfig at INFO); the hub's logging is
    # the hub's, so the root logger is put back as it was.
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        from csaf.csaf.v20._validator import validate  # type: ignore[import-untyped]
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
    return cast(_Validate, validate)


def is_csaf(content: object) -> bool:
    """Whether ``content`` says it is a CSAF document (``document.csaf_version``)."""
    if not isinstance(content, dict):
        return False
    document = content.get("document")
    return isinstance(document, dict) and "csaf_version" in document


def failures(content: dict[str, Any]) -> list[Failure]:
    """Every failed test of ``content``: the schema's, or else the mandatory tests' (they run
    only on a document the schema accepts). Empty when the document is valid CSAF 2.0."""
    version = content.get("document", {}).get("csaf_version")
    if version != "2.0":
        return [Failure("schema", "", "/document/csaf_version",
                        f"CSAF version {version!r} is not 2.0")]  # fmt: skip
    report = _validator()(content, preset="basic")
    found: list[Failure] = []
    for result in report.results:
        if result.passed or result.skipped:
            continue
        first = result.errors[0] if result.errors else None
        found.append(
            Failure(
                test=str(result.id),
                title=str(result.title),
                path=str(first.instance_path) if first is not None else "",
                message=str(first.message) if first is not None else "failed",
            )
        )
    return found


def first_failure(content: dict[str, Any]) -> Failure | None:
    """The first failed test, or None when ``content`` is valid CSAF 2.0."""
    found = failures(content)
    return found[0] if found else None
