"""grading scales and rubrics per session (issue 11; owner: grading engineer)

Revision ID: 0010
Revises: 0009

Placeholder in the chain (no change yet): its owner fills in upgrade/downgrade and this docstring.
"""

from collections.abc import Sequence

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
