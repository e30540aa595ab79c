"""retention indexes: rows pointing to a channel identity, attachments by file

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 23:45:00

Forgetting a citizen deletes their channel identities; the database then looks for the rows
that point to each (ON DELETE SET NULL) in submission, inbound_message and outbound_message,
which without these indexes is a scan of each table per identity (bench/retention.py: 150 s of
153 for 10,000 citizens on SQLite). Erasing a recording looks up whether another attachment
still names its file.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (("ix_submission_identity_id", "submission", "identity_id"),
           ("ix_inbound_message_identity_id", "inbound_message", "identity_id"),
           ("ix_outbound_message_identity_id", "outbound_message", "identity_id"),
           ("ix_attachment_path", "attachment", "path"))


def upgrade() -> None:
    for name, table, column in INDEXES:  # plain CREATE INDEX: no table rebuild on SQLite
        op.create_index(name, table, [column], unique=False)


def downgrade() -> None:
    for name, table, _column in reversed(INDEXES):
        op.drop_index(name, table_name=table)
