"""The hash formats of STIX patterns (stix2-patterns' ``object_validator.HASHES_REGEX``),
compiled once, and a quicker reading of those that are N hexadecimal digits."""

from __future__ import annotations

import re
from binascii import Error as BinasciiError
from binascii import a2b_hex

from stix2patterns.v21 import object_validator

# The library's hash formats (object_validator.HASHES_REGEX), compiled once.
_HASHES = {name: re.compile(regex) for name, (regex, _) in object_validator.HASHES_REGEX.items()}
# By selector as written (hashes.'SHA-256', hashes.sha256): its format, None if it has none.
HASH_OF: dict[str, re.Pattern[str] | None] = {}
# The library's formats that are exactly N hexadecimal digits (all but MD6's and SSDEEP's),
# by regex: N. All are even counts (bytes), which a2b_hex reads; an odd one would stay the
# regex's.
_HEX_SIZES = {
    regex: int(size[1])
    for regex in _HASHES.values()
    if (size := re.fullmatch(r"\^\[a-fA-F0-9\]\{(\d+)\}\$", regex.pattern)) and not int(size[1]) % 2
}
_HEX = re.compile(r"^[0-9a-fA-F]+\Z")


def hex_digits(text: str) -> bool:
    """Whether ``text`` is one or more hexadecimal digits (``^[0-9a-fA-F]+\\Z``).

    An even count is read by ``binascii.a2b_hex``, which takes hexadecimal digits and
    nothing else (no sign, space, underscore or prefix; a character that is not ASCII is
    refused too), in a third of the regex's time on a 64-digit hash; an odd count by the regex.
    """
    if text and not len(text) % 2:
        try:
            a2b_hex(text)
        except (BinasciiError, ValueError):
            return False
        return True
    return _HEX.match(text) is not None


def hash_matches(regex: re.Pattern[str], digest: str) -> bool:
    """``regex.match(digest)`` for a hash format of the library: :func:`hex_digits` when the
    format is N hexadecimal digits and ``digest`` has N characters (any other length is the
    regex's: its ``$`` also takes a digest followed by one newline)."""
    size = _HEX_SIZES.get(regex)
    if size is not None and len(digest) == size:
        # hex_digits(digest) of an even count, without the call (one per indicator checked).
        try:
            a2b_hex(digest)
        except (BinasciiError, ValueError):
            return False
        return True
    return regex.match(digest) is not None


def hash_of(selector: str) -> re.Pattern[str] | None:
    """The format of a hash selector (its name upper-cased, without dashes and quotes)."""
    regex = _HASHES.get(selector.upper().replace("-", "").replace("'", ""))
    if len(HASH_OF) < 1024:
        HASH_OF[selector] = regex
    return regex
