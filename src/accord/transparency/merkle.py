"""Merkle tree hashing and proofs exactly as RFC 9162 (Certificate Transparency 2.0), section 2.1.

Pure functions, no storage. The tree over ``n`` leaves is the left-balanced tree of
section 2.1.1: its left subtree holds the largest power of two smaller than ``n`` leaves.

Proof *generation* (sections 2.1.3.1 and 2.1.4.1) is split in two steps so that a store can
answer it from O(log n) stored hashes: :func:`inclusion_ranges` and
:func:`consistency_ranges` say which subtree hashes ``MTH(D[a:b])`` make up the proof, and
:func:`subtree_nodes` breaks each range into complete (perfect) subtrees, which are what a
store keeps. At most one range of a proof is not itself a complete subtree (the one on the
right edge of the tree), so a proof reads O(log n) complete-subtree hashes.

Proof *verification* follows the algorithms of sections 2.1.3.2 and 2.1.4.2 step by step.
Outside RFC 9162's preconditions (``0 < first < second``) the consistency verifier accepts
``first == second`` with equal roots and an empty proof, and refuses ``first == 0``: the
policy that the transparency-dev/merkle probes encode (see docs/transparency.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
# RFC 9162 section 2.1.1: domain separation between leaves and interior nodes.
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
# RFC 9162 section 2.1.1: MTH({}) = SHA-256().
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof does not verify, or its parameters are outside what the RFC allows."""


@dataclass(frozen=True, slots=True)
class Node:
    """A complete subtree: ``MTH(D[index * 2**level : (index + 1) * 2**level])``."""

    level: int
    index: int


NodeReader = Callable[[Sequence[Node]], Mapping[Node, bytes]]
"""Reads the stored hashes of complete subtrees, all in one go."""


def hash_leaf(entry: bytes) -> bytes:
    """RFC 9162 section 2.1.1: ``MTH({d0}) = SHA-256(0x00 || d0)``."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """RFC 9162 section 2.1.1: ``SHA-256(0x01 || MTH(left) || MTH(right))``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def hash_leaves(entries: Sequence[bytes]) -> list[bytes]:
    """:func:`hash_leaf` of each entry (the loop inlined: appends hash in bulk)."""
    sha256, prefix = hashlib.sha256, LEAF_PREFIX
    return [sha256(prefix + entry).digest() for entry in entries]


def hash_pairs(hashes: Sequence[bytes], first: int, stop: int) -> list[bytes]:
    """:func:`hash_children` of pairs ``first`` to ``stop - 1`` of ``hashes``, i.e. of
    ``hashes[2p]`` and ``hashes[2p + 1]``: the level above, inlined for bulk appends."""
    sha256, prefix = hashlib.sha256, NODE_PREFIX
    return [sha256(prefix + hashes[2 * p] + hashes[2 * p + 1]).digest() for p in range(first, stop)]


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (``k`` in RFC 9162 section 2.1.1), n > 1."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes by the recursive definition; O(n), for tests and audits."""
    if not leaf_hashes:
        return EMPTY_ROOT
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    k = split_point(len(leaf_hashes))
    return hash_children(root_of(leaf_hashes[:k]), root_of(leaf_hashes[k:]))


def subtree_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees whose right fold is ``MTH(D[start:end])``, largest first.

    ``D[start:end]`` must be a subtree of some left-balanced tree (as every range of a proof
    is): ``start`` is then a multiple of each complete subtree's size.
    """
    nodes = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start % (1 << level):
            raise ValueError(f"D[{start}:{end}] is not a subtree of a left-balanced tree")
        nodes.append(Node(level, start >> level))
        start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a left-balanced subtree from its complete subtrees, largest first."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = hash_children(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges ``(a, b)`` whose ``MTH(D[a:b])`` form ``PATH(index, D[0:size])``.

    RFC 9162 section 2.1.3.1, unrolled: leaf-side hashes first, as the audit path is sent.
    """
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    siblings = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index - start < k:
            siblings.append((start + k, end))
            end = start + k
        else:
            siblings.append((start, start + k))
            start += k
    siblings.reverse()
    return siblings


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The ranges whose hashes form ``PROOF(first, D[0:second])``, RFC 9162 section 2.1.4.1.

    Equal sizes get the empty proof, which :func:`verify_consistency` accepts for equal roots.
    """
    if not 0 < first <= second:
        raise ProofError(f"a consistency proof needs 0 < first <= second, not {first}, {second}")
    siblings = []
    start, end, m, whole = 0, second, first, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            siblings.append((start + k, end))
            end = start + k
        else:
            siblings.append((start, start + k))
            start, m, whole = start + k, m - k, False
    siblings.reverse()
    # SUBPROOF(m, D[m], b): nothing when D[m] is the old tree itself, else MTH(D[m]).
    return siblings if whole else [(start, end), *siblings]


def hashes_of(ranges: Sequence[tuple[int, int]], read: NodeReader) -> list[bytes]:
    """``MTH(D[a:b])`` for each range, from one read of the complete subtrees they need."""
    per_range = [subtree_nodes(a, b) for a, b in ranges]
    stored = read([node for nodes in per_range for node in nodes])
    return [fold([stored[node] for node in nodes]) for nodes in per_range]


def root(size: int, read: NodeReader) -> bytes:
    """The root hash of the tree of ``size`` leaves, from stored complete subtrees."""
    if size == 0:
        return EMPTY_ROOT
    return hashes_of([(0, size)], read)[0]


def inclusion_proof(index: int, size: int, read: NodeReader) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves."""
    return hashes_of(inclusion_ranges(index, size), read)


def consistency_proof(first: int, second: int, read: NodeReader) -> list[bytes]:
    """The consistency proof between trees of ``first`` and ``second`` leaves."""
    return hashes_of(consistency_ranges(first, second), read)


def _check_hashes(proof: Sequence[bytes]) -> None:
    for position, value in enumerate(proof):
        if len(value) != HASH_SIZE:
            raise ProofError(f"proof hash {position} is {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion(index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that an audit path leads to, RFC 9162 section 2.1.3.2 steps 1 to 5."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    if len(leaf_hash) != HASH_SIZE:
        raise ProofError(f"the leaf hash is {len(leaf_hash)} bytes, not {HASH_SIZE}")
    _check_hashes(proof)
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            while fn and not fn & 1:  # step 4.b.ii (a no-op when LSB(fn) is set)
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hash_children(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows the leaf is in the tree ``root_hash``."""
    if root_from_inclusion(index, size, leaf_hash, proof) != root_hash:
        raise ProofError("the inclusion proof leads to another root")


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows the trees are consistent.

    RFC 9162 section 2.1.4.2 for ``0 < first < second``; see the module docstring for the
    two cases outside it.
    """
    if first > second:
        raise ProofError(f"the first size {first} is larger than the second {second}")
    if first == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if first == second:
        if proof:
            raise ProofError("trees of equal size need an empty consistency proof")
        if first_root != second_root:
            raise ProofError("two trees of the same size have different roots")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    _check_hashes(proof)
    path = list(proof)
    if first & (first - 1) == 0:  # step 2: first is an exact power of two
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:  # step 4
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = hash_children(c, fr), hash_children(c, sr)
            while fn and not fn & 1:  # step 6.b.iii (a no-op when LSB(fn) is set)
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = hash_children(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the tree is deep")
    if fr != first_root:
        raise ProofError("the consistency proof does not lead to the first root")
    if sr != second_root:
        raise ProofError("the consistency proof does not lead to the second root")
