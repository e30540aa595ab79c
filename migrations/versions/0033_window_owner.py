"""a message counted in a provider's window knows the process that booked it: when that
process dies, what it had in flight stops holding the window's room for a minute

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("send_window") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("send_window") as batch:
        batch.drop_column("owner")
