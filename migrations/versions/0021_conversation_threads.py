"""conversation threads: the messages of the flow that filed a submission, and those about it

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 22:00:00

Submissions filed before this have no flow thread to show: each gets a thread of its own, so
the messages about it from now on (status updates, the mairie's replies) are shown beside it,
and never the citizen's other messages.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("inbound_message", "outbound_message"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(
                "thread", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
            batch_op.create_index(f"ix_{table}_thread", ["thread"], unique=False)
    # A plain ADD COLUMN: a batch "recreate" of submission on SQLite would drop the triggers
    # of its search index (0005_search.py).
    op.add_column("submission", sa.Column(
        "thread", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.execute("UPDATE submission SET thread = 'sub' || CAST(id AS VARCHAR(20))")


def downgrade() -> None:
    op.drop_column("submission", "thread")  # SQLite 3.35+: no rebuild, the triggers stay
    for table in ("outbound_message", "inbound_message"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_thread")
            batch_op.drop_column("thread")
