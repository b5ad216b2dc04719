"""Deleting a dataset (s12 badinput finding 1): the store's one transaction, on SQLite and PostgreSQL.

Two datasets are filled with everything that can hang off a dataset (sessions with leases, labels and
ratings, label and rating events, gold marks of both kinds, an adjudication, judge verdicts and ratings of
a run of their own and of a run both share). Deleting one must leave no row that refers to it, leave
every row of the other exactly as it was, keep every account, and drop the judge runs and models that only
it used. Read with plain SQL, not the store's readers.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import text
from test_store_postgres import location, pg_server, pg_template, pg_url  # noqa: F401  (fixtures)

from annotation_store import DEMO_DATASET_NAME, NewJudgeRating, NewVerdict, Store, load_demo_dataset, open_store
from errors import Conflict, NotFound

OTHER = "other-dataset"
TABLES = [
    *("datasets", "prompts", "responses", "comparisons", "candidate_models", "judge_runs", "judge_verdicts"),
    *("judge_ratings", "annotators", "labels", "label_events", "assignments", "adjudications"),
    *("annotation_sessions", "session_draws", "gold_labels", "gold_ratings", "ratings", "rating_events"),
    *("rating_assignments", "rating_draws", "guideline_versions"),
]


def _sql(store: Store, query: str, **params: Any) -> list[tuple[Any, ...]]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query), params)]


def _dump(store: Store) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table, JSON columns as text (PostgreSQL returns them as dicts)."""
    return {table: {tuple(map(repr, row)) for row in _sql(store, f"SELECT * FROM {table}")} for table in TABLES}


def _fill(store: Store, dataset: str, tag: str) -> None:
    """Everything a dataset can hold, made through the store's own writers."""
    store.save_session(f"pairs {tag}", dataset, overlap=1)
    store.save_session(f"grading {tag}", dataset, kind="single", overlap=1)
    turn = store.lease("pairwise", f"ann-{tag}", f"pairs {tag}")
    assert turn is not None
    store.submit("pairwise", f"ann-{tag}", f"pairs {tag}", turn.item.id, swapped=turn.swapped, verdict="1")
    store.lease("pairwise", f"ann-{tag}", f"pairs {tag}")  # an open lease
    graded = store.lease("single", f"ann-{tag}", f"grading {tag}")
    assert graded is not None
    store.submit("single", f"ann-{tag}", f"grading {tag}", graded.item.id, rating=7)
    table = store.comparison_table(dataset)
    ids = [int(i) for i in table["id"].tolist()]
    store.save_label(ids[5], "shared-person", "2")
    store.save_label(ids[5], "shared-person", "tie")  # a second version: two label events
    store.set_gold(ids[6], "1", "why")
    store.adjudicate(ids[5], "reviewer", "2", "settled")
    responses = store.responses(dataset)
    store.set_gold_rating(responses[3].id, 10, 6, 9, "why")
    own = store.ensure_judge_run(f"fp-{tag}", {"model": f"m-{tag}", "profile": "pandalm"})
    both = store.ensure_judge_run("fp-shared", {"model": "m", "profile": "pandalm"})
    for run in (own, both):
        store.save_verdict(run, NewVerdict(ids[1], "1", "ok"))
        store.save_judge_rating(run, NewJudgeRating(responses[1].id, 8, "ok"))


@pytest.fixture
def filled(location: str) -> Store:  # noqa: F811  (the fixture imported above)
    store = open_store(location)
    store.create_annotator("reviewer", role="reviewer", password="pw-123456")
    other = copy.deepcopy(load_demo_dataset())
    other["name"] = OTHER
    for model in other["models"]:  # the other dataset's models are its own, except the first
        model["name"] = model["name"] if model is other["models"][0] else model["name"] + "-b"
    first = other["models"][0]["name"]
    for prompt in other["prompts"]:
        prompt["responses"] = {(m if m == first else m + "-b"): t for m, t in prompt["responses"].items()}
    assert store.seed_dataset(other)
    _fill(store, DEMO_DATASET_NAME, "a")
    _fill(store, OTHER, "b")
    yield store
    store.close()


def _ids(store: Store, query: str, name: str) -> set[Any]:
    return {row[0] for row in _sql(store, query, n=name)}


