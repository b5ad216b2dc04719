"""annotation workflow: logins and roles, richer labels, leases, adjudication

Revision ID: 0003
Revises: 0002

SQLite cannot alter a column or add a CHECK in place, so batch mode rebuilds ``annotators``, ``labels``
and ``label_events`` (copy, DROP, rename). With ``PRAGMA foreign_keys=ON`` (always on here, and it
cannot be switched off inside the migration's transaction) DROP TABLE of a parent first deletes its
rows, and ON DELETE CASCADE would then delete every label and label event. So on SQLite the labels
and their events are set aside in temporary tables and emptied first, the tables are rebuilt, and the
rows are put back with their ids; all in the one migration transaction. PostgreSQL alters in place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns both revisions share: what is copied back after a rebuild.
LABEL_COLUMNS = "id, comparison_id, annotator_id, verdict, version, idempotency_key, created_at, updated_at"
EVENT_COLUMNS = "id, label_id, comparison_id, annotator_id, action, verdict, version, created_at"


def _set_labels_aside() -> bool:
    """On SQLite: copy labels and events into temp tables and empty them (see the module docstring)."""
    if op.get_bind().dialect.name != "sqlite":
        return False
    op.execute("CREATE TEMP TABLE _labels_aside AS SELECT * FROM labels")
    op.execute("CREATE TEMP TABLE _label_events_aside AS SELECT * FROM label_events")
    op.execute("DELETE FROM label_events")
    op.execute("DELETE FROM labels")
    return True


def _put_labels_back(label_columns: str, event_columns: str, where_label: str = "", where_event: str = "") -> None:
    op.execute(f"INSERT INTO labels ({label_columns}) SELECT {label_columns} FROM _labels_aside {where_label}")
    op.execute(
        f"INSERT INTO label_events ({event_columns}) SELECT {event_columns} FROM _label_events_aside {where_event}"
    )
    op.execute("DROP TABLE _label_events_aside")
    op.execute("DROP TABLE _labels_aside")


def upgrade() -> None:
    aside = _set_labels_aside()

    with op.batch_alter_table("annotators") as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_check_constraint("annotator_role_value", "role IN ('annotator', 'reviewer', 'admin')")
        batch_op.create_check_constraint("annotator_kind_value", "kind IN ('crowd', 'expert')")

    with op.batch_alter_table("prompts") as batch_op:  # an ADD COLUMN, no rebuild (prompts has children)
        batch_op.add_column(sa.Column("turns", sa.JSON(), nullable=True))

    # 0002 added these as FLOAT while the model says Double; make the schema match the model exactly.
    # judge_verdicts has no children, so its rebuild on SQLite is safe.
    with op.batch_alter_table("judge_verdicts") as batch_op:
        for column in ("p_1", "p_2", "p_tie"):
            batch_op.alter_column(column, existing_type=sa.Float(), type_=sa.Double(), existing_nullable=True)

    with op.batch_alter_table("labels") as batch_op:
        batch_op.alter_column("verdict", existing_type=sa.String(length=8), nullable=True)
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confidence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("comment", sa.Text(), server_default=sa.text("''"), nullable=False))
        batch_op.add_column(sa.Column("skipped", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("flagged", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("time_on_item_ms", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("presented_swapped", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_check_constraint(
            "label_verdict_or_rating",
            "(verdict IS NULL OR rating IS NULL) AND (skipped OR verdict IS NOT NULL OR rating IS NOT NULL)",
        )
        batch_op.create_check_constraint("label_rating_range", "rating IS NULL OR (rating BETWEEN 1 AND 10)")
        batch_op.create_check_constraint("label_confidence_range", "confidence IS NULL OR (confidence BETWEEN 1 AND 5)")
        batch_op.create_check_constraint(
            "label_time_on_item_positive", "time_on_item_ms IS NULL OR time_on_item_ms >= 0"
        )

    with op.batch_alter_table("label_events") as batch_op:
        batch_op.alter_column("verdict", existing_type=sa.String(length=8), nullable=True)
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confidence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("comment", sa.Text(), server_default=sa.text("''"), nullable=False))
        batch_op.add_column(sa.Column("skipped", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("flagged", sa.Boolean(), server_default=sa.false(), nullable=False))

    if aside:
        _put_labels_back(LABEL_COLUMNS, EVENT_COLUMNS)

    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comparison_id", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("leased_at", sa.DateTime(), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=False),
        sa.Column("presented_swapped", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["annotator_id"], ["annotators.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["comparison_id"], ["comparisons.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comparison_id", "annotator_id"),
    )
    with op.batch_alter_table("assignments") as batch_op:
        batch_op.create_index("ix_assignments_annotator_id_completed_at", ["annotator_id", "completed_at"])

    op.create_table(
        "adjudications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comparison_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("verdict IN ('1', '2', 'tie')", name="adjudication_verdict_value"),
        sa.CheckConstraint("trim(rationale) != ''", name="adjudication_rationale_required"),
        sa.ForeignKeyConstraint(["comparison_id"], ["comparisons.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reviewer_id"], ["annotators.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comparison_id"),
    )


def downgrade() -> None:
    """Back to 0002. Labels without a pairwise verdict (ratings, skips) and their events cannot exist
    there and are deleted, as are the new tables' rows and the new columns."""
    op.drop_table("adjudications")
    with op.batch_alter_table("assignments") as batch_op:
        batch_op.drop_index("ix_assignments_annotator_id_completed_at")
    op.drop_table("assignments")

    aside = _set_labels_aside()
    if not aside:
        op.execute("DELETE FROM label_events WHERE verdict IS NULL")
        op.execute("DELETE FROM labels WHERE verdict IS NULL")

    with op.batch_alter_table("label_events") as batch_op:
        batch_op.drop_column("flagged")
        batch_op.drop_column("skipped")
        batch_op.drop_column("comment")
        batch_op.drop_column("confidence")
        batch_op.drop_column("rating")
        batch_op.alter_column("verdict", existing_type=sa.String(length=8), nullable=False)

    with op.batch_alter_table("labels") as batch_op:
        batch_op.drop_constraint("label_time_on_item_positive", type_="check")
        batch_op.drop_constraint("label_confidence_range", type_="check")
        batch_op.drop_constraint("label_rating_range", type_="check")
        batch_op.drop_constraint("label_verdict_or_rating", type_="check")
        batch_op.drop_column("presented_swapped")
        batch_op.drop_column("time_on_item_ms")
        batch_op.drop_column("flagged")
        batch_op.drop_column("skipped")
        batch_op.drop_column("comment")
        batch_op.drop_column("confidence")
        batch_op.drop_column("rating")
        batch_op.alter_column("verdict", existing_type=sa.String(length=8), nullable=False)

    # Not batch mode: a rebuild of ``prompts`` would DROP it, and ON DELETE CASCADE would take every
    # response and comparison with it. SQLite has had ALTER TABLE DROP COLUMN since 3.35 (2021).
    op.drop_column("prompts", "turns")

    with op.batch_alter_table("judge_verdicts") as batch_op:
        for column in ("p_1", "p_2", "p_tie"):
            batch_op.alter_column(column, existing_type=sa.Double(), type_=sa.Float(), existing_nullable=True)

    with op.batch_alter_table("annotators") as batch_op:
        batch_op.drop_constraint("annotator_kind_value", type_="check")
        batch_op.drop_constraint("annotator_role_value", type_="check")
        batch_op.drop_column("active")
        batch_op.drop_column("password_hash")

    if aside:
        _put_labels_back(
            LABEL_COLUMNS,
            EVENT_COLUMNS,
            where_label="WHERE verdict IS NOT NULL",
            where_event=(
                "WHERE verdict IS NOT NULL AND label_id IN (SELECT id FROM _labels_aside WHERE verdict IS NOT NULL)"
            ),
        )
