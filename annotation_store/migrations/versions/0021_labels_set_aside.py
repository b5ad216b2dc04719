"""An account's labels can be set aside

Revision ID: 0021
Revises: 0020

Why (s16 campaign, finding 1): deactivating a bad annotator (random answers, failed gold) changed nothing in the
data: their labels kept filling the session's overlap, the majority, the review queue and the exports.
``annotators.labels_set_aside_at`` (naive UTC, NULL while the account's answers count) is set by
``users set-aside NAME`` and the Admin page's "Set labels aside", and cleared by ``--undo`` / "Count labels
again". Nothing is deleted: the store's reads leave a set-aside account's answers out of every figure and of
the session's coverage (``annotation_store.set_aside.counted``), and the raw labels export still lists them
with ``set_aside`` true.

Every existing account keeps NULL (its answers count, as before). The downgrade drops the column (SQLite 3.35+;
it has no index, key or constraint).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("annotators", sa.Column("labels_set_aside_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Not batch mode: plain ALTER TABLE DROP COLUMN (SQLite 3.35+); the column has no index or constraint.
    op.drop_column("annotators", "labels_set_aside_at")
