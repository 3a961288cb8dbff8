"""The CSAF 2.0 product tree of an OSV record, with each product's status and remediation.

Shape: ``vendor`` (the OSV ecosystem: OSV names no vendor, and the ecosystem is the authority
that names the package, as the purl type is) > ``product_name`` (the package) > one
``product_version_range`` per affected interval, written as vers, and one ``product_version``
per fixed version.

Each entry with ordered ranges (``ECOSYSTEM``, ``SEMVER``) is described by them alone: its
``versions`` list enumerates the same set, and its ``GIT`` ranges describe the same fix for
readers who build from source, which CSAF consumers matching installed packages do not need.
An entry without ordered ranges is described by its enumerated versions and its ``GIT``
intervals (as vers-like specifiers over commits, CSAF's fallback where no vers scheme names
the order), under the repository's owner and name when no package is given.

Every ``known_affected`` product gets one remediation (a fix, or ``none_available``), which
VEX requires (CSAF 2.0 test 6.1.27.10) and every reader needs; so does every product
``under_investigation`` (``none_available``, test 6.2.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accord.advisories.formats import osv
from accord.advisories.formats.ecosystems import (
    package_purl,
    range_specifier,
    vers_scheme,
    vers_version,
)
from accord.advisories.formats.meta import ProductStatement, PublicationMeta, StatementStatus
from accord.errors import N_, InvalidInput

Branch = tuple[str, str]
_AFFECTED = ("first_affected", "known_affected", "last_affected")
# Test 6.1.31: a product_version name must not contain these (it would read as a range).
_RANGE_WORDS = ("<", ">", "after", "all", "before", "earlier", "later", "prior", "versions")


@dataclass(frozen=True)
class Products:
    """The product tree and what the vulnerability says about each product in it."""

    tree: dict[str, Any]
    status: dict[str, list[str]]
    remediations: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    threats: list[dict[str, Any]]

    @property
    def conclusive(self) -> bool:
        """Whether any product has a status other than ``under_investigation``."""
        return any(name != "under_investigation" for name in self.status)

    @property
    def affected_ids(self) -> list[str]:
        """Every product in an affected status (the products a score applies to)."""
        return [pid for name in _AFFECTED for pid in self.status.get(name, ())]


@dataclass
class _Builder:
    branches: list[dict[str, Any]] = field(default_factory=list)
    standalone: list[dict[str, Any]] = field(default_factory=list)
    nodes: dict[tuple[Branch, ...], dict[str, Any]] = field(default_factory=dict)
    ids: dict[tuple[Branch, ...], str] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    fixes: dict[Branch, list[str]] = field(default_factory=dict)
    flags: dict[str, list[str]] = field(default_factory=dict)
    threats: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def next_id(self) -> str:
        self.count += 1
        return f"CSAFPID-{self.count:04d}"

    def product(self, path: tuple[Branch, ...], leaf: Branch, name: str, purl: str | None) -> str:
        key = (*path, leaf)
        if key in self.ids:
            return self.ids[key]
        siblings = self.branches
        for depth, (category, branch_name) in enumerate(path, start=1):
            node = self.nodes.get(path[:depth])
            if node is None:
                node = {"category": category, "name": branch_name, "branches": []}
                siblings.append(node)
                self.nodes[path[:depth]] = node
            siblings = node["branches"]
        pid = self.ids[key] = self.next_id()
        siblings.append({"category": leaf[0], "name": leaf[1], "product": _full(name, pid, purl)})
        return pid

    def mark(self, pid: str, status: str) -> None:
        # A product keeps its first status: two would contradict (test 6.1.6), which only a
        # malformed record can ask for, and the affected statements come first.
        self.status.setdefault(pid, status)

    def remedy(self, category: str, details: str, pid: str) -> None:
        ids = self.fixes.setdefault((category, details), [])
        if pid not in ids:
            ids.append(pid)

    def result(self) -> Products:
        tree: dict[str, Any] = {}
        if self.branches:
            tree["branches"] = self.branches
        if self.standalone:
            tree["full_product_names"] = self.standalone
        status: dict[str, list[str]] = {}
        for pid, name in self.status.items():
            status.setdefault(name, []).append(pid)
        remediations = [
            {"category": category, "details": details, "product_ids": ids}
            for (category, details), ids in self.fixes.items()
        ]
        flags = [{"label": label, "product_ids": ids} for label, ids in self.flags.items()]
        return Products(tree, status, remediations, flags, self.threats)


def build_products(record: osv.Record, meta: PublicationMeta) -> Products:
    """The product tree of ``record`` plus the products ``meta`` states a status for."""
    builder = _Builder()
    for entry in osv.affected(record):
        if entry.package is not None and entry.ordered_ranges:
            _ordered(builder, entry.package, entry.ordered_ranges)
        else:
            _enumerated(builder, entry)
    for statement in meta.statements:
        _statement(builder, statement)
    if not builder.status:
        raise InvalidInput(
            N_("the record lists no affected product and the publication states none"),
            field="affected",
        )
    return builder.result()


def _ordered(builder: _Builder, package: osv.Package, ranges: tuple[osv.Range, ...]) -> None:
    path = (("vendor", package.ecosystem), ("product_name", package.name))
    label = f"{package.ecosystem} {package.name}"
    for range_ in ranges:
        for interval in range_.intervals:
            spec = range_specifier(package, range_, interval)
            name = f"{label} {_human(interval)}"
            pid = builder.product(
                path, ("product_version_range", spec), name, package_purl(package)
            )
            builder.mark(pid, "known_affected")
            if interval.fixed is not None:
                scheme = vers_scheme(package, range_.kind)
                fixed = _version(builder, path, label, interval.fixed, scheme, package)
                builder.mark(fixed, "fixed")
                builder.remedy("vendor_fix", _fixed_in(package.name, interval.fixed), pid)
            elif interval.last_affected is not None:
                after = interval.last_affected
                text = f"Versions of {package.name} after {after} are not affected: upgrade."
                builder.remedy("vendor_fix", text, pid)
            else:
                builder.remedy("none_available", _no_fix(package.name), pid)


def _enumerated(builder: _Builder, entry: osv.Affected) -> None:
    named = _named(entry)
    if named is None:
        return  # neither a package nor a repository: nothing to name (invalid OSV)
    path, label, subject = named
    if not entry.versions and not entry.git_ranges:
        # A package named without versions: the record does not say which are affected.
        # The purl names the package (test 6.2.16) and the remediation says that nothing is
        # known to fix it (test 6.2.2), as for any product whose status is not settled.
        purl = None if entry.package is None else package_purl(entry.package)
        pid = builder.product(
            path, ("product_version_range", "vers:all/*"), f"{label} (all versions)", purl
        )
        builder.mark(pid, "under_investigation")
        builder.remedy("none_available", _unknown(subject), pid)
        return
    git = [(r, i) for r in entry.git_ranges for i in r.intervals]
    # Which interval an enumerated version falls in is unknown: each fix may be its fix.
    fixes = [("vendor_fix", _fixed_by(r, i)) for r, i in git if i.fixed is not None]
    scheme = None if entry.package is None else vers_scheme(entry.package, "ECOSYSTEM")
    for version in entry.versions:
        pid = _version(builder, path, label, version, scheme, entry.package)
        builder.mark(pid, "known_affected")
        for category, text in fixes or [("none_available", _no_fix(subject))]:
            builder.remedy(category, text, pid)
    for range_, interval in git:
        spec = range_specifier(None, range_, interval)
        name = f"{label} commits {_human(interval)}"
        pid = builder.product(path, ("product_version_range", spec), name, None)
        builder.mark(pid, "known_affected")
        if interval.fixed is None:
            builder.remedy("none_available", _no_fix(subject), pid)
            continue
        builder.mark(_version(builder, path, label, interval.fixed, None, None), "fixed")
        builder.remedy("vendor_fix", _fixed_by(range_, interval), pid)


def _named(entry: osv.Affected) -> tuple[tuple[Branch, ...], str, str] | None:
    """Where an entry's products go, how they are labelled, and what to call the software."""
    if entry.package is not None:
        package = entry.package
        path = (("vendor", package.ecosystem), ("product_name", package.name))
        return path, f"{package.ecosystem} {package.name}", package.name
    repos = [r.repo for r in entry.git_ranges if r.repo]
    if not repos:
        return None
    owner, project = osv.repo_owner_and_name(repos[0])
    return (("vendor", owner), ("product_name", project)), f"{owner}/{project}", project


