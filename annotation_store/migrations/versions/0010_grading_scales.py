"""grading scales and rubrics per session, judge ratings' scale and spread, judge-uncertain-first grading

Revision ID: 0010
Revises: 0009

Why: a grading session may rate 1-5 (Prometheus 2 absolute grading) as well as 1-10 (MT-Bench), with
a rubric (a criterion and what each score means) shown to annotators and given to rubric-using
judges (issue 11, item 1). ``annotation_sessions`` gets ``scale`` (existing sessions: 10, today's
1-10) and ``rubric`` (''). ``judge_ratings`` gets ``scale`` (existing rows: 10, as every judge rating
so far came from ``mtbench-single``) so people and the judge are compared on the same scale, and
``rating_sd`` (the spread of the judge's rating probabilities in rating_mode 'expected'), one of the
signals of judge-uncertain-first grading sessions (issue 12, item 5): their leases, answers and
draws keep draw probabilities as the pairwise ones do (``rating_assignments.draw_probability``/
``drawn_by``, ``ratings.draw_probability``, the log ``rating_draws``).

Columns are added with ALTER TABLE ADD COLUMN (no table is rebuilt: these tables are referenced by
others, see 0006); the downgrade drops them with ALTER TABLE DROP COLUMN (SQLite 3.35+; none has an
index, a key or a constraint) and drops the log. A 1-5 session's ratings stay valid 1-10 ratings
after a downgrade (the database check is 1-10).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("annotation_sessions", "scale", sa.Integer(), sa.text("10"), False),
    ("annotation_sessions", "rubric", sa.Text(), sa.text("''"), False),
    ("judge_ratings", "scale", sa.Integer(), sa.text("10"), False),
    ("judge_ratings", "rating_sd", sa.Float(), None, True),
    ("rating_assignments", "draw_probability", sa.Float(), None, True),
    ("rating_assignments", "drawn_by", sa.String(20), None, True),
    ("ratings", "draw_probability", sa.Float(), None, True),
)


def upgrade() -> None:
    for table, name, type_, default, nullable in COLUMNS:
        op.add_column(table, sa.Column(name, type_, server_default=default, nullable=nullable))
    op.create_table(
        "rating_draws",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("annotation_sessions.id"), nullable=False),
        sa.Column("response_id", sa.Integer(), sa.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("annotator_id", sa.Integer(), sa.ForeignKey("annotators.id", ondelete="CASCADE"), nullable=False),
        sa.Column("drawn_by", sa.String(20), nullable=False),
        sa.Column("pool_size", sa.Integer(), nullable=False),
        sa.Column("uncertain_id", sa.Integer(), nullable=False),
        sa.Column("audit_rate", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_rating_draws_session_id", "rating_draws", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_rating_draws_session_id", table_name="rating_draws")
    op.drop_table("rating_draws")
    for table, name, _type, _default, _nullable in reversed(COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
