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
        current = set(MigrationContext.configure(conn).get_current_heads())
    # A domain branch depends on identity's first revision, so the version table records only
    # the dependent head; every script head must be applied, as a head or as a dependency.
    applied: set[str] = set()
    pending = list(current)
    while pending:
        revision = script.get_revision(pending.pop())
        if revision is None or revision.revision in applied:
            continue
        applied.add(revision.revision)
        for parent in (revision.down_revision, revision.dependencies):
            pending.extend([parent] if isinstance(parent, str) else list(parent or ()))
    assert set(script.get_heads()) <= applied
    assert current <= set(script.get_heads())


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
