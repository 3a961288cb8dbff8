"""The advisory editor's form, as a publisher fills it in, and the API's fields it stands for.

The form names affected packages row by row (ecosystem, package, and the version that
introduced the flaw, the one that fixed it or the last one affected), builds CVSS 3.1 and 4.0
vectors from one choice per base metric, picks weaknesses by CWE id or name and lists
credits and references (each one's OSV type picked from a list by its plain name); OSV JSON
for the affected packages stays available as an advanced choice. Rows are numbered fields
(``range-0-package``, ``reference-0-url``...), so a page adds one with a plain submit button.

Nothing here touches the database: :func:`from_form` reads what was sent, :func:`from_record`
what is stored, :func:`to_fields` turns a form into ``AdvisoryFields`` input with the
problems it found by field, for the page to show beside each.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from accord import limits
from accord.advisories import editor_rows, scoring
from accord.errors import AccordError, Message
from accord.web.i18n import N_

MAX_ROWS = 50
# A record holds up to 200 references (the API's limit): every one is read into a row, so
# saving a record read into the editor drops none.
MAX_REFERENCES = 200
# OSV's reference types (every one of the OSV schema's), each with the words a person picks.
REFERENCE_TYPES: tuple[tuple[str, str], ...] = (
    ("ADVISORY", N_("Advisory (a published security advisory)")),
    ("ARTICLE", N_("Article (a blog post or news story)")),
    ("DETECTION", N_("Detection (a tool or rule that finds the flaw)")),
    ("DISCUSSION", N_("Discussion (a mailing list, forum or issue thread)")),
    ("REPORT", N_("Report (the issue or bug report)")),
    ("FIX", N_("Fix (a patch or commit)")),
    ("INTRODUCED", N_("Introduced (the commit that brought the flaw)")),
    ("GIT", N_("Git repository")),
    ("PACKAGE", N_("Package (its page in a registry)")),
    ("EVIDENCE", N_("Evidence (a proof of concept or exploit)")),
    ("WEB", N_("Web page (anything else)")),
)
# A reference's address, as the API takes it (``osv.Url``).
_URL = re.compile(r"^https?://\S+$")
_URL_LENGTH = 2000
CREDIT_TYPES = (
    "FINDER",
    "REPORTER",
    "ANALYST",
    "COORDINATOR",
    "REMEDIATION_DEVELOPER",
    "REMEDIATION_REVIEWER",
    "REMEDIATION_VERIFIER",
    "TOOL",
    "SPONSOR",
    "OTHER",
)
_CWE = re.compile(r"^\s*(?:CWE-)?(\d{1,5})\b", re.IGNORECASE)

# CVSS base metrics: (key, label, ((value, label), ...)), in the vector's order.
Metric = tuple[str, str, tuple[tuple[str, str], ...]]
_IMPACT = (("H", N_("High")), ("L", N_("Low")), ("N", N_("None")))
_VECTOR = (("N", N_("Network")), ("A", N_("Adjacent")), ("L", N_("Local")), ("P", N_("Physical")))
CVSS3_METRICS: tuple[Metric, ...] = (
    ("AV", N_("Attack vector"), _VECTOR),
    ("AC", N_("Attack complexity"), (("L", N_("Low")), ("H", N_("High")))),
    ("PR", N_("Privileges required"), (("N", N_("None")), ("L", N_("Low")), ("H", N_("High")))),
    ("UI", N_("User interaction"), (("N", N_("None")), ("R", N_("Required")))),
    ("S", N_("Scope"), (("U", N_("Unchanged")), ("C", N_("Changed")))),
    ("C", N_("Confidentiality"), _IMPACT),
    ("I", N_("Integrity"), _IMPACT),
    ("A", N_("Availability"), _IMPACT),
)
CVSS4_METRICS: tuple[Metric, ...] = (
    ("AV", N_("Attack vector"), _VECTOR),
    ("AC", N_("Attack complexity"), (("L", N_("Low")), ("H", N_("High")))),
    ("AT", N_("Attack requirements"), (("N", N_("None")), ("P", N_("Present")))),
    ("PR", N_("Privileges required"), (("N", N_("None")), ("L", N_("Low")), ("H", N_("High")))),
    (
        "UI",
        N_("User interaction"),
        (("N", N_("None")), ("P", N_("Passive")), ("A", N_("Active"))),
    ),
    ("VC", N_("Confidentiality of the vulnerable system"), _IMPACT),
    ("VI", N_("Integrity of the vulnerable system"), _IMPACT),
    ("VA", N_("Availability of the vulnerable system"), _IMPACT),
    ("SC", N_("Confidentiality of other systems"), _IMPACT),
    ("SI", N_("Integrity of other systems"), _IMPACT),
    ("SA", N_("Availability of other systems"), _IMPACT),
)


@dataclass
class Editor:
    """What the form holds, as text, ready to be drawn again."""

    summary: str = ""
    plain_summary: str = ""
    details: str = ""
    aliases: str = ""
    references: list[dict[str, str]] = field(default_factory=list)
    tlp: str = "CLEAR"
    ranges: list[dict[str, str]] = field(default_factory=list)
    credits: list[dict[str, str]] = field(default_factory=list)
    cwes: list[str] = field(default_factory=list)
    v3: dict[str, str] = field(default_factory=dict)
    v4: dict[str, str] = field(default_factory=dict)
    use_json: bool = False
    affected_json: str = ""
    # What the record's affected entries hold beyond the rows (a package's purl, its
    # ecosystem_specific...), kept as JSON in a hidden field: [[ecosystem, name, {...}], ...].
    affected_extra: str = ""

    def pad(self) -> Editor:
        """At least one empty row of each kind, for the page to offer."""
        if not self.ranges:
            self.ranges.append(editor_rows.empty_range())
        if not self.credits:
            self.credits.append({"name": "", "type": ""})
        if not self.cwes:
            self.cwes.append("")
        if not self.references:
            self.references.append(empty_reference())
        return self


def empty_reference() -> dict[str, str]:
    """An empty reference row: a web page until its type is picked."""
    return {"type": "WEB", "url": ""}


def _count(form: Mapping[str, str], name: str, most: int = MAX_ROWS) -> int:
    try:
        return max(0, min(int(form.get(name, "0")), most))
    except ValueError:
        return 0


def from_form(form: Mapping[str, str]) -> Editor:
    """The editor as sent; ``add`` (the name of the button pressed) adds an empty row."""
    editor = Editor(
        summary=form.get("summary", "").strip(),
        plain_summary=form.get("plain_summary", "").strip(),
        details=form.get("details", "").strip(),
        aliases=form.get("aliases", "").strip(),
        tlp=form.get("tlp", "CLEAR").strip() or "CLEAR",
        use_json=form.get("use_json") == "yes",
        affected_json=form.get("affected_json", ""),
        affected_extra=form.get("affected_extra", ""),
    )
    for i in range(_count(form, "ranges")):
        row = {key: form.get(f"range-{i}-{key}", "").strip() for key in ("ecosystem", "package")}
        kind = form.get(f"range-{i}-type", "").strip()
        row["type"] = kind if kind in editor_rows.RANGE_TYPES else editor_rows.RANGE_TYPES[0]
        row.update(
            {kind: form.get(f"range-{i}-{kind}", "").strip() for kind in editor_rows.EVENT_KINDS}
        )
        editor.ranges.append(row)
    for i in range(_count(form, "credit_rows")):
        editor.credits.append(
            {
                "name": form.get(f"credit-{i}-name", "").strip(),
                "type": form.get(f"credit-{i}-type", "").strip(),
            }
        )
    for i in range(_count(form, "cwe_rows")):
        editor.cwes.append(form.get(f"cwe-{i}", "").strip())
    for i in range(_count(form, "reference_rows", MAX_REFERENCES)):
        editor.references.append(
            {
                "type": form.get(f"reference-{i}-type", "").strip().upper() or "WEB",
                "url": form.get(f"reference-{i}-url", "").strip(),
            }
        )
    editor.v3 = {key: form.get(f"v3-{key}", "") for key, _, _ in CVSS3_METRICS}
    editor.v4 = {key: form.get(f"v4-{key}", "") for key, _, _ in CVSS4_METRICS}
    for version, metrics in (("v3", editor.v3), ("v4", editor.v4)):
        pasted = form.get(f"cvss_{version}", "").strip()
        if form.get(f"{version}-none") == "yes":
            metrics.clear()
        elif pasted:
            metrics.update(_metrics_of(pasted))
            metrics["pasted"] = pasted
    add = form.get("add", "")
    if add == "range" and len(editor.ranges) < MAX_ROWS:
        last = editor.ranges[-1] if editor.ranges else editor_rows.empty_range()
        editor.ranges.append(
            editor_rows.empty_range(last["ecosystem"], last["package"], last["type"])
        )
    elif add == "credit" and len(editor.credits) < MAX_ROWS:
        editor.credits.append({"name": "", "type": ""})
    elif add == "cwe" and len(editor.cwes) < MAX_ROWS:
        editor.cwes.append("")
    elif add == "reference" and len(editor.references) < MAX_REFERENCES:
        editor.references.append(empty_reference())
    return editor.pad()


def _metrics_of(vector: str) -> dict[str, str]:
    parts = vector.strip().split("/")[1:]
    return dict(part.split(":", 1) for part in parts if ":" in part)


def from_record(record: Mapping[str, Any], hub: Mapping[str, Any]) -> Editor:
    """The editor for a stored record (a draft, or the published one to edit)."""
    severity = {s["type"]: s["score"] for s in record.get("severity") or []}
    editor = Editor(
        summary=record.get("summary", ""),
        plain_summary=hub.get("plain_summary", ""),
        details=record.get("details", ""),
        aliases=" ".join(record.get("aliases", [])),
        references=[
            {"type": r.get("type", ""), "url": r.get("url", "")}
            for r in record.get("references", [])
        ],
        tlp=hub.get("tlp", "CLEAR"),
        credits=[
            {"name": c.get("name", ""), "type": c.get("type", "")}
            for c in record.get("credits", [])
        ],
        cwes=list(hub.get("cwe_ids", [])),
        v3=_metrics_of(severity.get("CVSS_V3", "")),
        v4=_metrics_of(severity.get("CVSS_V4", "")),
    )
    affected = record.get("affected", [])
    rows = editor_rows.rows_of(affected)
    if rows is None:  # more than rows say (versions lists, git ranges...): JSON, as it is
        editor.use_json = True
        editor.affected_json = json.dumps(affected, indent=2)
    else:
        editor.ranges = rows
        editor.affected_extra = editor_rows.extras_text(affected)
    return editor.pad()


def vector(version: str, metrics: Mapping[str, str]) -> str | None:
    """The CVSS vector the chosen metrics make (None: none chosen); a partial choice is
    refused, naming what is missing."""
    table = CVSS3_METRICS if version == "v3" else CVSS4_METRICS
    chosen = {key: metrics.get(key, "") for key, _, _ in table}
    if not any(chosen.values()):
        return metrics.get("pasted") or None
    missing = [label for key, label, _ in table if not chosen[key]]
    if missing:
        name = "CVSS 3.1" if version == "v3" else "CVSS 4.0"
        raise AccordError(
            f"cvss_{version}: choose a value for each {name} metric; missing: "
            + ", ".join(missing),
            field=f"cvss_{version}",
        )
    prefix = "CVSS:3.1" if version == "v3" else "CVSS:4.0"
    return "/".join([prefix, *(f"{key}:{value}" for key, value in chosen.items())])


def score(version: str, metrics: Mapping[str, str]) -> scoring.Score | None:
    """The base score of the chosen metrics, computed by the ``cvss`` library (None: none
    chosen or a choice incomplete, which :func:`to_fields` reports)."""
    try:
        made = vector(version, metrics)
        if made is None:
            return None
        return (scoring.cvss_v3 if version == "v3" else scoring.cvss_v4)(
            made, field=f"cvss_{version}"
        )
    except AccordError:
        return None


def to_fields(editor: Editor) -> tuple[dict[str, Any], dict[str, str]]:
    """The API's fields for the form, and the problems found, by the form's field names."""
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {
        # Empty: none written (a new draft is refused for it; an edit keeps the record's,
        # and a record that has none, as many imported ones, is saved without one).
        "summary": editor.summary or None,
        "plain_summary": editor.plain_summary,
        "details": editor.details,
        "aliases": editor.aliases.split(),
        "references": _references(editor.references, errors),
        "tlp": editor.tlp,
    }
    if editor.use_json:
        try:
            fields["affected"] = limits.load_json(
                editor.affected_json.strip() or "[]", what="affected", field="affected_json"
            )
        except ValueError as exc:
            errors["affected_json"] = f"affected_json: not valid JSON ({exc})"
    else:
        fields["affected"] = editor_rows.affected(
            editor.ranges, editor_rows.kept_extras(editor.affected_extra), errors
        )
    fields["credits"] = [
        {"name": c["name"], **({"type": c["type"]} if c["type"] else {})}
        for c in editor.credits
        if c["name"]
    ]
    cwes: list[str] = []
    for i, text in enumerate(editor.cwes):
        if not text:
            continue
        found = _CWE.match(text)
        if found is None:
            errors[f"cwe-{i}"] = (
                f"cwe-{i}: write a CWE id such as CWE-79, or pick one from the list"
            )
        elif f"CWE-{found.group(1)}" not in cwes:
            cwes.append(f"CWE-{found.group(1)}")
    fields["cwe_ids"] = cwes
    for version, metrics in (("v3", editor.v3), ("v4", editor.v4)):
        try:
            made = vector(version, metrics)
            if made is not None:
                (scoring.cvss_v3 if version == "v3" else scoring.cvss_v4)(
                    made, field=f"cvss_{version}"
                )
            fields[f"cvss_{version}"] = made
        except AccordError as exc:
            errors[f"cvss_{version}"] = exc.message
    return fields, errors


def _references(rows: list[dict[str, str]], errors: dict[str, str]) -> list[dict[str, str]]:
    """OSV ``references`` of the rows that name an address, in their order; an address the
    API would refuse is named beside its own row (the API could only say its place in the
    list, which empty rows left out would shift)."""
    found: list[dict[str, str]] = []
    for i, row in enumerate(rows):
        if not row["url"]:
            continue  # an empty row, whatever its type
        if len(row["url"]) > _URL_LENGTH or not _URL.match(row["url"]):
            errors[f"reference-{i}-url"] = Message(
                N_("Write the whole address, starting with https:// or http://.")
            )
            continue
        found.append({"type": row["type"], "url": row["url"]})
    return found


def field_of(name: str) -> str:
    """The form's field a problem of the API's field ``name`` is shown beside."""
    head = re.split(r"[.\[/]", name.strip("/"))[0]
    if head == "cwe_ids":
        return "cwe-0"
    if head == "affected":
        return "affected"
    return head
