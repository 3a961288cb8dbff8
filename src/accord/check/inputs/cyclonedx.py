"""CycloneDX SBOMs, JSON and XML, specification versions 1.4 to 1.6.

Components (nested ones too) are checked by their purl. The specification version is
recognized with cyclonedx-python-lib's ``SchemaVersion``. The components are read here rather
than through the library's ``Bom.from_json``: that deserializer keeps components in sorted
sets whose comparisons cost 5 s for 5,000 components (measured), over the check's whole
budget; the tests read the same SBOMs with the library and compare.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from cyclonedx.schema import SchemaVersion
from defusedxml import ElementTree  # type: ignore[import-untyped]
from defusedxml.common import DefusedXmlException  # type: ignore[import-untyped]

from accord import limits
from accord.check.inputs.base import Collector, Format, Text, expect_dict, load_json, text_field
from accord.check.inputs.purls import add_purl
from accord.check.interface import Malformed

SUPPORTED = (SchemaVersion.V1_4, SchemaVersion.V1_5, SchemaVersion.V1_6)
_NAMESPACE = re.compile(r"^\{http://cyclonedx\.org/schema/bom/(\d+\.\d+)\}bom$")


def _schema_version(text: str, *, path: str) -> SchemaVersion:
    try:
        version = SchemaVersion.from_version(text)
    except ValueError:
        version = None
    if version not in SUPPORTED:
        supported = ", ".join(v.to_version() for v in SUPPORTED)
        raise Malformed(f"CycloneDX {text} is not supported (supported: {supported})", path=path)
    return version


def read_json(text: Text, out: Collector) -> None:
    """Components of a CycloneDX JSON document."""
    data = expect_dict(load_json(text), "$")
    if data.get("bomFormat") != "CycloneDX":
        raise Malformed("bomFormat is not CycloneDX", path="bomFormat")
    _schema_version(str(data.get("specVersion", "")), path="specVersion")
    components = data.get("components", [])
    for path, component in _walk_json(components, "components"):
        _add_component(out, component, path)


def _walk_json(components: Any, at: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(components, list):
        raise Malformed("expected an array of components", path=at)
    for index, raw in enumerate(components):
        path = f"{at}[{index}]"
        component = expect_dict(raw, path)
        yield path, component
        if "components" in component:
            yield from _walk_json(component["components"], f"{path}.components")


def _add_component(out: Collector, component: dict[str, Any], path: str) -> None:
    purl = text_field(component, "purl", path)
    name = text_field(component, "name", path) or "?"
    version = text_field(component, "version", path)
    if purl:
        add_purl(out, purl, path=path, version=version)
    elif component.get("type", "library") in ("library", "framework", "application"):
        out.notice(f"{name} {version or ''} has no purl, not checked".replace("  ", " "), path=path)


def read_xml(text: Text, out: Collector) -> None:
    """Components of a CycloneDX XML document (its namespace gives the version)."""
    data = text.text.encode()
    limits.check_size(len(data), limits.MAX_XML_BYTES, what=text.name)
    try:
        root = ElementTree.fromstring(data)
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise Malformed(
            f"not well-formed XML: {exc.msg if hasattr(exc, 'msg') else exc}", line=line
        ) from None
    except DefusedXmlException as exc:
        raise Malformed(f"refused XML: {exc}") from None
    limits.check_element_depth(root, what=text.name)
    match = _NAMESPACE.match(root.tag)
    if match is None:
        raise Malformed("the root element is not a CycloneDX <bom>", path="/")
    _schema_version(match.group(1), path="/bom/@xmlns")
    namespace = "{" + root.tag[1:].partition("}")[0] + "}"
    components = root.find(f"{namespace}components")
    if components is not None:
        for path, element in _walk_xml(components, namespace, "/bom/components"):
            fields = {
                key: (child.text or "").strip()
                for key in ("purl", "name", "version")
                if (child := element.find(namespace + key)) is not None
            }
            fields["type"] = element.get("type", "library")
            _add_component(out, fields, path)


def _walk_xml(parent: Element, namespace: str, at: str) -> Iterator[tuple[str, Element]]:
    for index, element in enumerate(parent.findall(f"{namespace}component"), start=1):
        path = f"{at}/component[{index}]"
        yield path, element
        nested = element.find(f"{namespace}components")
        if nested is not None:
            yield from _walk_xml(nested, namespace, f"{path}/components")


JSON = Format(
    "CycloneDX JSON",
    ("*.cdx.json", "bom.json", "*.bom.json"),
    lambda head: '"bomFormat"' in head and "CycloneDX" in head,
    read_json,
)
XML = Format(
    "CycloneDX XML",
    ("*.cdx.xml", "bom.xml", "*.bom.xml"),
    lambda head: "http://cyclonedx.org/schema/bom/" in head,
    read_xml,
)
