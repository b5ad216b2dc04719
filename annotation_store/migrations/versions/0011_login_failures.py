"""failed logins in the database, shared by every server process

Revision ID: 0011
Revises: 0010

Why: the login throttle (issue 13, item 4) counted failures in each process's memory, so with
``judge-studio serve-api --workers N`` an attacker had N times the attempts, and a restart forgot the
count. ``login_failures`` holds one row per failed login and key (``account:<name>``,
``address:<ip>``); the throttle counts rows inside its window and deletes older ones. Nothing else
refers to the table; the downgrade drops it (and with it the current counts).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_login_failures_failed_at", "login_failures", ["failed_at"])
    op.create_index("ix_login_failures_key_failed_at", "login_failures", ["key", "failed_at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_key_failed_at", table_name="login_failures")
    op.drop_index("ix_login_failures_failed_at", table_name="login_failures")
    op.drop_table("login_failures")
