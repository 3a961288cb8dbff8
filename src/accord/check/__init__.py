"""``accord check``: which of the packages you use have known vulnerabilities.

Pure, typed modules: ``inputs/`` reads environments, lock files and SBOMs into dependencies;
``sources/`` finds the advisories that affect them (a hub over its OSV API, or a signed
offline snapshot); ``outputs/`` writes the findings for people and tools. The hub side of
the snapshot lives in ``snapshots.py`` and ``routes.py``.
"""
