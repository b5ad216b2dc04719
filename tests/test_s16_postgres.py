"""Session 16's store changes on a real PostgreSQL server (skipped, with the reason, where none is installed):
migration 0021 (``labels_set_aside_at``) and the set-aside filter in the pool and progress queries, and the login
throttle's window-function query that says when a lock really ends (s16 review finding 5)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import accounts_studio, closing
from test_s16_reviewfix import test_an_address_far_over_the_limit_is_told_when_its_lock_really_ends as lock_case
from test_s16_setaside import _dataset
from test_store_postgres import pg_server, pg_template, pg_url  # noqa: F401  (PostgreSQL fixtures)

from orchestration import Studio
from orchestration.admin import AdminDesk


@pytest.fixture
def studio(pg_url: str, tmp_path: Path) -> Iterator[Studio]:  # noqa: F811  (pg_url: the fixture above)
    accounts = (("ada", "admin"), ("boss", "admin"), ("alice", "annotator"), ("bob", "annotator"))
    yield from closing(accounts_studio(tmp_path, (*accounts, ("ann4", "annotator")), database_url=pg_url))


def test_set_aside_on_postgresql(studio: Studio) -> None:
    (only,) = _dataset(studio)
    studio.store.save_session("k1", "tiny", overlap=1)
    theirs = studio.desk.next_item("ann4", "k1")
    assert theirs is not None
    studio.desk.submit("ann4", "k1", theirs.id, "left", swapped=theirs.swapped)
    assert studio.desk.next_item("bob", "k1") is None  # the overlap is full

    AdminDesk(studio).set_labels_aside("boss", "ann4")
    mine = studio.desk.next_item("bob", "k1")
    assert mine is not None and mine.id == only  # the item went back to the pool
    studio.desk.submit("bob", "k1", mine.id, "right", swapped=mine.swapped)
    assert list(studio.store.labels("tiny")["annotator"]) == ["bob"]  # the figures read bob's label only
    AdminDesk(studio).set_labels_aside("boss", "ann4", undo=True)
    assert sorted(studio.store.labels("tiny")["annotator"]) == ["ann4", "bob"]  # nothing was deleted


def test_when_a_lock_ends_on_postgresql(studio: Studio) -> None:
    lock_case(studio)
