"""SPDX 2.3 documents (JSON, tag-value, and the other serializations spdx-tools reads).

Parsed with spdx-tools; each package is checked by its ``purl`` external reference.
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

from accord import limits
from accord.check.inputs.base import Collector, Format, Text
from accord.check.inputs.purls import add_purl
from accord.check.interface import Malformed


def read(text: Text, out: Collector) -> None:
    """Packages of an SPDX document, by their purl references."""
    from spdx_tools.spdx.parser.error import SPDXParsingError

    try:
        # ply prints its table generation to stderr on first use.
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            document = _parse(text.text, name=text.name)
    except SPDXParsingError as exc:
        messages: list[str] = exc.get_messages()  # type: ignore[no-untyped-call]
        raise Malformed("; ".join(messages[:3]) + (" ..." if len(messages) > 3 else "")) from None
    version = document.creation_info.spdx_version
    if version != "SPDX-2.3":
        out.notice(f"{version} document; read as SPDX-2.3")
    for index, package in enumerate(document.packages):
        where = f"packages[{index}] ({package.name})"
        purls = [r.locator for r in package.external_references if r.reference_type == "purl"]
        if not purls:
            out.notice(f"{package.name} has no purl reference, not checked", path=where)
            continue
        version_info = package.version if isinstance(package.version, str) else None
        add_purl(out, purls[0], path=where, version=version_info)


def _parse(content: str, *, name: str) -> Any:
    if not content.lstrip().startswith("{"):
        from spdx_tools.spdx.parser.tagvalue.parser import Parser

        # Tag-value goes straight to its ply parser, told not to write its tables and debug
        # file into site-packages: by default the first parse in a fresh install writes
        # parser.out there and leaves the file open.
        return Parser(debug=False, write_tables=False).parse(content)  # type: ignore[no-untyped-call]
    from spdx_tools.spdx.parser.json.json_parser import remove_json_control_chars_hook
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

    # What spdx-tools' parse_file does with a JSON file, read within accord.limits' bounds.
    try:
        data = limits.load_json(
            content, what=name, object_pairs_hook=remove_json_control_chars_hook
        )
    except json.JSONDecodeError as exc:
        raise Malformed(f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    return JsonLikeDictParser().parse(data)  # type: ignore[no-untyped-call]


def _sniff(head: str) -> bool:
    return '"spdxVersion"' in head or head.lstrip().startswith("SPDXVersion:")


FORMAT = Format("SPDX", ("*.spdx", "*.spdx.json"), _sniff, read)
