"""search: folded search_text with a trigram index (pg_trgm on PostgreSQL, FTS5 on SQLite)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 06:40:00

The inbox's free-text search (core/submissions/search.py) looks for every word of the query
inside `search_text`. On PostgreSQL a pg_trgm GIN index serves LIKE '%word%'; on SQLite an
FTS5 table with the trigram tokenizer (SQLite 3.34 or later) does, kept in step with the
submission table by triggers. A migration that later rebuilds the submission table on SQLite
(batch mode "recreate") drops those triggers and must make them again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.submissions.models import searchable

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
FTS_COLUMNS = "rowid, search_text"
SQLITE_STATEMENTS = (
    "CREATE VIRTUAL TABLE submission_fts USING fts5(search_text, content='submission', "
    "content_rowid='id', tokenize='trigram')",
    "INSERT INTO submission_fts(submission_fts) VALUES ('rebuild')",
    "CREATE TRIGGER submission_fts_insert AFTER INSERT ON submission BEGIN "
    f"INSERT INTO submission_fts({FTS_COLUMNS}) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER submission_fts_delete AFTER DELETE ON submission BEGIN "
    f"INSERT INTO submission_fts(submission_fts, {FTS_COLUMNS}) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER submission_fts_update AFTER UPDATE OF search_text ON submission BEGIN "
    f"INSERT INTO submission_fts(submission_fts, {FTS_COLUMNS}) "
    "VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO submission_fts({FTS_COLUMNS}) VALUES (new.id, new.search_text); END",
)
POSTGRES_STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_submission_search_trgm ON submission USING gin (search_text gin_trgm_ops)",
)


def upgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="",
                                      nullable=False))
    _fill_search_text()
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _check_sqlite_trigram(bind)
        for statement in SQLITE_STATEMENTS:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        for statement in POSTGRES_STATEMENTS:
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS submission_fts_{name}")
        op.execute("DROP TABLE IF EXISTS submission_fts")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_submission_search_trgm")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("search_text")


def _fill_search_text() -> None:
    """The folded text of the submissions already there, in batches."""
    bind = op.get_bind()
    submission = sa.table("submission", sa.column("id", sa.Integer), sa.column("title"),
                          sa.column("description"), sa.column("reference"),
                          sa.column("search_text"))
    last = 0
    while True:
        rows = bind.execute(sa.select(submission.c.id, submission.c.title,
                                      submission.c.description, submission.c.reference)
                            .where(submission.c.id > last).order_by(submission.c.id)
                            .limit(BATCH)).all()
        if not rows:
            return
        bind.execute(submission.update().where(submission.c.id == sa.bindparam("row_id"))
                     .values(search_text=sa.bindparam("folded")),
                     [{"row_id": r.id, "folded": searchable(r.title, r.description, r.reference)}
                      for r in rows])
        last = rows[-1].id


def _check_sqlite_trigram(bind: sa.Connection) -> None:
    try:
        bind.exec_driver_sql("CREATE VIRTUAL TABLE temp.palabre_probe USING fts5(x, "
                             "tokenize='trigram')")
        bind.exec_driver_sql("DROP TABLE temp.palabre_probe")
    except sa.exc.OperationalError as exc:
        version = bind.exec_driver_sql("SELECT sqlite_version()").scalar_one()
        raise RuntimeError(f"Palabre's search needs SQLite 3.34 or later with FTS5 (this "
                           f"Python has SQLite {version}): {exc}") from exc
