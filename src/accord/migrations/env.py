"""Alembic environment: runs against the engine the caller put in the config attributes."""

from __future__ import annotations

from alembic import context

import accord.models  # noqa: F401  (registers every table on the metadata)
from accord.db import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
