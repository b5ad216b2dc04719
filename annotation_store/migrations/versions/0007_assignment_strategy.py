"""assignment strategy per session: judge-uncertain-first with an audit share, and draw probabilities

Revision ID: 0007
Revises: 0006

Why: a session may hand out the items where the judge is least certain first (issue 12, item 5). The
bias-corrected estimates stay unbiased only if the probability with which each item was drawn is
known, so every draw of such a session is logged (``session_draws``) and the lease and the answer
keep the probability of theirs (``assignments.draw_probability``/``drawn_by``,
``labels.draw_probability``). ``annotation_sessions`` gets ``strategy`` (existing sessions:
'least-annotated', today's behaviour) and ``audit_rate``.

All columns are added with ALTER TABLE ADD COLUMN (no table is rebuilt: ``annotation_sessions`` is
referenced by answers and leases, see 0006). The downgrade drops them with ALTER TABLE DROP COLUMN
(SQLite 3.35+; none of them has an index, a key or a constraint) and drops the log.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("annotation_sessions", "strategy", sa.String(40), sa.text("'least-annotated'"), False),
    ("annotation_sessions", "audit_rate", sa.Float(), sa.text("0.2"), False),
    ("assignments", "draw_probability", sa.Float(), None, True),
    ("assignments", "drawn_by", sa.String(20), None, True),
    ("labels", "draw_probability", sa.Float(), None, True),
)


def upgrade() -> None:
    for table, name, type_, default, nullable in COLUMNS:
        op.add_column(table, sa.Column(name, type_, server_default=default, nullable=nullable))
    op.create_table(
        "session_draws",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("annotation_sessions.id"), nullable=False),
        sa.Column("comparison_id", sa.Integer(), sa.ForeignKey("comparisons.id", ondelete="CASCADE"), nullable=False),
        sa.Column("annotator_id", sa.Integer(), sa.ForeignKey("annotators.id", ondelete="CASCADE"), nullable=False),
        sa.Column("drawn_by", sa.String(20), nullable=False),
        sa.Column("pool_size", sa.Integer(), nullable=False),
        sa.Column("uncertain_id", sa.Integer(), nullable=False),
        sa.Column("audit_rate", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_session_draws_session_id", "session_draws", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_session_draws_session_id", table_name="session_draws")
    op.drop_table("session_draws")
    for table, name, _type, _default, _nullable in reversed(COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
