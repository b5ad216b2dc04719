"""annotation sessions, gold labels, API tokens, invites; idempotency keys on label events

Revision ID: 0004
Revises: 0003

Only new tables and one ADD COLUMN (plus an index), so no table is rebuilt and no row is touched.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "annotation_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("overlap", sa.Integer(), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("reveal_judge", sa.Boolean(), nullable=False),
        sa.Column("randomize_order", sa.Boolean(), nullable=False),
        sa.Column("lease_seconds", sa.Integer(), nullable=False),
        sa.Column("gold_rate", sa.Float(), nullable=False),
        sa.Column("guidelines", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("overlap >= 1", name="session_overlap_positive"),
        sa.CheckConstraint("lease_seconds >= 0", name="session_lease_not_negative"),
        sa.CheckConstraint("gold_rate >= 0 AND gold_rate <= 1", name="session_gold_rate_range"),
        sa.CheckConstraint("kind IN ('pairwise')", name="session_kind_value"),
    )
    op.create_index("ix_annotation_sessions_dataset_id", "annotation_sessions", ["dataset_id"])
    op.create_table(
        "gold_labels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "comparison_id",
            sa.Integer(),
            sa.ForeignKey("comparisons.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("verdict IN ('1', '2', 'tie')", name="gold_verdict_value"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("annotator_id", sa.Integer(), sa.ForeignKey("annotators.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_api_tokens_annotator_id", "api_tokens", ["annotator_id"])
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("annotators.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("used_by", sa.Integer(), sa.ForeignKey("annotators.id", ondelete="SET NULL"), nullable=True),
        sa.CheckConstraint("role IN ('annotator', 'reviewer', 'admin')", name="invite_role_value"),
        sa.CheckConstraint("kind IN ('crowd', 'expert')", name="invite_kind_value"),
    )
    op.add_column("label_events", sa.Column("idempotency_key", sa.String(100), nullable=True))
    op.create_index("ix_label_events_idempotency_key", "label_events", ["idempotency_key"], unique=True)
    # the keys already known (on the labels' latest writes) keep working for retries
    op.execute(
        "UPDATE label_events SET idempotency_key = (SELECT labels.idempotency_key FROM labels "
        "WHERE labels.id = label_events.label_id AND labels.version = label_events.version)"
    )


def downgrade() -> None:
    op.drop_index("ix_label_events_idempotency_key", table_name="label_events")
    with op.batch_alter_table("label_events") as batch_op:
        batch_op.drop_column("idempotency_key")
    op.drop_table("invites")
    op.drop_index("ix_api_tokens_annotator_id", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("gold_labels")
    op.drop_index("ix_annotation_sessions_dataset_id", table_name="annotation_sessions")
    op.drop_table("annotation_sessions")
