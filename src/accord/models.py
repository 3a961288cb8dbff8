"""Imports every domain's tables, so that the metadata (and Alembic) sees all of them."""

from accord.identity import models as identity_models
from accord.sharing import models as sharing_models

__all__ = ["identity_models", "sharing_models"]
