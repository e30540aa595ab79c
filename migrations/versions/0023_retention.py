"""retention: when a voice recording was erased, when a silent citizen was forgotten

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("attachment", sa.Column("erased_at", core.db.UTCDateTime(), nullable=True))
    op.add_column("citizen", sa.Column("forgotten_at", core.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("citizen", "forgotten_at")
    op.drop_column("attachment", "erased_at")
