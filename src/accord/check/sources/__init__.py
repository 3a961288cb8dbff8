"""Where advisories come from: a hub over its OSV API (``hub.py``), or a signed offline
snapshot (``snapshot.py``). Both implement :class:`accord.check.interface.Source`."""

from __future__ import annotations

from accord.errors import AccordError


class SourceError(AccordError):
    """The source could not answer (unreachable hub, refused snapshot): the check failed."""

    code = "source"
