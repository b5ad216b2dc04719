"""Session 18, the lead's own fixes: a database stamped with two heads is not taken as up to date (review18c 5)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from annotation_store.db import head_revision, make_engine, sqlite_url, stored_revision, upgrade_to_head


def test_a_database_stamped_with_two_heads_is_not_taken_for_one_at_the_head(tmp_path: Path) -> None:
    """The early return of ``upgrade_to_head`` compares the stored revision with the newest migration: a second
    ``alembic_version`` row (a branch stamped beside the head) must leave the decision to Alembic, not pass as
    the head because its first row matches."""
    engine = make_engine(sqlite_url(tmp_path / "judge-studio.sqlite3"))
    try:
        upgrade_to_head(engine)
        head = head_revision()
        assert stored_revision(engine) == head
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('zz_other_head')"))
        assert stored_revision(engine) == "+".join(sorted([head, "zz_other_head"]))
        assert stored_revision(engine) != head
    finally:
        engine.dispose()
