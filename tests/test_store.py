"""The store on real SQLite files: seeding, labels that are never lost or duplicated, verdicts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from annotation_store import DEMO_DATASET_NAME, NewVerdict, Store, StoreError, load_demo_dataset, open_store


def _sql(path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


def test_demo_dataset_is_seeded_once(store: Store, db_path: Path) -> None:
    data = load_demo_dataset()
    assert store.seed_dataset(data) is False  # already there from the template
    assert _sql(db_path, "SELECT count(*) FROM prompts") == [(len(data["prompts"]),)]
    assert _sql(db_path, "SELECT count(*) FROM comparisons") == [(3 * len(data["prompts"]),)]
    assert _sql(db_path, "SELECT count(*) FROM candidate_models") == [(len(data["models"]),)]


def test_demo_dataset_shape() -> None:
    """The issue's minimum: 40 instructions, 6 categories, inputs and references, 4 models."""
    data = load_demo_dataset()
    prompts = data["prompts"]
    assert len(prompts) >= 40
    assert len({p["category"] for p in prompts}) >= 6
    assert sum(bool(p["input"]) for p in prompts) >= 5
    assert sum(bool(p["reference"]) for p in prompts) >= 5
    assert len(data["models"]) >= 4
    assert all(set(p["responses"]) == {m["name"] for m in data["models"]} for p in prompts)


def test_every_model_pair_is_compared_about_equally_often(store: Store) -> None:
    table = store.comparison_table(DEMO_DATASET_NAME)
    pairs = table.apply(lambda r: tuple(sorted((r.model1, r.model2))), axis=1).value_counts()
    assert len(pairs) == 10
    assert pairs.max() - pairs.min() <= 1
    # presentation order alternates: no model is always on the left
    assert table["model1"].nunique() == 5


def test_label_is_written_at_once_and_changes_are_versioned(store: Store, db_path: Path) -> None:
    first = store.next_unlabelled("alice")
    assert first is not None
    store.save_label(first.id, "alice", "1")
    assert _sql(db_path, f"SELECT verdict, version FROM labels WHERE comparison_id = {first.id}") == [("1", 1)]
    changed = store.save_label(first.id, "alice", "tie")
    assert changed.version == 2
    assert _sql(db_path, "SELECT count(*) FROM labels") == [(1,)]
    assert _sql(db_path, "SELECT action, verdict, version FROM label_events ORDER BY id") == [
        ("created", "1", 1),
        ("changed", "tie", 2),
    ]


def test_same_idempotency_key_stores_once(store: Store, db_path: Path) -> None:
    item = store.next_unlabelled("bob")
    assert item is not None
    a = store.save_label(item.id, "bob", "2", idempotency_key="k-1")
    b = store.save_label(item.id, "bob", "2", idempotency_key="k-1")
    assert a == b
    assert _sql(db_path, "SELECT count(*) FROM label_events") == [(1,)]


def test_next_item_skips_mine_and_prefers_least_labelled(store: Store) -> None:
    first = store.next_unlabelled("alice")
    assert first is not None
    store.save_label(first.id, "alice", "1")
    second = store.next_unlabelled("alice")
    assert second is not None and second.id != first.id
    # bob gets an item nobody labelled yet, not the one alice labelled
    bob_item = store.next_unlabelled("bob")
    assert bob_item is not None and bob_item.id != first.id


@pytest.mark.parametrize(
    ("comparison_id", "annotator", "verdict", "message"),
    [
        (1, "", "1", "annotator name"),
        (1, "carol", "A", "not one of"),
        (99999, "carol", "1", "no comparison with id 99999"),
        (1, "x" * 101, "1", "at most 100"),
    ],
)
def test_bad_labels_are_refused_with_a_clear_message_and_nothing_is_written(
    store: Store, db_path: Path, comparison_id: int, annotator: str, verdict: str, message: str
) -> None:
    store.save_label(2, "dave", "1")
    with pytest.raises(StoreError, match=message):
        store.save_label(comparison_id, annotator, verdict)
    assert _sql(db_path, "SELECT comparison_id, verdict FROM labels") == [(2, "1")]
    assert _sql(db_path, "SELECT count(*) FROM annotators") == [(1,)]


def test_restart_keeps_labels_and_verdicts(db_path: Path) -> None:
    store = open_store(db_path)
    store.save_label(3, "erin", "2")
    run = store.ensure_judge_run("fp-1", {"model": "m", "profile": "pandalm"})
    store.save_verdict(run, NewVerdict(3, "1", "ok", reason="because"))
    store.close()
    reopened = open_store(db_path)
    assert reopened.seed_dataset(load_demo_dataset()) is False
    labels = reopened.labels()
    assert labels[["comparison_id", "annotator", "verdict"]].values.tolist() == [[3, "erin", "2"]]
    verdict = reopened.latest_verdict(3)
    assert verdict is not None and (verdict.verdict, verdict.reason) == ("1", "because")
    reopened.close()


def test_verdict_status_must_fit_verdict(store: Store, db_path: Path) -> None:
    run = store.ensure_judge_run("fp-2", {"model": "m", "profile": "pandalm"})
    with pytest.raises(StoreError, match="does not fit"):
        store.save_verdict(run, NewVerdict(1, "tie", "unparsed"))
    store.save_verdict(run, NewVerdict(1, None, "unparsed", raw_output="gibberish"))
    assert _sql(db_path, "SELECT verdict, status, raw_output FROM judge_verdicts") == [(None, "unparsed", "gibberish")]
    assert store.judged_comparison_ids(run) == {1}


def test_bad_dataset_is_refused_whole(store: Store, db_path: Path) -> None:
    data = {
        "name": "broken",
        "models": [{"name": "a"}, {"name": "b"}],
        "prompts": [
            {"id": "p1", "instruction": "Say hi", "responses": {"a": "hi", "b": "hello"}},
            {"id": "p2", "instruction": "Say bye", "responses": {"a": "bye"}},
        ],
    }
    with pytest.raises(StoreError, match=r"prompts\[1\]: no response text for model b\."):
        store.seed_dataset(data)
    assert _sql(db_path, "SELECT count(*) FROM datasets WHERE name = 'broken'") == [(0,)]
    assert _sql(db_path, "SELECT count(*) FROM prompts WHERE key = 'p1'") == [(0,)]


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db_path: Path, store: Store) -> None:
    assert _sql(db_path, "PRAGMA journal_mode") == [("wal",)]
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_key_reused_for_another_label_is_refused(store: Store, db_path: Path) -> None:
    store.save_label(1, "gina", "1", idempotency_key="k-9")
    with pytest.raises(StoreError, match="already used for another label"):
        store.save_label(2, "gina", "2", idempotency_key="k-9")
    assert _sql(db_path, "SELECT comparison_id, verdict FROM labels") == [(1, "1")]
