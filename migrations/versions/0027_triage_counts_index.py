"""triage counts index: the console's folders counted from one index

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 04:40:00

The console's inbox counts its folders (all, new, mine, unassigned, reopened) on every load.
On 100,000 submissions each count read the table's rows for `hidden` and `assignee_id`
(bench/console.py: 47 ms for one commune's "all" on SQLite); with commune, hidden, status and
assignee in one index each count reads only the index (under 3 ms).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_submission_triage", "submission",
                    ["commune_id", "hidden", "status", "assignee_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_submission_triage", table_name="submission")
