"""What one submit-then-next (the Annotate page's submit) costs inside its write transaction, and that
the values it reads once and hands on (role check, gold, progress, the picked item's state) are the
ones separate reads give. Why: on PostgreSQL every write transaction holds one global lock, so the
statements inside it cap throughput across workers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event

from orchestration import DEMO_SESSION, AccessDenied, Settings, Studio

MAX_STATEMENTS = 18  # BEGIN IMMEDIATE included (30 in two transactions before); the member check adds none (s18)


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name in ("alice", "bob"):
        s.store.create_annotator(name, password=f"{name}-pass-1")
    return s


def _count(db_path: Path, query: str) -> int:
    with sqlite3.connect(db_path) as db:
        return int(db.execute(query).fetchone()[0])


def test_submit_then_next_is_one_write_transaction_of_few_statements(studio: Studio) -> None:
    studio.store.save_session("cost", "judge-studio-demo", overlap=2, gold_rate=0.0)
    item = studio.desk.next_item("alice", "cost")
    studio.desk.submit("alice", "cost", item.id, "left", swapped=item.swapped, then_next=True)  # warm up
    item = studio.desk.next_item("alice", "cost")
    statements, begins = [], []
    engine = studio.store.engine
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, stmt, *_a: statements.append(stmt))
    event.listen(engine, "begin", lambda _c: begins.append(1))
    outcome = studio.desk.submit("alice", "cost", item.id, "tie", swapped=item.swapped, then_next=True)
    # the role check, the member check (read with the session's row: ``sessions.find_session_in_force``), the submit
    # and the next lease share one write transaction
    assert len(begins) == 1, "the role check, the member check, the submit and the next lease in one transaction"
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    assert outcome.next is not None and outcome.next.label is None and not outcome.next.is_gold
    assert outcome.progress == studio.desk.progress("alice", "cost") == outcome.next.progress


def test_a_deactivated_or_unknown_account_is_refused_before_its_input_is_read(studio: Studio, db_path: Path) -> None:
    item = studio.desk.next_item("bob", DEMO_SESSION)
    studio.store.create_annotator("root", role="admin", password="root-pass-12")
    studio.access.update_account("root", "bob", active=False)
    labels = _count(db_path, "SELECT count(*) FROM labels")
    with pytest.raises(AccessDenied, match="'bob' does not exist or is deactivated"):
        studio.desk.submit("bob", DEMO_SESSION, item.id, "left", swapped=item.swapped, then_next=True)
    with pytest.raises(AccessDenied, match="deactivated"):  # refused before the bad confidence is looked at
        studio.desk.submit("bob", DEMO_SESSION, item.id, "left", swapped=item.swapped, confidence=99)
    with pytest.raises(AccessDenied, match="'mallory' does not exist"):
        studio.desk.submit("mallory", DEMO_SESSION, item.id, "left", swapped=False)
    with pytest.raises(AccessDenied, match="not logged in"):
        studio.desk.submit(None, DEMO_SESSION, item.id, "left", swapped=False)
    assert _count(db_path, "SELECT count(*) FROM labels") == labels
    assert _count(db_path, "SELECT count(*) FROM annotators WHERE name = 'mallory'") == 0


def test_gold_items_handed_out_by_submit_then_next_say_so(studio: Studio) -> None:
    studio.store.save_session("golden", "judge-studio-demo", overlap=1, gold_rate=0.5)
    item, seen = studio.desk.next_item("alice", "golden"), []
    for _ in range(6):
        seen.append((item.id, item.is_gold))
        outcome = studio.desk.submit("alice", "golden", item.id, "left", swapped=item.swapped, then_next=True)
        assert (outcome.gold_verdict is not None) == item.is_gold
        assert outcome.next is not None
        item = outcome.next
    # gold rate 0.5: exactly one gold item in each block of 2, at a drawn slot
    assert [[is_gold for _id, is_gold in seen[i : i + 2]].count(True) for i in (0, 2, 4)] == [1, 1, 1]
    assert all((studio.store.gold(item_id) is not None) == is_gold for item_id, is_gold in seen)
