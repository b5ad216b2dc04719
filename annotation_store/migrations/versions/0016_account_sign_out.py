"""an account-wide "signed out at": a password change or deactivation ends that account's browser logins

Revision ID: 0016
Revises: 0015

Why: a browser login is a signed cookie (name, session id, issue time); logging out records that one
session id (``revoked_sessions``, 0013), but nothing could end all of one account's logins at once, so
changing a leaked password left the intruder's cookie working, and a deactivated account got its
logins back on reactivation. ``annotators.signed_out_at`` (naive UTC, NULL: never) is set in the same
write transaction as a new password hash, a deactivation or ``judge-studio users sign-out NAME``; every
cookie use refuses a cookie issued at or before it (``web/sessions.py``). The same writes revoke the
account's API tokens (``api_tokens.revoked``, which needs no schema change). The downgrade drops the
column: logins signed out by it work again until they expire (revoked tokens stay revoked).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("annotators", sa.Column("signed_out_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Not batch mode: a rebuild of ``annotators`` would DROP it, and ON DELETE CASCADE would take every
    # label and token with it. SQLite has had ALTER TABLE DROP COLUMN since 3.35 (2021).
    op.drop_column("annotators", "signed_out_at")
