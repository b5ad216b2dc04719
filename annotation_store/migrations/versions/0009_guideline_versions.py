"""session guideline versions (issue 12 item 6; owner: checkup/versions engineer)

Revision ID: 0009
Revises: 0008

Placeholder in the chain (no change yet): its owner fills in upgrade/downgrade and this docstring.
"""

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
