"""custom judge prompts, versioned by template hash (issue 11 item 2)

Revision ID: 0008
Revises: 0007

Why: people write their own judge prompts and need every version kept, so that agreement per version can
be compared and any judge run traced to the exact text it used. ``judge_prompts`` is append-only (the
store has no update or delete for it): each saved edit is a new row with the next ``version`` of its
``name``; ``hash`` (SHA-256 of the canonical JSON of template, system prompt, rule, kind, chat flag and
rubric) is unique. ``created_by`` is the account name that saved it (none from the command line).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "judge_prompts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("system", sa.Text(), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("chat", sa.Boolean(), nullable=False),
        sa.Column("rubric", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.UniqueConstraint("name", "version"),
        sa.CheckConstraint("kind IN ('pair', 'single')", name="judge_prompt_kind_value"),
        sa.CheckConstraint("version >= 1", name="judge_prompt_version_positive"),
    )
    op.create_index("ix_judge_prompts_name", "judge_prompts", ["name"])


def downgrade() -> None:
    op.drop_index("ix_judge_prompts_name", table_name="judge_prompts")
    op.drop_table("judge_prompts")
