"""OpenTAXII 0.9.3 for the benchmark, with the UUID-to-string JSON encoder of its PR 289.

OpenTAXII's TAXII 2.1 responses hold ``uuid.UUID`` values that ``json.dumps`` cannot write;
upstream fixed it in PR 289, after 0.9.3. The same fix is applied here at start-up, to the
module's ``json`` name, without touching the installed package. Run with its own venv:
``gunicorn bench.opentaxii_app:app`` (OPENTAXII_CONFIG set).
"""

from __future__ import annotations

import json
import types
import uuid
from typing import Any

import opentaxii.taxii2.http as taxii2_http
from opentaxii.http import app


class _UUIDEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, uuid.UUID):
            return str(o)
        return super().default(o)


taxii2_http.json = types.SimpleNamespace(  # type: ignore[assignment]
    dumps=lambda data, **kw: json.dumps(data, cls=_UUIDEncoder, **kw), loads=json.loads
)

__all__ = ["app"]
