"""citizens say which language they speak, apart from the one they read, and whether their
voice notes may train speech models

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("citizen", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spoken_language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("voice_data_consent_at", core.db.UTCDateTime(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("citizen", schema=None) as batch_op:
        batch_op.drop_column("voice_data_consent_at")
        batch_op.drop_column("spoken_language")
