"""session guideline versions: every saved change of a session's guidelines is kept, and each label
records the version in force when it was submitted (issue 12 item 6)

Revision ID: 0009
Revises: 0008

Why: changing a session's guidelines half-way silently changes what people are asked, so agreement
before and after the change is not comparable. ``guideline_versions`` keeps every text (append-only,
numbered per session from 1) and ``labels.guideline_version`` says which one each label was given
under, so the report shows agreement per version and drift is visible.

Existing sessions get their current text as version 1, and their labels (those given in a session)
version 1: the text they were given under is not known, and version 1 is the only one there is.

``labels`` only gains a nullable column (ALTER TABLE ADD COLUMN; no table is rebuilt: labels are
referenced by the event log). The downgrade drops it with ALTER TABLE DROP COLUMN (SQLite 3.35+; the
column has no index, key or constraint) and drops the table, losing the versions after the first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guideline_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id", sa.Integer(), sa.ForeignKey("annotation_sessions.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.UniqueConstraint("session_id", "version"),
        sa.CheckConstraint("version >= 1", name="guideline_version_positive"),
    )
    op.create_index("ix_guideline_versions_session_id", "guideline_versions", ["session_id"])
    op.add_column("labels", sa.Column("guideline_version", sa.Integer(), nullable=True))
    op.execute(
        "INSERT INTO guideline_versions (session_id, version, text, created_at, created_by) "
        "SELECT id, 1, guidelines, COALESCE(created_at, CURRENT_TIMESTAMP), NULL FROM annotation_sessions"
    )
    op.execute("UPDATE labels SET guideline_version = 1 WHERE session_id IS NOT NULL")


def downgrade() -> None:
    op.execute("ALTER TABLE labels DROP COLUMN guideline_version")
    op.drop_index("ix_guideline_versions_session_id", table_name="guideline_versions")
    op.drop_table("guideline_versions")
