"""The local OSV evaluation: one record naming several packages answers each by its own
entry, however many dependencies ask it in one run."""

from __future__ import annotations

from accord.check.evaluate import Evaluator, entries_for, fixed_versions
from accord.check.interface import Dependency, Location

RECORD = {
    "id": "TEST-1",
    "modified": "2024-01-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "First_Package"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}],
        },
        {
            "package": {"ecosystem": "PyPI", "name": "second-package"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}],
            "versions": ["1.5.post1"],
        },
    ],
}


def _dependency(name: str, version: str) -> Dependency:
    return Dependency("PyPI", name, version, Location("requirements.txt", 1))


def test_each_package_of_a_record_is_answered_by_its_own_entry() -> None:
    evaluator = Evaluator()
    assert evaluator.affects(RECORD, _dependency("first.package", "1.5"))
    # The second package's entry is compiled for it, not taken from the first's.
    assert not evaluator.affects(RECORD, _dependency("second-package", "1.5"))
    assert evaluator.affects(RECORD, _dependency("Second_Package", "1.5.post1"))
    assert evaluator.affects(RECORD, _dependency("second-package", "0.9"))
    assert not evaluator.affects(RECORD, _dependency("first-package", "2.0"))
    assert not evaluator.affects(RECORD, _dependency("third-package", "0.1"))


def test_entries_and_fixed_versions_by_package() -> None:
    first = _dependency("first-package", "1.5")
    assert [e["package"]["name"] for e in entries_for(RECORD, first)] == ["First_Package"]
    assert fixed_versions(RECORD, first) == ("2.0",)
    assert fixed_versions(RECORD, _dependency("second-package", "0.5")) == ("1.0",)
