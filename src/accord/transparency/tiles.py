"""C2SP tlog-tiles: tile coordinates and paths, entry bundles, and how the hub stores tiles.

A tile (c2sp.org/tlog-tiles) at level ``L`` and index ``N`` is up to 256 consecutive hashes
of tree level ``8 * L``. The hub stores each tile together with the seven tree levels that
the tile spans above its hashes (rows 1 to 7: 128, 64, ..., 2 hashes for a full tile), so
that any complete subtree hash is one slice of one stored tile: proofs read O(log n)
stored hashes and hash nothing but the proof's one right-edge range. Row 0 is the tile as
the specification serves it. A full tile's root (the hash of its row 7) is a hash of the
tile one level up.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from accord.transparency.merkle import HASH_SIZE, Node, hash_children, hash_pairs

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY_BYTES = 0xFFFF  # entry bundles prefix each entry with a big-endian uint16 length
_INDEX_PART = re.compile(r"^(x[0-9]{3}/)*[0-9]{3}$")
_LEVEL = re.compile(r"^(0|[1-9][0-9]?)$")
_WIDTH = re.compile(r"^[1-9][0-9]{0,2}$")
_LENGTH = struct.Struct(">H")


class TilePathError(ValueError):
    """A tile path that the specification does not allow."""


def encode_index(index: int) -> str:
    """``1234067`` -> ``x001/x234/067``: zero-padded 3-digit elements, all but the last x-ed."""
    parts = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        parts.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(parts))


def tile_path(level: int | str, index: int, width: int = TILE_WIDTH) -> str:
    """The path of a tile (or, with level ``"entries"``, of an entry bundle) below ``tile/``."""
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"{level}/{encode_index(index)}{suffix}"


def parse_level(text: str) -> int:
    """A tile level: 0 to 63, decimal, no leading zeroes."""
    if not _LEVEL.match(text) or int(text) > 63:
        raise TilePathError("the tile level must be a decimal number from 0 to 63")
    return int(text)


def parse_index_and_width(text: str) -> tuple[int, int]:
    """``x001/x234/067.p/8`` -> ``(1234067, 8)``; a full tile has width 256."""
    width = TILE_WIDTH
    if ".p/" in text:
        text, _, width_text = text.partition(".p/")
        if not _WIDTH.match(width_text) or int(width_text) >= TILE_WIDTH:
            raise TilePathError("a partial tile's width is a decimal number from 1 to 255")
        width = int(width_text)
    if not _INDEX_PART.match(text) or text.startswith("x000"):
        raise TilePathError("the tile index must be written as x001/x234/067")
    return int(text.replace("x", "").replace("/", "")), width


def tile_widths(size: int) -> list[tuple[int, int, int]]:
    """For each level, the rightmost tile of a tree of ``size`` leaves: (level, index, width).

    Full tiles have width 256 and are listed only where no partial tile follows them; the
    partial tile at level ``l`` has ``floor(size / 256**l) mod 256`` hashes.
    """
    found = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        hashes = size >> (TILE_HEIGHT * level)
        width = hashes % TILE_WIDTH
        if width:
            found.append((level, hashes // TILE_WIDTH, width))
        level += 1
    return found


def locate(node: Node) -> tuple[int, int, int, int]:
    """Where a complete subtree's hash is stored: (tile level, tile index, row, position)."""
    tile_level, row = divmod(node.level, TILE_HEIGHT)
    first = node.index << row  # the first tile-level hash under the node
    return tile_level, first >> TILE_HEIGHT, row, (first % TILE_WIDTH) >> row


def stored_hashes(width: int) -> int:
    """How many hashes a stored tile of ``width`` holds, all eight rows together."""
    return sum(width >> row for row in range(TILE_HEIGHT))


