"""API tokens say when they were revoked

Revision ID: 0020
Revises: 0019

Why (s14 known gap): a revoked API token got the same 401 as an unknown one ("Send a valid API token ..."), so
a script whose token an admin had revoked could not tell that from a typo. ``api_tokens.revoked_at`` (naive
UTC, NULL while the token is not revoked) is set wherever a token is revoked (``DELETE /api/v1/tokens/{id}``,
``DELETE /api/v1/tokens/current``, ``users revoke-token``, signing an account out everywhere, a deactivation, a
new password), and the 401 says when.

Tokens revoked before this migration keep ``revoked_at`` NULL (the moment is not known); their 401 says only
that the token was revoked. The downgrade drops the column (SQLite 3.35+; it has no index, key or constraint).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("revoked_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Not batch mode: plain ALTER TABLE DROP COLUMN (SQLite 3.35+); nothing references ``api_tokens``.
    op.drop_column("api_tokens", "revoked_at")
