"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from accord.db import Base, alembic_config


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_every_domain_branch_is_at_its_head(engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    # A branch that depends on another (every domain depends on identity's first revision)
    # takes that revision's place in the version table; count it as applied all the same.
    applied = {revision.revision for revision in script.iterate_revisions(current, "base")}
    assert set(script.get_heads()) <= applied


def test_revision_ids_name_their_domain() -> None:
    from pathlib import Path

    import accord.migrations

    folder = Path(accord.migrations.__file__).parent / "versions"
    for path in folder.glob("*.py"):
        if path.name == "__init__.py":
            continue
        # <yyyy>_<mm>_<dd>_<domain>_<nnnn>_<slug>.py
        parts = path.stem.split("_")
        assert len(parts) >= 5, path.name
        assert parts[0].isdigit(), path.name
        assert len(parts[0]) == 4, path.name
