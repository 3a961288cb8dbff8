"""The one error every version ordering raises."""

from __future__ import annotations


class InvalidVersion(ValueError):
    """The string is not a version of this ecosystem."""
