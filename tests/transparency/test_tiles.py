"""C2SP tlog-tiles: paths, widths and bundles as the specification's examples state them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.transparency import merkle, tiles
from accord.transparency.merkle import Node
from accord.transparency.tiles import TilePathError, TileRows


def test_index_encoding_matches_the_specification() -> None:
    # c2sp.org/tlog-tiles: "index 1234067 will be encoded as x001/x234/067".
    assert tiles.encode_index(1234067) == "x001/x234/067"
    assert tiles.encode_index(5) == "005"
    assert tiles.encode_index(1000) == "x001/000"
    assert tiles.tile_path(0, 1234067, 8) == "0/x001/x234/067.p/8"
    assert tiles.tile_path("entries", 2) == "entries/002"


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=1, max_value=256))
def test_paths_read_back(index: int, width: int) -> None:
    path = tiles.tile_path(0, index, width).split("/", 1)[1]
    assert tiles.parse_index_and_width(path) == (index, width)


@pytest.mark.parametrize(
    "path", ["5", "0005", "x000/005", "001/002", "x1/002", "005.p/0", "005.p/256", "005.p/08"]
)
def test_non_canonical_paths_are_refused(path: str) -> None:
    with pytest.raises(TilePathError):
        tiles.parse_index_and_width(path)


@pytest.mark.parametrize("level", ["00", "64", "-1", "a", ""])
def test_bad_levels_are_refused(level: str) -> None:
    with pytest.raises(TilePathError):
        tiles.parse_level(level)


def test_rightmost_tiles_match_the_specification_example() -> None:
    # "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial
    # level 0 tile of width 112, one full level 1 tile, one partial level 1 tile of width
    # 17, and one partial level 2 tile of width 1."
    assert tiles.tile_widths(70_000) == [(0, 273, 112), (1, 1, 17), (2, 0, 1)]
    # "a tree of size 256 will be represented by a full level 0 tile and a partial level 1
    # tile of width 1."
    assert tiles.tile_widths(256) == [(1, 0, 1)]


@given(st.integers(min_value=1, max_value=1500))
def test_tiles_hold_every_complete_subtree(size: int) -> None:
    leaves = [merkle.hash_leaf(i.to_bytes(4, "big")) for i in range(size)]
    held: dict[tuple[int, int], TileRows] = {}
    done = 0
    for chunk in (1, 7, 300, size):  # grow in uneven steps, as appends do
        tiles.grow(held, done, leaves[done : done + chunk])
        done = min(size, done + chunk)
    for level in range(size.bit_length()):
        for index in range(size >> level):
            want = merkle.root_of(leaves[index << level : (index + 1) << level])
            assert tiles.read_node(held, Node(level, index)) == want
    for (level, index), tile in held.items():
        stored = TileRows.from_bytes(tile.to_bytes(), tile.width)
        assert stored.rows == tile.rows
        # Row 0 is the C2SP tile: hashes of tree level 8 * level.
        first = index * tiles.TILE_WIDTH
        assert tile.rows[0][0] == tiles.read_node(held, Node(8 * level, first))


def test_bundles_round_trip_and_refuse_truncation() -> None:
    entries = [b"", b"a", b"x" * 300]
    data = tiles.encode_bundle(entries)
    assert data[:2] == b"\x00\x00"
    assert data[2:5] == b"\x00\x01a"
    assert tiles.decode_bundle(data) == entries
    with pytest.raises(ValueError, match="inside an entry"):
        tiles.decode_bundle(data[:-1])
    with pytest.raises(ValueError, match="length prefix"):
        tiles.decode_bundle(b"\x00")
