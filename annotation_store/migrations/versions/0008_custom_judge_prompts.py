"""custom judge prompts, versioned by template hash (issue 11 item 2; owner: custom-prompts engineer)

Revision ID: 0008
Revises: 0007

Placeholder in the chain (no change yet): its owner fills in upgrade/downgrade and this docstring.
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
