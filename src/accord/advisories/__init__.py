"""Advisories: OSV records, their import, version matching per ecosystem and the OSV API."""
