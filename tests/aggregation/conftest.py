"""Fixtures of the CSAF aggregation tests: the OASIS documents and the import helper."""

from __future__ import annotations

from tests import thirdparty

EXAMPLES = thirdparty.CSAF_DIR / "examples" / "csaf"
MANDATORY = thirdparty.CSAF_DIR / "test" / "validator" / "data" / "mandatory"
