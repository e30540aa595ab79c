"""council updates know their announcement: the live console shows how far each got

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("council_update", schema=None) as batch_op:
        batch_op.add_column(sa.Column("broadcast_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_council_update_broadcast_id", "broadcast",
                                    ["broadcast_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("council_update", schema=None) as batch_op:
        batch_op.drop_constraint("fk_council_update_broadcast_id", type_="foreignkey")
        batch_op.drop_column("broadcast_id")
