"""JSON written fast, with the standard library for what orjson will not write.

orjson writes the large documents the hub keeps and serves (a TAXII status lists a thousand
objects) several times faster than ``json``. It refuses integers beyond 64 bits, which
``json`` writes. Reading stays with ``json``: orjson reads such an integer as a float,
silently, and nothing tells the two apart afterwards.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON; keys that are not strings are written as ``json`` does."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
