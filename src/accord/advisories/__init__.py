"""Advisories: OSV records, matching, the OSV-compatible API and CSAF feeds."""
