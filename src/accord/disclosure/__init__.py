"""Coordinated vulnerability disclosure: reports, cases, vendors, embargoes, messages."""
