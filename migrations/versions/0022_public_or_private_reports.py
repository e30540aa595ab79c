"""public or private reports: the citizen chooses whether a report's words and pin are published

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 23:00:00

Citizens who reported before were not told that Open311 publishes a report's text and pin:
their reports become private (category, arrondissement and status only). Reports filed through
Open311 and ideas stay public.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch "recreate" of submission on SQLite would drop the triggers
    # of its search index (0005_search.py).
    op.add_column("submission", sa.Column("public", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    op.execute("UPDATE submission SET public = true WHERE channel = 'open311' OR kind = 'idea'")


def downgrade() -> None:
    op.drop_column("submission", "public")  # SQLite 3.35+: no rebuild, the triggers stay
