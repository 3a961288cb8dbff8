"""Every parser of outside input, driven with hostile input in a child held to 1 GiB of address
space and a time bound (tests/bounded.py): alias bombs, zip bombs, deep nesting, patterns
that make the STIX grammar's parser recurse. Each must end in its clear refusal, in time."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord import limits
from accord.advisories import importer
from accord.check.inputs import read_text
from accord.config import Settings
from accord.sharing import patterns
from tests.bounded import Answer, Bounded

FUZZ = settings(
    max_examples=6,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RECORD = "id: PYSEC-0000-1\nmodified: '2024-01-01T00:00:00Z'\nsummary: x\ndatabase_specific:\n"


@pytest.fixture(scope="module")
def child(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bounded]:
    folder = str(tmp_path_factory.mktemp("bounded"))
    bounded = Bounded(seconds=20.0, env={"ACCORD_BOUNDED_DIR": folder})
    yield bounded
    bounded.close()


def _within(answer: Answer, *, seconds: float = 10.0) -> None:
    """Ended by itself, in time, without running out of memory or stack."""
    assert answer.outcome not in ("timeout", "died", "MemoryError", "RecursionError"), answer
    assert answer.seconds < seconds, answer
    assert answer.peak < 768 * 1024**2, answer


@st.composite
def alias_bombs(draw: st.DrawFn) -> str:
    """The billion laughs in YAML: each level lists the one before ``width`` times."""
    levels, width = draw(st.integers(8, 10)), draw(st.integers(8, 10))
    name = draw(st.sampled_from(["a", "lol", "x_"]))
    leaf = draw(st.text("abc", min_size=1, max_size=4))
    lines = [f"  {name}0: &{name}0 [{leaf!r}]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*{name}{level - 1}"] * width)
        lines.append(f"  {name}{level}: &{name}{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def nested(kind: str, depth: int) -> str:
    """A document of ``kind`` whose arrays or elements nest ``depth`` deep."""
    if kind == "json":
        return '{"a":' * depth + "1" + "}" * depth
    if kind == "json-array":
        return "[" * depth + "]" * depth
    if kind == "yaml":
        return "a: " + "[" * depth + "]" * depth + "\n"
    if kind == "toml":
        return "a = " + "[" * depth + "]" * depth + "\n"
    assert kind == "xml"
    component = "<component><name>x</name><components>"
    return (
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>'
        + component * depth
        + "</components></component>" * depth
        + "</components></bom>"
    )


depths = st.integers(min_value=2_000, max_value=60_000)
yaml_depths = st.integers(min_value=limits.MAX_DEPTH + 1, max_value=999)


@FUZZ
@given(bomb=alias_bombs())
def test_a_yaml_alias_bomb_is_refused_before_it_is_built(child: Bounded, bomb: str) -> None:
    answer = child.call(
        "tests.limits_targets:import_file", b"bomb.yaml\0" + (RECORD + bomb).encode()
    )
    _within(answer)
    assert answer.outcome == "LimitExceeded", answer
    assert "YAML aliases expand to more than 100,000 nodes" in answer.detail


@FUZZ
@given(kind=st.sampled_from(["json", "json-array", "yaml"]), data=st.data())
def test_deeply_nested_records_are_refused_on_import(
    child: Bounded, kind: str, data: st.DataObject
) -> None:
    # libyaml refuses a thousand levels itself ("while increasing flow level"): below that,
    # the bound is the hub's.
    depth = data.draw(yaml_depths if kind == "yaml" else depths)
    name = "deep.json" if kind.startswith("json") else "deep.yaml"
    answer = child.call(
        "tests.limits_targets:import_file", f"{name}\0{nested(kind, depth)}".encode()
    )
    _within(answer)
    assert answer.outcome == "LimitExceeded", answer
    assert f"{name}: nested deeper than {limits.MAX_DEPTH} levels" in answer.detail


def _zip_bomb(size: int, filler: bytes, name: str) -> bytes:
    buffer = io.BytesIO()
    chunk = filler * (1024 * 1024)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        for _ in range(size // len(chunk)):
            member.write(chunk)
    return buffer.getvalue()


@settings(FUZZ, max_examples=3)
@given(
    mebibytes=st.integers(min_value=1024, max_value=1536),
    filler=st.sampled_from([b" ", b"\n", b"0"]),
    name=st.sampled_from(["PYSEC-1.json", "GHSA-1.yaml", "deep/nested/x.json"]),
)
@pytest.mark.slow
def test_a_zip_bomb_member_is_refused_unread(
    child: Bounded, mebibytes: int, filler: bytes, name: str
) -> None:
    archive = _zip_bomb(mebibytes * 1024**2, filler, name)
    assert len(archive) < 8 * 1024**2
    answer = child.call("tests.limits_targets:import_file", b"bomb.zip\0" + archive)
    _within(answer)
    # Refused unread, and alone: the archive's other members would still be imported.
    assert answer.outcome == "ok", answer
    assert "'rejected'>: 1" in answer.detail
    assert "larger than 64 MiB" in answer.detail


CHECK_FILES = {
    "json": "package-lock.json",
    "json-array": "bom.json",
    "yaml": "pnpm-lock.yaml",
    "toml": "poetry.lock",
    "xml": "bom.xml",
}


@FUZZ
@given(kind=st.sampled_from(sorted(CHECK_FILES)), data=st.data())
def test_deeply_nested_check_inputs_are_reported_not_crashed_on(
    child: Bounded, kind: str, data: st.DataObject
) -> None:
    depth = data.draw(yaml_depths if kind == "yaml" else depths)
    name = CHECK_FILES[kind]
    answer = child.call(
        "tests.limits_targets:check_file", f"{name}\0{nested(kind, depth)}".encode()
    )
    _within(answer)
    assert answer.outcome == "ok", answer
    assert f"nested deeper than {limits.MAX_DEPTH} levels" in answer.detail


@st.composite
def hostile_patterns(draw: st.DrawFn) -> str:
    comparison = draw(st.sampled_from(["file:name = 'a'", "ipv4-addr:value = '10.0.0.1'"]))
    shape = draw(st.sampled_from(["parens", "unclosed", "brackets", "terms", "observations"]))
    if shape in ("terms", "observations"):
        count = draw(st.integers(min_value=limits.MAX_PATTERN_TERMS + 1, max_value=1_500))
        if shape == "terms":
            return "[" + " OR ".join([comparison] * count) + "]"
        return " AND ".join([f"[{comparison}]"] * count)
    depth = draw(st.integers(min_value=400, max_value=5_000))
    if shape == "parens":
        return "(" * depth + f"[{comparison}]" + ")" * depth
    if shape == "unclosed":
        return "(" * depth + f"[{comparison}]"
    return "[" + "(" * depth + comparison + ")" * depth + "]"


@settings(FUZZ, max_examples=10)
@given(pattern=hostile_patterns())
def test_hostile_stix_patterns_are_refused_quickly(child: Bounded, pattern: str) -> None:
    answer = child.call("tests.limits_targets:stix_pattern", pattern.encode())
    _within(answer, seconds=1.0)
    assert answer.outcome == "ok", answer
    assert answer.detail.startswith("False ('the pattern "), answer


@FUZZ
@given(kind=st.sampled_from(["property", "extension"]), depth=depths)
def test_deeply_nested_taxii_envelopes_are_refused(child: Bounded, kind: str, depth: int) -> None:
    inner = '{"a":' * depth + "1" + "}" * depth
    key = "x_deep" if kind == "property" else "extensions"
    envelope = f'{{"objects": [{{"type": "indicator", "{key}": {inner}}}]}}'
    answer = child.call("tests.limits_targets:taxii_envelope", envelope.encode())
    _within(answer)
    assert answer.outcome == "LimitExceeded", answer
    assert answer.detail == f"the body: nested deeper than {limits.MAX_DEPTH} levels"


# -- the bounds themselves, in process -----------------------------------------------------


def test_ordinary_yaml_anchors_still_load() -> None:
    text = "base: &b {a: 1, b: [1, 2]}\none: *b\ntwo: *b\n"
    assert limits.load_yaml(text, what="x") == {
        "base": {"a": 1, "b": [1, 2]},
        "one": {"a": 1, "b": [1, 2]},
        "two": {"a": 1, "b": [1, 2]},
    }


def test_a_recursive_yaml_alias_is_refused() -> None:
    with pytest.raises(limits.LimitExceeded, match=r"x: the YAML alias \*a refers to itself"):
        limits.load_yaml("a: &a [1, *a]\n", what="x")


def test_an_undefined_alias_is_yamls_own_error() -> None:
    import yaml

    with pytest.raises(yaml.YAMLError, match="found undefined alias"):
        limits.load_yaml("a: *nowhere\n", what="x")


def test_nesting_at_the_bound_is_read_and_one_more_is_not() -> None:
    at = "[" * limits.MAX_DEPTH + "]" * limits.MAX_DEPTH
    assert limits.load_json(at, what="x") is not None
    with pytest.raises(limits.LimitExceeded, match="nested deeper than 64 levels"):
        limits.load_json("[" + at + "]", what="x")
    with pytest.raises(limits.LimitExceeded):
        limits.load_yaml("[" + at + "]", what="x")
    assert limits.load_yaml(at, what="x") is not None


def test_patterns_within_the_bounds_are_still_checked() -> None:
    nested_ok = "(" * 20 + "[file:name = '((((']" + ")" * 20
    assert patterns.check(nested_ok).valid
    many = " OR ".join(f"[file:name = 'f{i}']" for i in range(limits.MAX_PATTERN_TERMS - 1))
    assert patterns.check(many).valid


def _archive(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_member_count_and_total_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    path = _archive(tmp_path, {f"R-{i}.json": b"{}" for i in range(3)})
    monkeypatch.setattr(limits, "MAX_ZIP_MEMBERS", 2)
    with pytest.raises(limits.LimitExceeded, match=r"a\.zip: more than 2 files in the archive"):
        list(importer.read(str(path), settings=settings))
    monkeypatch.setattr(limits, "MAX_ZIP_MEMBERS", 10)
    monkeypatch.setattr(limits, "MAX_ZIP_TOTAL_BYTES", 5)
    with pytest.raises(limits.TooLarge, match=r"a\.zip: uncompresses to more than 5 bytes"):
        list(importer.read(str(path), settings=settings))


def test_a_member_compressed_past_the_ratio_is_refused(tmp_path: Path, settings: Settings) -> None:
    path = _archive(tmp_path, {"R-1.json": b" " * (4 * 1024**2) + b"{}"})
    [source] = list(importer.read(str(path), settings=settings))
    assert source.where.endswith("a.zip!R-1.json")
    assert source.error is not None
    assert "compressed more than 200 to 1" in source.error


def test_a_member_larger_than_its_header_says_is_not_read_whole(
    tmp_path: Path, settings: Settings
) -> None:
    path = _archive(tmp_path, {"R-1.json": b'{"id": "' + b"x" * 100_000 + b'"}'})
    data = path.read_bytes()
    # Rewrite the declared size (local header and central directory) to 10 bytes.
    real = (100_000 + 10).to_bytes(4, "little")
    path.write_bytes(data.replace(real, (10).to_bytes(4, "little")))
    [source] = list(importer.read(str(path), settings=settings))
    assert source.error is not None
    assert source.content is None


def test_a_limit_on_the_page_is_refused_whole() -> None:
    with pytest.raises(limits.LimitExceeded, match=r"poetry\.lock: nested deeper"):
        read_text(nested("toml", 100), name=Path("poetry.lock"), shown="poetry.lock", refuse=True)
    reading = read_text(nested("toml", 100), name=Path("poetry.lock"), shown="poetry.lock")
    assert [e.message for e in reading.errors] == ["nested deeper than 64 levels"]
