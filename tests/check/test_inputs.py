"""Reading inputs: every format from a realistic file, recognized by name or content; what is
not pinned said; a malformed file named with its line or path and the problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cyclonedx.model.bom import Bom
from defusedxml import ElementTree

from accord.check import inputs
from accord.check.interface import Reading
from tests.check.conftest import DATA


def _packages(reading: Reading) -> set[tuple[str, str, str]]:
    return {(d.ecosystem, d.name, d.version) for d in reading.dependencies}


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        (
            "requirements.txt",
            "requirements",
            {
                ("PyPI", "jinja2", "2.10"),
                ("PyPI", "PyYAML", "5.3"),
                ("PyPI", "urllib3", "1.24.1"),
                ("PyPI", "requests", "2.19.0"),
                ("PyPI", "werkzeug", "2.3.8"),
                ("PyPI", "cryptography", "41.0.0"),
                ("PyPI", "certifi", "2023.7.22"),
            },
        ),
        (
            "poetry.lock",
            "poetry.lock",
            {("PyPI", "jinja2", "2.10"), ("PyPI", "markupsafe", "2.0.1")},
        ),
        ("uv.lock", "uv.lock", {("PyPI", "certifi", "2018.4.16"), ("PyPI", "urllib3", "1.24.1")}),
        (
            "Pipfile.lock",
            "Pipfile.lock",
            {
                ("PyPI", "requests", "2.19.0"),
                ("PyPI", "pyyaml", "5.3"),
                ("PyPI", "werkzeug", "0.15.2"),
            },
        ),
        (
            "package-lock.json",
            "package-lock.json",
            {
                ("npm", "lodash", "4.17.15"),
                ("npm", "@babel/traverse", "7.22.0"),
                ("npm", "string-width", "4.2.3"),
                ("npm", "lodash", "4.17.21"),
            },
        ),
        (
            "package-lock-v1.json",
            "package-lock.json",
            {
                ("npm", "lodash", "4.17.11"),
                ("npm", "minimist", "0.0.8"),
                ("npm", "lodash", "3.10.1"),
            },
        ),
        (
            "yarn.lock",
            "yarn.lock",
            {("npm", "@babel/code-frame", "7.22.13"), ("npm", "lodash", "4.17.15")},
        ),
        (
            "yarn-berry.lock",
            "yarn.lock",
            {("npm", "@babel/code-frame", "7.22.13"), ("npm", "lodash", "4.17.15")},
        ),
        (
            "pnpm-lock.yaml",
            "pnpm-lock.yaml",
            {("npm", "@babel/code-frame", "7.22.13"), ("npm", "lodash", "4.17.15")},
        ),
        (
            "pnpm-lock-v6.yaml",
            "pnpm-lock.yaml",
            {
                ("npm", "loose-envify", "1.4.0"),
                ("npm", "react-dom", "18.2.0"),
                ("npm", "@types/node", "20.8.0"),
            },
        ),
        (
            "Cargo.lock",
            "Cargo.lock",
            {("crates.io", "hyper", "0.14.10"), ("crates.io", "smallvec", "1.6.0")},
        ),
        (
            "go.sum",
            "go.sum",
            {
                ("Go", "github.com/gin-gonic/gin", "v1.6.3"),
                ("Go", "golang.org/x/text", "v0.3.3"),
                ("Go", "github.com/docker/docker", "v20.10.0"),
            },
        ),
        (
            "Gemfile.lock",
            "Gemfile.lock",
            {
                ("RubyGems", "actionpack", "5.2.0"),
                ("RubyGems", "nokogiri", "1.10.3"),
                ("RubyGems", "rack", "2.0.6"),
            },
        ),
        ("app.spdx.json", "SPDX", {("PyPI", "jinja2", "2.10"), ("npm", "lodash", "4.17.15")}),
        ("app.spdx", "SPDX", {("PyPI", "requests", "2.19.0"), ("PyPI", "urllib3", "1.24.1")}),
    ],
)
def test_each_format(name: str, kind: str, expected: set[tuple[str, str, str]]) -> None:
    reading = inputs.read_file(DATA / name)
    assert reading.errors == []
    assert reading.kind == kind
    assert _packages(reading) == expected


def test_recognized_by_content_under_any_name(tmp_path: Path) -> None:
    for name in (
        "poetry.lock",
        "uv.lock",
        "Cargo.lock",
        "Gemfile.lock",
        "go.sum",
        "yarn.lock",
        "pnpm-lock.yaml",
        "Pipfile.lock",
        "package-lock.json",
        "app.spdx",
        "oldvenv.cdx.json",
        "oldvenv-1.4.cdx.xml",
        "freeze-requirements.txt",
    ):
        renamed = tmp_path / f"input-{len(name)}-{name.replace('.', '-')}"
        shutil.copy(DATA / name, renamed)
        by_name, by_content = inputs.read_file(DATA / name), inputs.read_file(renamed)
        assert by_content.kind == by_name.kind, name
        assert _packages(by_content) == _packages(by_name), name


def test_what_is_not_checked_is_said() -> None:
    reading = inputs.read_file(DATA / "requirements.txt")
    notices = [str(n) for n in reading.notices]
    assert any(
        n.endswith("requirements.txt:8: flask is not pinned (>=1.0), not checked") for n in notices
    )
    assert any(":11: editable requirement" in n for n in notices)
    assert any(":12: -r is not followed" in n for n in notices)
    assert [str(n).split(": ", 1)[1] for n in inputs.read_file(DATA / "Cargo.lock").notices] == [
        "patched comes from git, not checked"
    ]


@pytest.mark.parametrize(
    ("name", "text", "where", "problem"),
    [
        ("requirements.txt", "jinja2==2.10\nflask = 2.0\n", ":2", "not a requirement"),
        (
            "package-lock.json",
            '{\n  "lockfileVersion": 3,\n  "packages": {\n',
            ":4",
            "not valid JSON",
        ),
        (
            "package-lock.json",
            '{"lockfileVersion": 7, "packages": {}}',
            " at lockfileVersion",
            "not 1, 2 or 3",
        ),
        ("Cargo.lock", '[[package]]\nname = "x"\nversion = \n', "", "not valid TOML"),
        (
            "pnpm-lock.yaml",
            "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: [\n",
            ":4",
            "not valid YAML",
        ),
        (
            "go.sum",
            "golang.org/x/text v0.3.3 h1:abc=\nnot a go.sum line\n",
            ":2",
            "expected 'module version h1:hash'",
        ),
        (
            "yarn.lock",
            '# yarn lockfile v1\n\nlodash@^4:\n  resolved "x"\n',
            ":3",
            "has no version line",
        ),
        (
            "bom.json",
            '{"bomFormat": "CycloneDX", "specVersion": "1.2", "components": []}',
            " at specVersion",
            "CycloneDX 1.2 is not supported",
        ),
        (
            "bom.json",
            '{"bomFormat": "CycloneDX", "specVersion": "1.5", '
            '"components": [{"name": "x", "purl": "pkg:"}]}',
            " at components[0]",
            "invalid package URL",
        ),
        (
            "bom.xml",
            '<bom xmlns="http://cyclonedx.org/schema/bom/1.5">\n<components>\n</bom>',
            ":3",
            "not well-formed XML",
        ),
        ("app.spdx", "SPDXVersion: SPDX-2.3\nPackageName jinja\n", "", "line 2"),
        ("Gemfile.lock", "PLATFORMS\n  ruby\n", "", "no GEM section"),
    ],
)
def test_malformed_files_name_the_place_and_problem(
    tmp_path: Path, name: str, text: str, where: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    reading = inputs.read_file(path)
    assert reading.errors, name
    message = str(reading.errors[0])
    assert message.startswith(f"{path}{where}"), message
    assert problem in message


def test_one_bad_input_does_not_stop_the_others(tmp_path: Path) -> None:
    bad = tmp_path / "Cargo.lock"
    bad.write_bytes(b"\xff\xfe not text")
    first, second = inputs.read_all([bad, DATA / "poetry.lock"])
    assert "not UTF-8 text" in str(first.errors[0])
    assert _packages(second) == {("PyPI", "jinja2", "2.10"), ("PyPI", "markupsafe", "2.0.1")}
    unknown = tmp_path / "notes.md"
    unknown.write_text("# Notes\n\nnothing to see\n")
    assert "not a format accord check reads" in str(inputs.read_file(unknown).errors[0])


# The library warns that a 1.4 document's tools are deprecated in 1.5: not our concern here.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name", ["oldvenv.cdx.json", "frozen-1.6.cdx.json", "oldvenv-1.4.cdx.xml"])
def test_cyclonedx_components_are_those_the_library_reads(name: str) -> None:
    # cyclonedx-python-lib reads the same SBOMs (generated by cyclonedx-py from a real venv).
    if name.endswith(".xml"):
        bom = Bom.from_xml(ElementTree.parse(DATA / name).getroot())  # type: ignore[attr-defined]
    else:
        bom = Bom.from_json(json.loads((DATA / name).read_text()))  # type: ignore[attr-defined]
    library = {str(c.purl) for c in bom.components if c.purl}
    ours = {d.purl for d in inputs.read_file(DATA / name).dependencies}
    assert ours == library
    assert len(ours) >= 7


def test_the_running_environment_is_read() -> None:
    reading = inputs.read_environment(None)
    names = {d.name.lower() for d in reading.dependencies}
    assert {"fastapi", "packaging", "httpx"} <= names


@pytest.mark.parametrize(
    ("name", "escaped"),
    [("frozen-1.6.cdx.json", False), ("frozen-1.6.cdx.json", True), ("oldvenv-1.4.cdx.xml", False)],
)
def test_each_sbom_component_is_placed_on_the_line_that_spells_its_purl(
    name: str, escaped: bool
) -> None:
    # Code-scanning tools place a result by its line. JSON may escape "/" as "\/" (PHP and
    # some Java writers do): the purl is then spelled differently but on the same line.
    text = (DATA / name).read_text()
    if escaped:
        text = text.replace("/", "\\/")
    reading = inputs.read_text(text, name=Path(name), shown=name)
    lines = text.splitlines()
    assert len(reading.dependencies) >= 7
    for dep in reading.dependencies:
        assert dep.purl is not None
        assert dep.location.line is not None, dep.purl
        spelled = dep.purl.replace("/", "\\/") if escaped else dep.purl
        assert spelled in lines[dep.location.line - 1].replace("&amp;", "&")
