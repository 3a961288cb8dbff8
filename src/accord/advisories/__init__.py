"""Advisories: OSV records, import, version matching per ecosystem, the OSV API, CSAF feeds."""
