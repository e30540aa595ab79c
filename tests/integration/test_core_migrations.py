"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from core.db import SCHEDULER_TABLE, metadata
from core.submissions.search import OUTSIDE_MODELS as SEARCH
from palabre.bootstrap import MIGRATIONS, migrate

OUTSIDE_MODELS = SEARCH | {SCHEDULER_TABLE, f"ix_{SCHEDULER_TABLE}_next_run_time"}


def test_migrated_schema_matches_the_models(app) -> None:
    with app.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_object": lambda _o, name, *_: name not in OUTSIDE_MODELS})
        differences = compare_metadata(context, metadata())
    assert differences == []


def test_migrations_go_down_to_nothing_and_up_again(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    engine = create_engine(url)

    migrate(url)
    tables = set(inspect(engine).get_table_names())
    command.downgrade(config, "base")
    emptied = set(inspect(engine).get_table_names())
    command.upgrade(config, "head")
    again = set(inspect(engine).get_table_names())
    engine.dispose()

    assert tables - OUTSIDE_MODELS == {t.name for t in metadata().sorted_tables} | {
        "alembic_version"}
    assert emptied == {"alembic_version"}
    assert again == tables


def test_the_search_index_triggers_survive_every_migration(tmp_path) -> None:
    """SQLite: a migration that rebuilt the submission table would drop the triggers that
    keep the search index in step (0005_search.py); the inbox would then find nothing new."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        triggers = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars().all()
    engine.dispose()
    assert sorted(triggers) == [f"submission_fts_{name}" for name in
                                ("delete", "insert", "update")]
