"""one citizen on several channels: the short codes a citizen asks for on one channel and sends
from the other, and the wrong codes each identity sent lately

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-03 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_code",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(length=12), nullable=False, unique=True),
        sa.Column("citizen_id", sa.Integer(),
                  sa.ForeignKey("citizen.id", ondelete="CASCADE"), nullable=False),
        sa.Column("identity_id", sa.Integer(),
                  sa.ForeignKey("channel_identity.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_link_code_citizen_id", "link_code", ["citizen_id"])
    op.create_table(
        "link_try",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("identity_id", sa.Integer(),
                  sa.ForeignKey("channel_identity.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_link_try_identity_id", "link_try", ["identity_id"])


def downgrade() -> None:
    op.drop_table("link_try")
    op.drop_table("link_code")