def _version(
    builder: _Builder,
    path: tuple[Branch, ...],
    label: str,
    version: str,
    scheme: str | None,
    package: osv.Package | None,
) -> str:
    """A product for one version (or commit)."""
    leaf = ("product_version", version)
    if any(word in version.lower() for word in _RANGE_WORDS):
        # Such a name would fail test 6.1.31; a vers (or vls) of one version says the same.
        exact = vers_version(version)
        leaf = ("product_version_range", f"vers:{scheme}/{exact}" if scheme else exact)
    purl = None if package is None else package_purl(package, version)
    return builder.product(path, leaf, f"{label} {version}", purl)


def _statement(builder: _Builder, statement: ProductStatement) -> None:
    pid = builder.next_id()
    builder.standalone.append(_full(statement.name, pid, statement.purl))
    builder.mark(pid, statement.status.value)
    if statement.status is StatementStatus.UNDER_INVESTIGATION:
        # Test 6.2.2: a product under investigation says what can be done meanwhile.
        text = f"{statement.name} is under investigation: no fix is known yet."
        builder.remedy("none_available", text, pid)
    elif statement.status is StatementStatus.AFFECTED:
        # Test 6.1.27.10: a known affected product says what to do.
        if statement.fixed_versions:
            fixes = ", ".join(statement.fixed_versions)
            builder.remedy("vendor_fix", f"{statement.name} is fixed in {fixes}.", pid)
        else:
            builder.remedy("none_available", _no_fix(statement.name), pid)
    if statement.justification is not None:
        builder.flags.setdefault(statement.justification.value, []).append(pid)
    if statement.impact_statement:
        threat = {"category": "impact", "details": statement.impact_statement, "product_ids": [pid]}
        builder.threats.append(threat)


def _full(name: str, pid: str, purl: str | None) -> dict[str, Any]:
    product: dict[str, Any] = {"name": name, "product_id": pid}
    if purl:
        product["product_identification_helper"] = {"purl": purl}
    return product


def _human(interval: osv.Interval) -> str:
    parts = [] if interval.introduced is None else [f">={interval.introduced}"]
    if interval.fixed is not None:
        parts.append(f"<{interval.fixed}")
    elif interval.last_affected is not None:
        parts.append(f"<={interval.last_affected}")
    elif interval.limit is not None:
        parts.append(f"<{interval.limit}")
    return ", ".join(parts) or "(all versions)"


def _fixed_in(package: str, version: str) -> str:
    return f"Fixed in {package} {version}: upgrade to it, or to a later version not listed."


def _fixed_by(range_: osv.Range, interval: osv.Interval) -> str:
    return f"Fixed by commit {interval.fixed} of {range_.repo}."


def _unknown(subject: str) -> str:
    return f"The record does not say which versions of {subject} are affected; no fix is known."


def _no_fix(subject: str) -> str:
    return f"No fixed version of {subject} is known."
