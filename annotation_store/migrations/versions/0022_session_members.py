"""Sessions can be limited to named accounts

Revision ID: 0022
Revises: 0021

Why (s16 campaign, finding 10): every annotator could list every open session with its guidelines and take
items from any of them, so a manager running a paid crowd session beside an expert session could not say who
works where. ``session_members`` holds (session, account) pairs, one each (``uq_session_members_pair``), both
deleted with their session or account (ON DELETE CASCADE, as ``guideline_versions`` and ``labels`` do). A
session with no rows stays open to every annotator (every existing session: nothing changes on upgrade); a
session with rows is open to those accounts only (reviewers and admins still see and work in every session).
``judge-studio sessions members NAME --add/--remove`` writes them; ``orchestration.annotation.AnswerDesk``
enforces them.

The downgrade drops the table (the memberships are lost; every session is open to everyone again).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "session_members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id", sa.Integer(), sa.ForeignKey("annotation_sessions.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("annotator_id", sa.Integer(), sa.ForeignKey("annotators.id", ondelete="CASCADE"), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("added_by", sa.String(100), nullable=True),
        sa.UniqueConstraint("session_id", "annotator_id", name="uq_session_members_pair"),
    )
    op.create_index("ix_session_members_session_id", "session_members", ["session_id"])
    op.create_index("ix_session_members_annotator_id", "session_members", ["annotator_id"])


def downgrade() -> None:
    op.drop_index("ix_session_members_annotator_id", table_name="session_members")
    op.drop_index("ix_session_members_session_id", table_name="session_members")
    op.drop_table("session_members")
