"""labels.presented_swapped may be NULL: the left/right order a label was given in is not known

Revision ID: 0012
Revises: 0011

Why: people's left-position preference (``analysis.bias.people_bias``) reads the order each label was
shown in. Labels that were never shown through the app (imported human labels such as PandaLM's test
set, ``Store.save_label`` from a script without an order) were stored as ``presented_swapped =
false``, i.e. "shown in canonical order", so an imported label for response 1 counted as "chose the
left one". NULL now means "not known", and those labels are left out of the figure (and counted).

Backfill: every label answered through the app, in a session or not, was leased first and its order
was drawn on the lease (``assignments``, one row per comparison and annotator, never deleted);
imports were not leased. So existing labels without a lease row for their (comparison, annotator)
get NULL; labels with one keep their order. The column loses its server default: a row inserted
without an order is NULL.

SQLite cannot drop NOT NULL in place, so batch mode rebuilds ``labels`` (copy, DROP, rename). With
``PRAGMA foreign_keys=ON`` (always on here) DROP TABLE would cascade into ``label_events``, so the
events are set aside in a temporary table first and put back afterwards, in the one migration
transaction (as in 0003 and 0006). PostgreSQL alters the column in place. The downgrade turns the
unknown orders back into false (canonical order): what 0011 stored for them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_LEASE = (
    "NOT EXISTS (SELECT 1 FROM assignments a "
    "WHERE a.comparison_id = labels.comparison_id AND a.annotator_id = labels.annotator_id)"
)


def _alter_order_column(nullable: bool, server_default: sa.sql.elements.False_ | None) -> None:
    """Make ``labels.presented_swapped`` (not) nullable, keeping every label and its events."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMP TABLE _label_events_aside AS SELECT * FROM label_events")
        op.execute("DELETE FROM label_events")
    with op.batch_alter_table("labels") as batch_op:
        batch_op.alter_column(
            "presented_swapped", existing_type=sa.Boolean(), nullable=nullable, server_default=server_default
        )
    if sqlite:
        op.execute("INSERT INTO label_events SELECT * FROM _label_events_aside")
        op.execute("DROP TABLE _label_events_aside")


def upgrade() -> None:
    _alter_order_column(nullable=True, server_default=None)
    op.execute(f"UPDATE labels SET presented_swapped = NULL WHERE {NO_LEASE}")


def downgrade() -> None:
    op.execute(
        sa.text("UPDATE labels SET presented_swapped = :canonical WHERE presented_swapped IS NULL").bindparams(
            canonical=False
        )
    )
    _alter_order_column(nullable=False, server_default=sa.false())
