"""Pledges beside the accord, and campaigns across its signatories."""
