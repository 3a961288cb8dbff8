"""Suricata rules for a collection's network indicators.

- an address or range: ``alert ip any any <> [ADDRESS] any``, traffic either way;
- a domain name: a DNS query for exactly that name (``dns.query``) and a TLS client hello
  naming it (``tls.sni``), without case, the whole buffer (``bsize``);
- a URL: HTTP requests for its host (``http.host``) and its path and query as sent
  (``http.uri.raw``). An ``https://`` URL is only seen by a sensor that decrypts TLS.

Each rule's ``sid`` is derived from the index row it comes from, so a rule keeps its sid from
one download to the next (``SID_BASE`` + 2 x row id + the variant: 0 for DNS and the rest, 1
for TLS); ``msg`` names the indicator and its TLP, ``metadata`` carries its STIX id.
Content bytes Suricata reads specially (``"``, ``;``, ``\\``, ``|``, anything outside
printable ASCII) are written in hex (``|3B|``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from accord.sharing.models import Collection
from accord.sharing.warninglist_matching import browser_split

if TYPE_CHECKING:
    from accord.sharing.feeds import Entry

SID_BASE = 3_000_000_000
SID_MAX = 4_294_967_295
_PLAIN = {chr(c) for c in range(0x20, 0x7F)} - {'"', ";", "\\", "|"}
_MSG = {chr(c) for c in range(0x20, 0x7F)} - {'"', ";", "\\", "|", "(", ")"}


def render(entries: Iterable[Entry], *, collection: Collection, now: datetime) -> str:
    """The rule file: a header of comments, then one or two rules a value."""
    lines = [
        f"# Suricata rules from the Accord hub: collection {collection.uuid}",
        f"# {_text(collection.title, 200)}",
        f"# Generated {now.strftime('%Y-%m-%dT%H:%M:%SZ')}. Values on warninglists and expired",
        "# indicators are left out unless asked for. Mind each rule's TLP before passing it on.",
    ]
    count = 0
    for entry in entries:
        made = _rules(entry)
        lines.extend(made)
        count += len(made)
    lines.append(f"# {count} rules")
    return "\n".join(lines) + "\n"


def _rules(entry: Entry) -> list[str]:
    sid = SID_BASE + 2 * entry.observable_id
    if sid + 1 > SID_MAX:
        return [f"# {entry.indicator}: no sid left for index row {entry.observable_id}"]
    label = _text(entry.name or entry.indicator, 120)
    tlp = entry.tlp.upper()
    meta = f"metadata:accord_indicator {entry.indicator}, tlp {entry.tlp.replace('+', '_')}"

    def rule(header: str, body: str, offset: int, what: str) -> str:
        msg = f"ACCORD TLP {tlp} {what} {label}"
        return f'alert {header} (msg:"{msg}"; {body}{meta}; sid:{sid + offset}; rev:1;)'

    if entry.kind in ("ipv4", "ipv6", "ipv4-net", "ipv6-net"):
        return [rule(f"ip any any <> [{entry.value}] any", "", 0, "address")]
    if entry.kind == "domain":
        name = _content(entry.value)
        size = len(entry.value.encode())
        return [
            rule("dns any any -> any any", f"dns.query; {name}; nocase; bsize:{size}; ", 0, "DNS"),
            rule("tls any any -> any any", f"tls.sni; {name}; nocase; bsize:{size}; ", 1, "TLS"),
        ]
    if entry.kind == "url":
        # Split as the browser sending the request reads it: its Host and path, not
        # urlsplit's (``http://evil.example\\@10.0.0.1/`` goes to evil.example).
        parts = browser_split(entry.value)
        host = (parts.hostname or "").lower()
        if not host:
            return [f"# {entry.indicator}: a URL without a host"]
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        body = (
            f"http.host; {_content(host)}; bsize:{len(host.encode())}; "
            f"http.uri.raw; {_content(target)}; bsize:{len(target.encode())}; "
        )
        return [rule("http any any -> any any", body, 0, "URL")]
    return []


def _content(value: str) -> str:
    out: list[str] = []
    raw: list[str] = []  # bytes waiting to be written as one |..| run
    for char in value:
        if char in _PLAIN:
            if raw:
                out.append("|" + " ".join(raw) + "|")
                raw = []
            out.append(char)
        else:
            raw.extend(f"{b:02X}" for b in char.encode())
    if raw:
        out.append("|" + " ".join(raw) + "|")
    return f'content:"{"".join(out)}"'


def _text(value: str, limit: int) -> str:
    cleaned = "".join(c if c in _MSG else " " for c in value)
    return " ".join(cleaned.split())[:limit]
