"""Imports every domain's tables, so that the metadata (and Alembic) sees all of them."""

from accord.advisories import models as advisories_models
from accord.check import models as check_models
from accord.identity import models as identity_models
from accord.registry import models as registry_models
from accord.sharing import models as sharing_models
from accord.transparency import models as transparency_models

__all__ = [
    "advisories_models",
    "check_models",
    "identity_models",
    "registry_models",
    "sharing_models",
    "transparency_models",
]
