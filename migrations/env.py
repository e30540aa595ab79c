"""Alembic environment: Palabre's metadata, the URL given by the caller (palabre db upgrade)."""

from __future__ import annotations

from alembic import context

from core.db import SCHEDULER_TABLE, make_engine, metadata
from core.submissions.search import OUTSIDE_MODELS

config = context.config
target_metadata = metadata()


def include_object(_object, name, _type, _reflected, _compare_to) -> bool:  # type: ignore[no-untyped-def]
    """Autogenerate leaves alone what migrations make outside the models (search indexes,
    the scheduler's job store)."""
    return name not in OUTSIDE_MODELS and not name.startswith(SCHEDULER_TABLE) \
        and name != f"ix_{SCHEDULER_TABLE}_next_run_time"


def run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True,
                      include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
