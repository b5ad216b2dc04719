"""The accounts table counts a grader's work: ``ratings`` beside ``labels`` (session 10's tester saw a
grader with 6 ratings listed with 0 labels and nothing else)."""

from __future__ import annotations

from annotation_store import Store


def test_accounts_count_ratings_beside_labels(store: Store) -> None:
    store.save_rating(1, "alice", 7)
    store.save_rating(2, "alice", None, skipped=True)
    table = store.accounts().set_index("name")
    assert int(table.loc["alice", "ratings"]) == 1 and int(table.loc["alice", "labels"]) == 0
    assert int(table.loc["alice", "skipped"]) == 1  # skips apart, as `sessions activity` counts them
    assert list(table.columns) == ["role", "kind", "active", "can_log_in", "labels", "ratings", "skipped"]
