"""console forms acted on once: a form sent twice shows its result instead of acting again

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_form_use",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("moderator_id", sa.Integer(),
                  sa.ForeignKey("moderator.id", ondelete="CASCADE"), nullable=False),
        sa.Column("used_at", core.db.UTCDateTime(), nullable=False))
    op.create_index("ix_console_form_use_moderator_id", "console_form_use", ["moderator_id"])


def downgrade() -> None:
    op.drop_table("console_form_use")
