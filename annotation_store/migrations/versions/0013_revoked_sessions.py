"""logged-out browser sessions in the database, shared by every app server

Revision ID: 0013
Revises: 0012

Why: logging out recorded the session id in ``revoked-sessions.json`` in the data folder, so with two
app servers on one PostgreSQL database (behind a load balancer, or a restart on another machine) a
logout on one was not seen by the other, where a copy of the cookie kept working. ``revoked_sessions``
holds one row per logged-out session id until its cookie would have expired anyway (``expires_at``,
naive UTC like every other timestamp here; indexed for the purge that runs on each logout). The app
imports an old ``revoked-sessions.json`` into the table once at start (``web/sessions.py``). Nothing
else refers to the table; the downgrade drops it, and with it every logout recorded since: copies of
those cookies work again until they expire (an older version reads only the JSON file).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revoked_sessions",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_revoked_sessions_expires_at", "revoked_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_revoked_sessions_expires_at", table_name="revoked_sessions")
    op.drop_table("revoked_sessions")
