"""security.txt (RFC 9116): a pure parser and a careful fetcher.

``parse`` reads a file's bytes and reports every finding with its severity: ``error`` where
the RFC says MUST, ``warning`` where it says SHOULD or RECOMMENDED. ``check`` fetches a URL
within the hub's time and size limits, records redirects and transport problems, and parses
what it got.
"""

from accord.registry.securitytxt.fetch import CheckResult, check, make_client
from accord.registry.securitytxt.parser import Finding, SecurityTxt, Severity, parse

__all__ = ["CheckResult", "Finding", "SecurityTxt", "Severity", "check", "make_client", "parse"]
