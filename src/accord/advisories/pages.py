"""Advisory pages (filled in below)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
