"""the order a session hands items out in: breadth (least-annotated first) or depth (fill each item first)

Revision ID: 0018
Revises: 0017

Why: sessions hand out the least-annotated item first, so with overlap k a small team gives every item
one answer before any item gets a second, and no inter-annotator agreement can be read for a long
time. ``annotation_sessions.fill`` says which order a session uses: 'breadth' (today's behaviour) or
'depth' (the most-covered item still short of k first, so items reach k answers one after another).
Existing sessions get 'breadth' from the server default, so nothing they do changes.

Added with ALTER TABLE ADD COLUMN (no rebuild: ``annotation_sessions`` is referenced by answers and
leases, see 0006 and 0007). The downgrade drops the column (SQLite 3.35+; it has no index, key or
constraint); depth sessions then hand items out breadth-first again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "annotation_sessions",
        sa.Column("fill", sa.String(10), server_default=sa.text("'breadth'"), nullable=False),
    )


def downgrade() -> None:
    # Not batch mode: a rebuild of ``annotation_sessions`` would DROP it, and ON DELETE CASCADE would take
    # its answers and leases with it. SQLite has had ALTER TABLE DROP COLUMN since 3.35 (2021).
    op.drop_column("annotation_sessions", "fill")
