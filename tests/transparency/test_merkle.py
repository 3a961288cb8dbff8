"""RFC 9162 hashing and proofs, checked against transparency-dev/merkle's data.

Every inclusion and consistency probe of its testdata must get the verdict it expects
(``wantErr``), and the RFC 6962 known answers must come out of our hashing and our proof
generation. Hypothesis then checks generation against the RFC's own recursive definitions.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.transparency import merkle
from accord.transparency.merkle import Node, ProofError
from tests.transparency.conftest import PROBES


def _probes(kind: str) -> list[Path]:
    files = sorted((PROBES / kind).rglob("*.json"))
    assert len(files) >= 98, f"expected the {kind} probes of transparency-dev/merkle"
    return files


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


@pytest.mark.parametrize(
    "path", _probes("inclusion"), ids=lambda p: str(p.relative_to(PROBES / "inclusion"))
)
def test_inclusion_probe(path: Path) -> None:
    probe = json.loads(path.read_text())
    try:
        merkle.verify_inclusion(
            probe["leafIdx"],
            probe["treeSize"],
            _b64(probe["leafHash"]),
            [_b64(h) for h in probe["proof"] or []],
            _b64(probe["root"]),
        )
        failed = False
    except ProofError:
        failed = True
    assert failed == probe["wantErr"], probe["desc"]


@pytest.mark.parametrize(
    "path", _probes("consistency"), ids=lambda p: str(p.relative_to(PROBES / "consistency"))
)
def test_consistency_probe(path: Path) -> None:
    probe = json.loads(path.read_text())
    try:
        merkle.verify_consistency(
            probe["size1"],
            probe["size2"],
            [_b64(h) for h in probe["proof"] or []],
            _b64(probe["root1"]),
            _b64(probe["root2"]),
        )
        failed = False
    except ProofError:
        failed = True
    assert failed == probe["wantErr"], probe["desc"]


def test_hasher_known_answers(vectors: dict[str, Any]) -> None:
    cases = {c["desc"]: c["want"] for c in vectors["hasher_vectors"]["cases"]}
    assert merkle.EMPTY_ROOT.hex() == cases["RFC6962 Empty"]
    assert merkle.hash_leaf(b"").hex() == cases["RFC6962 Empty Leaf"]
    assert merkle.hash_leaf(b"L123456").hex() == cases["RFC6962 Leaf"]
    assert merkle.hash_children(b"N123", b"N456").hex() == cases["RFC6962 Node"]


def _reference_tree(vectors: dict[str, Any]) -> list[bytes]:
    return [bytes.fromhex(x) for x in vectors["reference_tree"]["leaf_inputs_hex"]]


def _reader(leaf_hashes: list[bytes]) -> merkle.NodeReader:
    def read(nodes: Any) -> dict[Node, bytes]:
        return {
            n: merkle.root_of(leaf_hashes[n.index << n.level : (n.index + 1) << n.level])
            for n in nodes
        }

    return read


def test_reference_tree_roots_and_nodes(vectors: dict[str, Any]) -> None:
    leaf_hashes = [merkle.hash_leaf(x) for x in _reference_tree(vectors)]
    tree = vectors["reference_tree"]
    roots = tree["root_hashes_by_tree_size"]
    read = _reader(leaf_hashes)
    for size in range(len(leaf_hashes) + 1):
        want = roots[str(size)]
        assert merkle.root(size, read).hex() == want
        assert merkle.root_of(leaf_hashes[:size]).hex() == want
    for level, hashes in enumerate(tree["node_hashes_by_level"]):
        for index, want in enumerate(hashes):
            assert read([Node(level, index)])[Node(level, index)].hex() == want


def test_reference_inclusion_proofs(vectors: dict[str, Any]) -> None:
    leaf_hashes = [merkle.hash_leaf(x) for x in _reference_tree(vectors)]
    for case in vectors["inclusion_proofs"]["cases"]:
        index, size = case["leaf_index"], case["tree_size"]
        proof = merkle.inclusion_proof(index, size, _reader(leaf_hashes))
        assert [h.hex() for h in proof] == case["proof"]
        merkle.verify_inclusion(
            index, size, bytes.fromhex(case["leaf_hash"]), proof, bytes.fromhex(case["root"])
        )


def test_reference_consistency_proofs(vectors: dict[str, Any]) -> None:
    leaf_hashes = [merkle.hash_leaf(x) for x in _reference_tree(vectors)]
    for case in vectors["consistency_proofs"]["cases"]:
        first, second = case["size1"], case["size2"]
        proof = merkle.consistency_proof(first, second, _reader(leaf_hashes))
        assert [h.hex() for h in proof] == case["proof"]
        merkle.verify_consistency(
            first, second, proof, bytes.fromhex(case["root1"]), bytes.fromhex(case["root2"])
        )


# The RFC's recursive definitions, written out literally: the oracle for generation.
def _mth(leaves: list[bytes]) -> bytes:
    return merkle.root_of(leaves)


def _path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = merkle.split_point(n)
    if m < k:
        return [*_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_path(m - k, leaves[k:]), _mth(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [_mth(leaves)]
    k = merkle.split_point(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), _mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), _mth(leaves[:k])]


@st.composite
def _tree_and_sizes(draw: st.DrawFn) -> tuple[list[bytes], int, int]:
    size = draw(st.integers(min_value=1, max_value=300))
    leaves = [merkle.hash_leaf(i.to_bytes(4, "big")) for i in range(size)]
    first = draw(st.integers(min_value=1, max_value=size))
    index = draw(st.integers(min_value=0, max_value=size - 1))
    return leaves, first, index


@settings(max_examples=150, deadline=None)
@given(_tree_and_sizes())
def test_generation_follows_the_rfc_definitions(case: tuple[list[bytes], int, int]) -> None:
    leaves, first, index = case
    read = _reader(leaves)
    assert merkle.inclusion_proof(index, len(leaves), read) == _path(index, leaves)
    assert merkle.consistency_proof(first, len(leaves), read) == _subproof(first, leaves, True)


def test_subtree_nodes_refuses_a_range_that_is_not_a_subtree() -> None:
    assert merkle.subtree_nodes(8, 13) == [Node(2, 2), Node(0, 12)]
    with pytest.raises(ValueError, match="not a subtree"):
        merkle.subtree_nodes(3, 7)


def test_generation_refuses_sizes_outside_the_rfc() -> None:
    read = _reader([merkle.hash_leaf(b"x")])
    with pytest.raises(ProofError):
        merkle.inclusion_proof(1, 1, read)
    with pytest.raises(ProofError):
        merkle.consistency_proof(0, 1, read)
    with pytest.raises(ProofError):
        merkle.consistency_proof(2, 1, read)
    assert merkle.consistency_proof(1, 1, read) == []