def read_stored(data: bytes, width: int, row: int, position: int) -> bytes:
    """One hash out of a stored tile."""
    if (position + 1) << row > width:
        raise LookupError(f"row {row} of a tile of width {width} has no hash {position}")
    offset = sum(width >> r for r in range(row)) + position
    return data[offset * HASH_SIZE : (offset + 1) * HASH_SIZE]


@dataclass
class TileRows:
    """A tile being built: row 0 holds its hashes, row ``r`` the tree level ``r`` above."""

    rows: list[list[bytes]] = field(default_factory=lambda: [[] for _ in range(TILE_HEIGHT)])

    @property
    def width(self) -> int:
        """How many hashes the tile holds."""
        return len(self.rows[0])

    def extend(self, hashes: Sequence[bytes]) -> None:
        """Append hashes to row 0 and every interior hash they complete."""
        if self.width + len(hashes) > TILE_WIDTH:
            raise ValueError("a tile holds at most 256 hashes")
        self.rows[0].extend(hashes)
        for row in range(1, TILE_HEIGHT):
            below, here = self.rows[row - 1], self.rows[row]
            here.extend(hash_pairs(below, len(here), len(below) // 2))

    def root(self) -> bytes:
        """The hash of a full tile: one hash of the tile at the level above."""
        if self.width != TILE_WIDTH:
            raise ValueError("only a full tile has a root in the tree")
        top = self.rows[TILE_HEIGHT - 1]
        return hash_children(top[0], top[1])

    def to_bytes(self) -> bytes:
        """The stored form: the rows one after the other."""
        return b"".join(b"".join(row) for row in self.rows)

    @classmethod
    def from_bytes(cls, data: bytes, width: int) -> TileRows:
        """Read a stored tile of ``width`` hashes."""
        if len(data) != stored_hashes(width) * HASH_SIZE:
            raise ValueError(f"a stored tile of width {width} has the wrong length")
        rows, offset = [], 0
        for row in range(TILE_HEIGHT):
            count = width >> row
            rows.append(
                [
                    data[(offset + i) * HASH_SIZE : (offset + i + 1) * HASH_SIZE]
                    for i in range(count)
                ]
            )
            offset += count
        return cls(rows)


def grow(
    tiles: dict[tuple[int, int], TileRows], size: int, leaf_hashes: Sequence[bytes]
) -> list[tuple[int, int]]:
    """Add leaves to a tree of ``size`` leaves held as tiles; return the tiles changed.

    ``tiles`` must hold the rightmost partial tile of each level (more is fine). Each full
    tile's root goes on to the level above, so every hash is computed once.
    """
    changed: list[tuple[int, int]] = []
    level, start, pending = 0, size, list(leaf_hashes)
    while pending:
        completed = []
        done = 0
        while done < len(pending):
            position = start + done
            key = (level, position // TILE_WIDTH)
            tile = tiles.setdefault(key, TileRows())
            if tile.width != position % TILE_WIDTH:
                raise ValueError(f"tile {key} does not end where the tree does")
            take = min(TILE_WIDTH - position % TILE_WIDTH, len(pending) - done)
            tile.extend(pending[done : done + take])
            changed.append(key)
            if tile.width == TILE_WIDTH:
                completed.append(tile.root())
            done += take
        level += 1
        start, pending = size >> (TILE_HEIGHT * level), completed
    return changed


def read_node(tiles: dict[tuple[int, int], TileRows], node: Node) -> bytes:
    """A complete subtree's hash from tiles held in memory."""
    level, index, row, position = locate(node)
    return tiles[(level, index)].rows[row][position]


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    """An entry bundle: each entry after its big-endian uint16 length."""
    prefix = _LENGTH.pack
    return b"".join([prefix(len(e)) + e for e in entries])


def decode_bundle(data: bytes) -> list[bytes]:
    """The entries of a bundle; refuses a truncated one."""
    entries, offset = [], 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise ValueError("the entry bundle ends inside a length prefix")
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise ValueError("the entry bundle ends inside an entry")
        entries.append(data[offset : offset + length])
        offset += length
    return entries
