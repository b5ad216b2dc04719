"""annotators and invites may be of kind "skilled" (the alternative-annotator test's middle group)

Revision ID: 0017
Revises: 0016

Why: the alternative-annotator test (``analysis.alt_test``, Calderon et al. 2025) groups people by kind
with the paper's margins: experts 0.2, skilled annotators 0.15, crowd workers 0.1. Accounts and invites
could only be "crowd" or "expert", so a team of trained (not expert) annotators had to be filed under
one of the two and was tested with the wrong margin. Both CHECK constraints (``annotator_kind_value``,
``invite_kind_value``) now allow 'skilled' as well; no row changes.

SQLite cannot alter a CHECK in place, so batch mode rebuilds ``annotators`` and ``invites`` (copy, DROP,
rename). With ``PRAGMA foreign_keys=ON`` (always on here; it cannot be switched off inside the
migration's transaction) DROP TABLE annotators first deletes its rows: ON DELETE CASCADE would delete
every label, rating, event, lease, draw and API token, SET NULL would clear the invites' creators, and
the adjudications' reviewer key would refuse the DROP. So every table that refers to ``annotators``,
directly or through another such table (read from the schema, ``PRAGMA foreign_key_list``), is set
aside in a temporary table and emptied, referring tables first; the two tables are rebuilt; the rows
go back with their ids, referred-to tables first; all in the one migration transaction (as 0003, 0006
and 0012 do for fewer tables). PostgreSQL swaps the constraints in place.

Downgrade: refuses (and changes nothing) while an account, or an invite that still works, is of kind
"skilled", naming them. It does not map them to "crowd": a person's kind decides which group and
margin the alternative-annotator test puts their labels in, and a silent change would move a skilled
team's labels into the crowd group with a stricter margin, and stay wrong after an upgrade. The admin
chooses (``judge-studio users set NAME --kind crowd`` or ``expert``). Used or expired invites decide
nothing any more (the account made from one carries its own kind): theirs become "crowd".
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WIDE = "kind IN ('crowd', 'skilled', 'expert')"
NARROW = "kind IN ('crowd', 'expert')"
CONSTRAINTS = (("annotators", "annotator_kind_value"), ("invites", "invite_kind_value"))


def _referring_tables(bind: sa.Connection) -> list[str]:
    """The SQLite tables that refer to ``annotators`` directly or through one another, each listed
    before every table it refers to (the order to empty them in; the reverse puts them back)."""
    names = bind.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    tables = [str(row[0]) for row in names]
    refers = {t: {str(fk[2]) for fk in bind.exec_driver_sql(f'PRAGMA foreign_key_list("{t}")')} for t in tables}
    found: set[str] = set()
    reached = {"annotators"}
    while reached:
        reached = {t for t in tables if refers[t] & reached and t not in found and t != "annotators"}
        found |= reached
    order: list[str] = []
    while found:
        unreferred = sorted(t for t in found if not any(t in refers[o] for o in found if o != t))
        if not unreferred:
            raise RuntimeError(f"Tables that refer to one another in a cycle: {sorted(found)}; nothing was changed.")
        order += unreferred
        found -= set(unreferred)
    return order


def _columns(bind: sa.Connection, table: str) -> str:
    return ", ".join(f'"{row[1]}"' for row in bind.exec_driver_sql(f'PRAGMA table_info("{table}")'))


def _set_kind_check(check: str) -> None:
    """Replace both kind constraints by ``check``, keeping every row (see the module docstring)."""
    bind = op.get_bind()
    aside = _referring_tables(bind) if bind.dialect.name == "sqlite" else []
    for table in aside:  # referring tables first: nothing is left for a cascade to reach
        op.execute(f'CREATE TEMP TABLE "_aside_{table}" AS SELECT * FROM "{table}"')
        op.execute(f'DELETE FROM "{table}"')
    for table, name in CONSTRAINTS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(name, type_="check")
            batch_op.create_check_constraint(name, check)
    for table in reversed(aside):  # referred-to tables first, so every foreign key finds its row
        columns = _columns(bind, table)
        op.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "_aside_{table}"')
        op.execute(f'DROP TABLE "_aside_{table}"')


def upgrade() -> None:
    _set_kind_check(WIDE)


def _refuse_skilled(bind: sa.Connection) -> None:
    """Stop the downgrade, naming what is of kind "skilled" and how to change it."""
    accounts = [str(row[0]) for row in bind.execute(sa.text("SELECT name FROM annotators WHERE kind = 'skilled'"))]
    live = sa.text(
        "SELECT count(*), max(expires_at) FROM invites WHERE kind = 'skilled' AND used_at IS NULL AND expires_at > :now"
    )
    invites, last = bind.execute(live.bindparams(now=_utcnow())).one()
    if not accounts and not invites:
        return
    problems = []
    if accounts:
        shown = ", ".join(repr(name) for name in sorted(accounts)[:20]) + (" …" if len(accounts) > 20 else "")
        problems.append(
            f"{len(accounts)} account(s) of kind 'skilled' ({shown}): change each first with "
            "'judge-studio users set NAME --kind crowd' (or --kind expert)"
        )
    if invites:
        problems.append(
            f"{invites} unused invite link(s) of kind 'skilled' still work (the last until {str(last)[:16]} UTC): "
            "wait until then, or delete them (DELETE FROM invites WHERE kind = 'skilled' AND used_at IS NULL)"
        )
    raise RuntimeError(
        "Revision 0016 cannot store annotators of kind 'skilled'; " + "; ".join(problems) + ". Nothing was changed."
    )


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as every timestamp in the database


def downgrade() -> None:
    bind = op.get_bind()
    _refuse_skilled(bind)
    op.execute("UPDATE invites SET kind = 'crowd' WHERE kind = 'skilled'")  # used or expired: see the docstring
    _set_kind_check(NARROW)