def test_deleting_a_dataset_leaves_no_row_of_it_and_every_row_of_the_other(filled: Store) -> None:
    store = filled
    before = _dump(store)
    demo = _ids(store, "SELECT id FROM datasets WHERE name = :n", DEMO_DATASET_NAME)
    comparisons = _ids(
        store,
        "SELECT c.id FROM comparisons c JOIN datasets d ON d.id = c.dataset_id WHERE d.name = :n",
        DEMO_DATASET_NAME,
    )
    responses = _ids(
        store,
        "SELECT r.id FROM responses r JOIN prompts p ON p.id = r.prompt_id JOIN datasets d ON d.id = p.dataset_id "
        "WHERE d.name = :n",
        DEMO_DATASET_NAME,
    )
    sessions = _ids(
        store,
        "SELECT s.id FROM annotation_sessions s JOIN datasets d ON d.id = s.dataset_id WHERE d.name = :n",
        DEMO_DATASET_NAME,
    )

    with pytest.raises(Conflict, match="open sessions .*pairs a.*nothing was deleted"):
        store.delete_dataset(DEMO_DATASET_NAME)
    assert _dump(store) == before

    deleted = store.delete_dataset(DEMO_DATASET_NAME, force=True)
    assert (deleted.comparisons, deleted.labels, deleted.ratings, deleted.sessions) == (len(comparisons), 2, 1, 2)
    assert (deleted.judge_verdicts, deleted.judge_ratings, deleted.judge_runs) == (2, 2, 2)
    assert (deleted.gold_marks, deleted.adjudications) == (2, 1)
    after = _dump(store)

    refers = {  # table -> (column index in SELECT *, the deleted ids it must not hold)
        "comparisons": [("id", comparisons)],
        "labels": [("comparison_id", comparisons), ("session_id", sessions)],
        "label_events": [("comparison_id", comparisons)],
        "assignments": [("comparison_id", comparisons), ("session_id", sessions)],
        "session_draws": [("session_id", sessions)],
        "adjudications": [("comparison_id", comparisons)],
        "gold_labels": [("comparison_id", comparisons)],
        "judge_verdicts": [("comparison_id", comparisons)],
        "ratings": [("response_id", responses), ("session_id", sessions)],
        "rating_events": [("response_id", responses)],
        "rating_assignments": [("response_id", responses), ("session_id", sessions)],
        "rating_draws": [("response_id", responses), ("session_id", sessions)],
        "gold_ratings": [("response_id", responses)],
        "judge_ratings": [("response_id", responses)],
        "responses": [("id", responses)],
        "annotation_sessions": [("dataset_id", demo)],
        "guideline_versions": [("session_id", sessions)],
        "prompts": [("dataset_id", demo)],
        "datasets": [("id", demo)],
    }
    for table, checks in refers.items():
        for column, gone in checks:
            held = {row[0] for row in _sql(store, f"SELECT {column} FROM {table}")}
            assert not held & gone, (table, column)
    for table in TABLES:  # nothing changed, only deleted; the other dataset's rows all still there
        assert after[table] <= before[table], table
    assert after["annotators"] == before["annotators"]  # accounts stay, even those who only answered here
    assert _sql(store, "SELECT fingerprint_key FROM judge_runs ORDER BY fingerprint_key") == [("fp-b",), ("fp-shared",)]
    models = {row[0] for row in _sql(store, "SELECT name FROM candidate_models")}
    assert models == {m["name"] for m in load_demo_dataset()["models"][:1]} | {
        m["name"] + "-b" for m in load_demo_dataset()["models"][1:]
    }
    other = [row for row in _sql(store, "SELECT id FROM datasets")]
    assert len(other) == 1
    assert store.dataset_names() == [OTHER]
    assert len(store.comparison_table(OTHER)) == len(before["comparisons"]) - len(comparisons)
    assert store.dataset_contents(OTHER).labels == 2


def test_an_unknown_dataset_is_not_found_and_nothing_changes(filled: Store) -> None:
    before = _dump(filled)
    with pytest.raises(NotFound, match="There is no dataset named 'nope'"):
        filled.delete_dataset("nope", force=True)
    assert _dump(filled) == before


def test_a_closed_session_does_not_hold_a_delete_back(filled: Store) -> None:
    for name in ("pairs b", "grading b"):
        filled.save_session(name, OTHER, active=False)
    deleted = filled.delete_dataset(OTHER)
    assert deleted.name == OTHER and deleted.sessions == 2
    assert filled.dataset_names() == [DEMO_DATASET_NAME]
