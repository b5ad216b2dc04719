"""single-answer grading: ratings, their event log and leases, judge ratings; session kind 'single'

Revision ID: 0005
Revises: 0004

New tables, plus a new CHECK on ``annotation_sessions.kind`` (now 'pairwise' or 'single'). SQLite
cannot change a CHECK in place, so batch mode rebuilds ``annotation_sessions`` (copy, DROP, rename).
That is safe under ``PRAGMA foreign_keys=ON`` (see 0003's docstring): no table references
``annotation_sessions``, so its DROP cascades into nothing. PostgreSQL alters in place.

Downgrade drops the new tables and the sessions of kind 'single' (they cannot exist at 0004).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _session_kinds(kinds: str) -> None:
    with op.batch_alter_table("annotation_sessions", recreate="always") as batch_op:
        batch_op.drop_constraint("session_kind_value", type_="check")
        batch_op.create_check_constraint("session_kind_value", f"kind IN ({kinds})")


def upgrade() -> None:
    _session_kinds("'pairwise', 'single'")
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("response_id", sa.Integer(), sa.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("annotator_id", sa.Integer(), sa.ForeignKey("annotators.id", ondelete="CASCADE"), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("time_on_item_ms", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("response_id", "annotator_id"),
        sa.CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 10)", name="rating_value_range"),
        sa.CheckConstraint("(rating IS NULL) = skipped", name="rating_iff_not_skipped"),
        sa.CheckConstraint("confidence IS NULL OR (confidence BETWEEN 1 AND 5)", name="rating_confidence_range"),
        sa.CheckConstraint("time_on_item_ms IS NULL OR time_on_item_ms >= 0", name="rating_time_on_item_positive"),
    )
    op.create_index("ix_ratings_response_id", "ratings", ["response_id"])
    op.create_index("ix_ratings_annotator_id", "ratings", ["annotator_id"])
    op.create_index("ix_ratings_idempotency_key", "ratings", ["idempotency_key"], unique=True)
    op.create_table(
        "rating_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rating_id", sa.Integer(), sa.ForeignKey("ratings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("response_id", sa.Integer(), sa.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("annotator_id", sa.Integer(), sa.ForeignKey("annotators.id", ondelete="CASCADE"), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_rating_events_rating_id", "rating_events", ["rating_id"])
    op.create_index("ix_rating_events_idempotency_key", "rating_events", ["idempotency_key"], unique=True)
    op.create_table(
        "rating_assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("response_id", sa.Integer(), sa.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("annotator_id", sa.Integer(), sa.ForeignKey("annotators.id", ondelete="CASCADE"), nullable=False),
        sa.Column("leased_at", sa.DateTime(), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("response_id", "annotator_id"),
    )
    op.create_index(
        "ix_rating_assignments_annotator_id_completed_at", "rating_assignments", ["annotator_id", "completed_at"]
    )
    op.create_table(
        "judge_ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("judge_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("response_id", sa.Integer(), sa.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw_output", sa.Text(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("latency_s", sa.Double(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("run_id", "response_id"),
        sa.CheckConstraint("status IN ('ok', 'unparsed', 'truncated', 'error')", name="judge_rating_status_value"),
        sa.CheckConstraint("(status = 'ok') = (score IS NOT NULL)", name="judge_rating_score_iff_ok"),
        sa.CheckConstraint("score IS NULL OR (score >= 1 AND score <= 10)", name="judge_rating_score_range"),
    )
    op.create_index("ix_judge_ratings_run_id", "judge_ratings", ["run_id"])
    op.create_index("ix_judge_ratings_response_id", "judge_ratings", ["response_id"])


def downgrade() -> None:
    op.drop_table("judge_ratings")
    op.drop_table("rating_assignments")
    op.drop_table("rating_events")
    op.drop_table("ratings")
    op.execute("DELETE FROM annotation_sessions WHERE kind = 'single'")
    _session_kinds("'pairwise'")
