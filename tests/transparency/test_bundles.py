"""What a file given to the log's verify page is looked up by."""

from __future__ import annotations

import hashlib

from accord.transparency import bundles


def test_a_deeply_nested_file_is_checked_by_its_bytes_alone() -> None:
    # Parsed whole it raised RecursionError, a 500 on the public /log/verify page.
    for data in (b"[" * 200_000, b'{"a":' * 5_000 + b"1" + b"}" * 5_000):
        assert bundles.file_digests(data) == [hashlib.sha256(data).hexdigest()]
