"""per-session coverage: answers and leases name their session; a lease minimum; indexes for submit → next

Revision ID: 0006
Revises: 0005

Why: the overlap k was counted per dataset, so two sessions on one dataset shared a pool, and a
submit could not be checked against the session it was leased in. ``labels``, ``ratings`` and both
lease tables get a nullable ``session_id`` (NULL: written outside any session, e.g. by an import),
with an index on (session_id, item) for the coverage counts of the lease and submit queries. The
foreign key has no ON DELETE action: a session that holds answers cannot be deleted by accident.

Existing rows: an answer or lease on a dataset with exactly one session of its kind is given that
session (it can only have come from there, or from an import); with several sessions it stays NULL,
because which one it belonged to was never stored. Sessions with a lease under 30 s get 30 s, and a
CHECK keeps it so (``session_lease_minimum``).

SQLite: the sessions table is rebuilt for the new CHECK *before* any table references it (DROP TABLE
of a parent with ``PRAGMA foreign_keys=ON`` runs the children's ON DELETE actions, see 0003); the
columns are added with ALTER TABLE ADD COLUMN, which rebuilds nothing. The downgrade has to rebuild
``labels`` and ``ratings`` (SQLite cannot drop a column with a foreign key), so their event logs are
set aside first and put back afterwards, in the one migration transaction. PostgreSQL alters in place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEASE_MIN_SECONDS = 30  # models.LEASE_MIN_SECONDS when this revision was written
# (table, item column, session kind, child table whose rows a SQLite rebuild would cascade into)
TABLES = (
    ("labels", "comparison_id", "pairwise", "label_events"),
    ("assignments", "comparison_id", "pairwise", None),
    ("ratings", "response_id", "single", "rating_events"),
    ("rating_assignments", "response_id", "single", None),
)


def _lease_check(name: str, condition: str, old: str) -> None:
    with op.batch_alter_table("annotation_sessions", recreate="always") as batch_op:
        batch_op.drop_constraint(old, type_="check")
        batch_op.create_check_constraint(name, condition)


def _dataset_of(table: str, item: str) -> str:
    if item == "comparison_id":
        return f"(SELECT c.dataset_id FROM comparisons c WHERE c.id = {table}.comparison_id)"
    return (
        f"(SELECT p.dataset_id FROM responses r JOIN prompts p ON p.id = r.prompt_id WHERE r.id = {table}.response_id)"
    )


def _backfill(table: str, item: str, kind: str) -> None:
    """Give each row the one session of its kind on its dataset, where there is exactly one."""
    dataset = _dataset_of(table, item)
    one = f"SELECT s.id FROM annotation_sessions s WHERE s.kind = '{kind}' AND s.dataset_id = {dataset}"
    op.execute(
        f"UPDATE {table} SET session_id = ({one}) "
        f"WHERE (SELECT count(*) FROM annotation_sessions s WHERE s.kind = '{kind}' AND s.dataset_id = {dataset}) = 1"
    )


def upgrade() -> None:
    op.execute(f"UPDATE annotation_sessions SET lease_seconds = {LEASE_MIN_SECONDS} WHERE lease_seconds < 30")
    _lease_check("session_lease_minimum", f"lease_seconds >= {LEASE_MIN_SECONDS}", "session_lease_not_negative")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, item, kind, _child in TABLES:
        if sqlite:  # Alembic would add the foreign key as a separate ALTER, which SQLite lacks
            op.execute(f"ALTER TABLE {table} ADD COLUMN session_id INTEGER REFERENCES annotation_sessions (id)")
        else:
            reference = sa.ForeignKey("annotation_sessions.id")
            op.add_column(table, sa.Column("session_id", sa.Integer(), reference, nullable=True))
        op.create_index(f"ix_{table}_session_id_{item}", table, ["session_id", item])
        _backfill(table, item, kind)


def _set_aside(child: str) -> None:
    op.execute(f"CREATE TEMP TABLE _{child}_aside AS SELECT * FROM {child}")
    op.execute(f"DELETE FROM {child}")


def _put_back(child: str) -> None:
    op.execute(f"INSERT INTO {child} SELECT * FROM _{child}_aside")
    op.execute(f"DROP TABLE _{child}_aside")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, item, _kind, child in TABLES:
        op.drop_index(f"ix_{table}_session_id_{item}", table_name=table)
        if sqlite and child:
            _set_aside(child)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("session_id")
        if sqlite and child:
            _put_back(child)
    _lease_check("session_lease_not_negative", "lease_seconds >= 0", "session_lease_minimum")
