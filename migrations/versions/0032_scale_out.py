"""many processes on one database: the processes alive (their heartbeat owns their claims),
the providers' pace shared by every sender, files kept in the database for every machine,
and an index for claiming a sender's first waiting message

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = sa.text("status = 'received'")


def upgrade() -> None:
    op.create_table(
        "worker_process",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=120), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("roles", sa.String(length=120), nullable=False),
        sa.Column("lock_key", sa.BigInteger(), nullable=True),
        sa.Column("started_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("seen_at", core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "send_pace",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.Column("paused_until", sa.Float(), nullable=False),
        sa.Column("pauses", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "send_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_send_window_key_at", "send_window", ["key", "at"])
    op.create_table(
        "media_blob",
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("path"),
    )
    op.create_index("ix_inbound_waiting_sender", "inbound_message",
                    ["channel", "address", "id"], postgresql_where=WAITING,
                    sqlite_where=WAITING)


def downgrade() -> None:
    op.drop_index("ix_inbound_waiting_sender", table_name="inbound_message")
    op.drop_table("media_blob")
    op.drop_index("ix_send_window_key_at", table_name="send_window")
    op.drop_table("send_window")
    op.drop_table("send_pace")
    op.drop_table("worker_process")
