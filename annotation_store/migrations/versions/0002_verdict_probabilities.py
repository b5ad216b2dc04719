"""verdict probabilities

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("judge_verdicts") as batch_op:
        batch_op.add_column(sa.Column("p_1", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("p_2", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("p_tie", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("judge_verdicts") as batch_op:
        batch_op.drop_column("p_tie")
        batch_op.drop_column("p_2")
        batch_op.drop_column("p_1")
