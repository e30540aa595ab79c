"""console sign-in: a moderator's password hash, one-time links to set it, browser sessions

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("moderator", sa.Column("password_hash", sa.String(200), nullable=True))
    for table in ("signin_link", "console_session"):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("moderator_id", sa.Integer(),
                      sa.ForeignKey("moderator.id", ondelete="CASCADE"), nullable=False),
            sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
            sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
            *_own_columns(table))
        op.create_index(f"ix_{table}_moderator_id", table, ["moderator_id"])


def _own_columns(table: str) -> list[sa.Column]:
    if table == "signin_link":
        return [sa.Column("expires_at", core.db.UTCDateTime(), nullable=False),
                sa.Column("used_at", core.db.UTCDateTime(), nullable=True)]
    return [sa.Column("last_seen_at", core.db.UTCDateTime(), nullable=False)]


def downgrade() -> None:
    op.drop_table("console_session")
    op.drop_table("signin_link")
    op.drop_column("moderator", "password_hash")
