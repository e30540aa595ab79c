"""a moderator's transcript of a voice note, kept beside the machine's

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transcription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrected_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("corrected_language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("corrected_by", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("corrected_at", core.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transcription", schema=None) as batch_op:
        batch_op.drop_column("corrected_at")
        batch_op.drop_column("corrected_by")
        batch_op.drop_column("corrected_language")
        batch_op.drop_column("corrected_text")
