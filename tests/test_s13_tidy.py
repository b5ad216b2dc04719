"""Session 13, task "tidy" (no change a user can see): the REST answer of a dataset's deletion, built from the
store's one list of counts, keeps its JSON and its schema; the label reads that now share one query keep what they
read; the Studio's report calls answer as the orchestration functions they wrap. Real SQLite copies of the seeded
database, the real app over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pandas as pd

from annotation_store import Store
from orchestration import Settings, Studio
from orchestration.metrics import metrics_report
from orchestration.report_card import report_card

DEMO = "judge-studio-demo"
#: The answer's keys as the hand-written REST model listed them before (session 12).
DELETED_KEYS = [
    "dataset",
    "prompts",
    "responses",
    "comparisons",
    "labels",
    "ratings",
    "judge_verdicts",
    "judge_ratings",
    "judge_runs",
    "gold_marks",
    "adjudications",
    "sessions",
]


def test_rest_delete_answers_every_count_in_its_order_and_the_schema_is_unchanged(live_app) -> None:
    before = live_app.studio.datasets.contents("admin", DEMO)
    token = live_app.studio.access.api_token("admin")
    with httpx.Client(base_url=live_app.url + "api/v1", headers={"Authorization": f"Bearer {token}"}) as admin:
        schema = admin.get("/openapi.json").json()["components"]["schemas"]["DatasetDeleted"]
        done = admin.delete(f"/datasets/{DEMO}", params={"force": "true"})
    assert done.status_code == 200, done.text
    assert list(done.json()) == DELETED_KEYS
    assert done.json() == {key: getattr(before, "name" if key == "dataset" else key) for key in DELETED_KEYS}
    assert done.json()["comparisons"] == 126 and done.json()["sessions"] == 2
    assert list(schema["properties"]) == DELETED_KEYS and schema["required"] == DELETED_KEYS
    assert schema["description"] == "What was deleted with the dataset; accounts are never deleted."
    assert schema["properties"]["judge_runs"]["description"] == "judge runs that had verdicts or ratings on the dataset"
    assert {schema["properties"][key]["type"] for key in DELETED_KEYS[1:]} == {"integer"}


def test_label_sources_and_sessions_read_each_label_once_with_its_session_and_gold_mark(db_path: Path) -> None:
    studio = Studio.open(Settings(home=db_path.parent))
    store: Store = studio.store
    ids = store.comparison_table(DEMO)["id"].astype(int).tolist()
    store.create_annotator("ann1", password="ann1-pass-12345", role="reviewer")
    for cid in ids[:3]:
        store.save_label(cid, "ann1", "1")  # imported: given in no session
    item = studio.desk.next_item("ann1", "Demo session")
    assert item is not None
    studio.desk.submit("ann1", "Demo session", item.comparison.id, "left", swapped=item.swapped, then_next=False)
    store.set_gold(ids[0], "1")

    sources = store.label_sources(DEMO)
    assert list(sources.columns) == ["comparison_id", "annotator", "session", "gold_marked_at"]
    assert sources["comparison_id"].tolist() == [*ids[:3], item.comparison.id]  # the order labels were given
    assert sources["session"].isna().tolist()[:3] == [True, True, True] and sources["session"].iloc[3] == "Demo session"
    assert pd.api.types.is_datetime64_any_dtype(sources["gold_marked_at"])
    gold = set(store.gold_marks(DEMO)["comparison_id"].astype(int))  # the demo's own marks and ids[0]
    assert ids[0] in gold and sources["gold_marked_at"].notna().tolist() == [
        c in gold for c in sources["comparison_id"]
    ]

    sessions = store.label_sessions(DEMO)
    assert list(sessions.columns) == ["comparison_id", "annotator", "session", "guideline_version"]
    assert sessions[["comparison_id", "annotator", "session"]].equals(
        sources[["comparison_id", "annotator", "session"]]
    )
    assert sessions["guideline_version"].isna().tolist()[:3] == [True, True, True]  # no guidelines outside a session


def test_the_studios_report_calls_answer_as_the_functions_they_wrap(db_path: Path, tmp_path: Path) -> None:
    studio = Studio.open(Settings(home=db_path.parent))
    store = studio.store
    figures = {"alpha": 0.1, "n_bootstrap": 0, "labels_from": "imported"}
    assert studio.metrics(DEMO, **figures) == metrics_report(store, DEMO, **figures)
    assert studio.report_card(DEMO, **figures) == report_card(store, DEMO, **figures)
    rows = studio.export_summary(DEMO, "wide", fmt="csv", output=tmp_path / "wide.csv").rows
    assert rows == store.comparison_table(DEMO).shape[0] == 126
    assert (tmp_path / "wide.csv").read_text(encoding="utf-8").count("\n") >= rows + 1
