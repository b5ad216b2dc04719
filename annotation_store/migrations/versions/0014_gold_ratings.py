"""gold responses for grading sessions: attention checks with a known rating range

Revision ID: 0014
Revises: 0013

Why: grading (single-answer) sessions had no attention checks; crowd graders could rate at random
unnoticed. ``gold_ratings`` holds one row per gold response: the scale it applies to (5 or 10), the
range of ratings that count as right (``low``..``high``, so "obviously poor: 1-2" is one mark) and the
explanation a grader reads after a rating outside it. Grading sessions on that scale hand gold
responses out at their gold rate, as pairwise sessions do with ``gold_labels``; sessions on the other
scale treat the response as an ordinary item. Nothing refers to the table; the downgrade drops it
(the ratings people gave on gold responses stay, as ordinary ratings).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gold_ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "response_id", sa.Integer(), sa.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        sa.Column("scale", sa.Integer(), nullable=False),
        sa.Column("low", sa.Integer(), nullable=False),
        sa.Column("high", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("scale IN (5, 10)", name="gold_rating_scale"),
        sa.CheckConstraint("low >= 1 AND low <= high AND high <= scale", name="gold_rating_range"),
    )


def downgrade() -> None:
    op.drop_table("gold_ratings")
