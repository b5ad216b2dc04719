"""API tokens expire and say when they were last used

Revision ID: 0019
Revises: 0018

Why (s14 integrator finding 2): a REST API token worked until its account was signed out, deactivated or
given a new password, with no way to tell a forgotten CI token from one in use. ``api_tokens.expires_at``
(naive UTC, required) ends a token's life: every new token gets one (the ``token_days`` setting, or what
``POST /api/v1/tokens`` asks for within its bounds). ``api_tokens.last_used_at`` (naive UTC, NULL: not used
since it was made, or since this migration) is stamped by a REST request at most once a minute per token.

Tokens made before this migration get ``expires_at`` = the moment of the upgrade + 90 days (the setting's
default lifetime), so no running integration stops at once and none lives for ever; their
``last_used_at`` stays NULL until their next use. ``created_at`` existed already.

``expires_at`` is added nullable, filled, then made NOT NULL in batch mode: on SQLite that rebuilds
``api_tokens``, which no table references (nothing cascades from it). The downgrade drops both columns
(SQLite 3.35+; neither has an index, key or constraint): tokens then never expire again.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The lifetime given to tokens that existed before this migration (``token_days``' default; the migration
#: reads no setting, so a deployment's own value applies to the tokens made after it).
EXISTING_TOKEN_DAYS = 90


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(), nullable=True))
    op.add_column("api_tokens", sa.Column("last_used_at", sa.DateTime(), nullable=True))
    until = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=EXISTING_TOKEN_DAYS)
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime()))
    op.execute(tokens.update().where(tokens.c.expires_at.is_(None)).values(expires_at=until))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(), nullable=False)


def downgrade() -> None:
    # Not batch mode: plain ALTER TABLE DROP COLUMN (SQLite 3.35+); nothing references ``api_tokens``.
    op.drop_column("api_tokens", "last_used_at")
    op.drop_column("api_tokens", "expires_at")
