"""Accountability: figures computed from what signatories did, and progress reports."""
