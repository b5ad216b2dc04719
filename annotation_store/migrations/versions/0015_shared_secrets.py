"""secrets shared by every app server of a deployment: the key that signs login cookies

Revision ID: 0015
Revises: 0014

Why: browser logins are cookies signed with HMAC-SHA256 under a secret that each app server read from
``session-secret`` in its own data folder, so with several servers on one PostgreSQL database (behind
a load balancer) an admin had to copy that file to every machine by hand, or each server refused the
others' cookies and users were logged out at random. ``app_secrets`` holds one row per named secret
(``session``: the cookie signing key, 64 hex characters), made by whichever server starts first; the
app adopts an existing ``session-secret`` file into it at start, so nobody is logged out by the upgrade
(``web/sessions.py``). The downgrade drops the table and with it the signing key: an older version
makes a new ``session-secret`` on each server (everybody is logged out, and each server again needs
the same file) unless the renamed ``session-secret.imported`` is renamed back first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("app_secrets")
