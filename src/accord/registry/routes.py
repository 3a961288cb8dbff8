"""The registry API."""

from fastapi import APIRouter

router = APIRouter(tags=["registry"])
