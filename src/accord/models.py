"""Imports every domain's tables, so that the metadata (and Alembic) sees all of them."""

from accord.accountability import models as accountability_models
from accord.advisories import models as advisories_models
from accord.aggregation import models as aggregation_models
from accord.campaigns import models as campaigns_models
from accord.check import models as check_models
from accord.disclosure import models as disclosure_models
from accord.identity import models as identity_models
from accord.identity.oidc import models as oidc_models
from accord.jobs import models as jobs_models
from accord.notifications import models as notifications_models
from accord.registry import models as registry_models
from accord.sharing import models as sharing_models
from accord.transparency import models as transparency_models

__all__ = [
    "accountability_models",
    "advisories_models",
    "aggregation_models",
    "campaigns_models",
    "check_models",
    "disclosure_models",
    "identity_models",
    "jobs_models",
    "notifications_models",
    "oidc_models",
    "registry_models",
    "sharing_models",
    "transparency_models",
]
