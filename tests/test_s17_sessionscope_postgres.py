"""Session members (migration 0022, ``session_members``) on a real PostgreSQL server (skipped, with the reason,
where none is installed): the migrations to head made the table, and the one rule lists and leases alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import accounts_studio, closing
from test_s17_sessionscope import NOT_OPEN, _dataset, _members, _names
from test_store_postgres import pg_server, pg_template, pg_url  # noqa: F401  (PostgreSQL fixtures)

from errors import NotFound
from orchestration import Studio


@pytest.fixture
def studio(pg_url: str, tmp_path: Path) -> Iterator[Studio]:  # noqa: F811  (pg_url: the fixture above)
    accounts = (("boss", "admin"), ("rev", "reviewer"), ("alice", "annotator"), ("bob", "annotator"))
    made = accounts_studio(tmp_path, accounts, database_url=pg_url)
    _dataset(made)
    made.store.save_session("crowd", "tiny")
    made.store.save_session("expert", "tiny", overlap=3)
    yield from closing(made)


def test_session_members_on_postgresql(studio: Studio) -> None:
    assert _members(studio, ["alice", "bob"]).members == ["alice", "bob"]
    assert _members(studio, [], ["bob"]).members == ["alice"]
    assert _names(studio, "bob") == ["crowd"] and _names(studio, "rev") == ["crowd", "expert"]
    with pytest.raises(NotFound, match=NOT_OPEN):
        studio.desk.next_item("bob", "expert")
    assert studio.desk.next_item("alice", "expert") is not None
    studio.store.delete_dataset("tiny", force=True)  # the session goes, and its members with it (ON DELETE CASCADE)
    with pytest.raises(Exception, match="There is no annotation session 'expert'"):
        studio.store.session_members("expert")
