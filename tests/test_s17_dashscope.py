"""Session 17, task "dashscope": the Dashboard's run blocks follow "Labels from"; the Annotators table in words.

1. The "Judges compared" and "Judge versions" blocks under the Dashboard's summary read the labels of the page's
   "Labels from" scope, as every other figure on the page does and as ``metrics --labels-from`` and REST
   ``/metrics?labels_from=`` (both ``orchestration.metrics.metrics_report``) compute these sections: they read
   every label whatever the picker showed, and nothing said so (review17, finding 7). A line above the blocks names
   the scope when it is not every label.
2. The Annotators table says what its agreement cells count: "agrees with the others' majority" over
   "1.00 on 5 comparisons (2 more where the others had no majority)"; it read "= others' majority" over
   "1.00 (n=5), 2 split" (s16 campaign, finding 8).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import pytest

from annotation_store import NewVerdict
from orchestration import Settings, Studio
from orchestration.dashboard import ANNOTATOR_COLUMNS
from orchestration.metrics import metrics_report
from ui.dashboard import DashboardHandlers, runs_markdown
from ui.plots import agreement_cell, annotator_table_figure

DATASET = "scoped-runs"
SESSION = "team"
N = 12

pytestmark = pytest.mark.usefixtures("fresh_dashboard_caches")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    return Studio.open(Settings(home=db_path.parent))


def _populate(studio: Studio) -> list[int]:
    """``N`` comparisons, each labelled "1" by two people in no session (imported) and "2" by the one person of
    session ``SESSION``; run "j-one" says "1" everywhere and run "j-two" "2" everywhere but on two comparisons.
    Every label's majority is "1" (j-one agrees throughout); the session's is "2" (j-two agrees on all but two)."""
    store = studio.store
    prompts = [
        {"id": f"q{i}", "instruction": f"Q{i}?", "responses": {m: f"{m} {i}" for m in ("ma", "mb")}} for i in range(N)
    ]
    assert store.seed_dataset({"name": DATASET, "models": [{"name": "ma"}, {"name": "mb"}], "prompts": prompts})
    ids = sorted(int(i) for i in store.comparison_table(DATASET)["id"])
    for comparison_id in ids:
        for person in ("imp1", "imp2"):
            store.save_label(comparison_id, person, "1", presented_swapped=False)
    store.save_session(SESSION, DATASET, overlap=1, gold_rate=0.0)
    while (turn := store.lease("pairwise", "sam", SESSION)) is not None:
        # the verdict is in the comparison's own order, whichever side the page showed first
        store.submit("pairwise", "sam", SESSION, turn.item.id, verdict="2", skipped=False, swapped=turn.swapped)
    runs = [store.ensure_judge_run(name, {"model": name, "profile": "pandalm"}) for name in ("j-one", "j-two")]
    for k, comparison_id in enumerate(ids):
        store.save_verdict(runs[0], NewVerdict(comparison_id, "1", "ok"))
        store.save_verdict(runs[1], NewVerdict(comparison_id, "1" if k < 2 else "2", "ok"))
    return runs


def _report(studio: Studio, labels_from: str | None = None) -> dict[str, Any]:
    """What ``metrics --json [--labels-from]`` prints and REST ``/metrics`` answers (no bootstrap: not needed here)."""
    return metrics_report(studio.store, DATASET, labels_from=labels_from, n_bootstrap=0)


def _page() -> Any:
    page: Any = type("Page", (), {})()
    page.pairwise, page.shown = "pairwise", "shown"
    page.by_id = lambda values: {("figure", key): value for key, value in values.items()}
    return page


def _summary(studio: Studio, run_id: int, labels_from: str | None) -> str:
    if "rita" not in set(studio.store.accounts()["name"]):
        studio.store.create_annotator("rita", role="reviewer", password="correct horse battery")
    shown = DashboardHandlers(studio, _page()).tick(DATASET, run_id, labels_from, None, gr.Request(username="rita"))
    return str(shown[("figure", "dashboard-summary")])


# ------------------------------------------------------------------------------------------ 1. the scope


def test_the_session_scope_is_what_the_setup_says(studio: Studio) -> None:
    _populate(studio)
    labels = studio.store.labels(DATASET)
    assert len(labels) == 3 * N
    scoped = _report(studio, labels_from=SESSION)
    assert scoped["labels_from"]["labels"] == N and scoped["labels_from"]["annotators"] == 1


def test_judges_compared_follows_labels_from_as_metrics_and_rest_do(studio: Studio) -> None:
    runs = _populate(studio)
    every = _report(studio)["judges_compared"]
    scoped = _report(studio, labels_from=SESSION)["judges_compared"]
    assert every["reference_run"] == runs[0] and scoped["reference_run"] == runs[1]  # each scope's best run

    board = studio.dashboard(DATASET, runs[0], labels_from=SESSION)
    assert board.run_rows.judges_compared() == scoped  # before: ``every``, whatever the picker said
    assert studio.dashboard(DATASET, runs[0]).run_rows.judges_compared() == every
    (pair,) = scoped["pairs"]
    assert (pair["accuracy_reference"], pair["accuracy_other"]) == pytest.approx((1 - 2 / N, 0.0))


def test_judge_versions_follow_labels_from_as_metrics_and_rest_do(studio: Studio) -> None:
    runs = _populate(studio)
    scoped = _report(studio, labels_from=SESSION)["judge_versions"]["versions"]
    every = _report(studio)["judge_versions"]["versions"]
    assert scoped != every

    assert studio.dashboard(DATASET, runs[0], labels_from=SESSION).run_rows.judge_versions() == scoped
    assert studio.dashboard(DATASET, runs[0]).run_rows.judge_versions() == every
    accuracy = {v["runs"][0]["run_id"]: v["against_majority"]["accuracy"] for v in scoped}
    assert accuracy == pytest.approx({runs[0]: 0.0, runs[1]: 1 - 2 / N})


def test_the_blocks_under_the_summary_name_the_scope(studio: Studio) -> None:
    runs = _populate(studio)
    summary = _summary(studio, runs[0], SESSION)
    line = "_The runs below are compared with the majority of labels from session 'team' (\"Labels from\")._"
    assert line in summary
    assert summary.index(line) < summary.index("**Judges compared**") < summary.index("**Judge versions**")
    compared = summary[summary.index("**Judges compared**") :]
    assert f"j\\-two (run {runs[1]}) vs j\\-one (run {runs[0]})" in compared  # the session's best run first

    every = _summary(studio, runs[0], None)
    assert "The runs below are compared" not in every  # every label: nothing more to say
    assert f"j\\-one (run {runs[0]}) vs j\\-two (run {runs[1]})" in every


def test_an_empty_scope_shows_no_pairs(studio: Studio) -> None:
    runs = _populate(studio)
    board = studio.dashboard(DATASET, runs[0], labels_from="imported")
    assert board.run_rows.judges_compared() == _report(studio, labels_from="imported")["judges_compared"]
    assert "labels from session" not in runs_markdown(board)
    assert "The runs below are compared with the majority of imported labels" in runs_markdown(board)


# ------------------------------------------------------------------------------------------ 2. the table in words


def _table(**columns: list[Any]) -> pd.DataFrame:
    base: dict[str, list[Any]] = {
        "annotator": ["ann", "bob", "cyd"],
        "kind": ["crowd"] * 3,
        "labels": [7, 2, 1],
        "skipped": [0, 1, 0],
        "flagged": [0, 0, 0],
        "n_with_others": [5, 0, 1],
        "with_others": [1.0, float("nan"), 0.0],
        "others_split": [2, 2, 0],
        "n_with_judge": [6, 2, 0],
        "with_judge": [0.5, 1.0, float("nan")],
        "n_gold": [4, 0, 1],
        "gold_accuracy": [0.75, float("nan"), 1.0],
        "median_time_s": [12.0, float("nan"), 3.25],
    }
    return pd.DataFrame({**base, **columns}).reindex(columns=ANNOTATOR_COLUMNS)


def test_the_annotators_table_says_what_it_counts() -> None:
    table = annotator_table_figure(_table()).data[0]
    header = list(table.header.values)
    assert header[5:8] == ["agrees with the others' majority", "agrees with the judge", "gold checks right"]
    others, judge, gold = (list(table.cells.values[i]) for i in (5, 6, 7))
    assert others == [
        "1.00 on 5 comparisons (2 more where the others had no majority)",
        "– (2 where the others had no majority)",
        "0.00 on 1 comparison",
    ]
    assert judge == ["0.50 on 6 comparisons", "1.00 on 2 comparisons", "–"]
    assert gold == ["0.75 on 4 gold checks", "–", "1.00 on 1 gold check"]
    words = " ".join(str(cell) for column in table.cells.values for cell in column) + " ".join(header)
    assert "(n=" not in words and "split" not in words and "= " not in words


def test_the_dashboards_own_table_reads_so(studio: Studio) -> None:
    runs = _populate(studio)
    board = studio.dashboard(DATASET, runs[0])
    table = annotator_table_figure(board.annotators).data[0]
    rows = dict(zip(table.cells.values[0], table.cells.values[5], strict=True))
    # imp1's others on each comparison: imp2 "1" and sam "2": split, no majority
    assert rows["imp1"] == f"– ({N} where the others had no majority)"
    assert rows["sam"] == f"0.00 on {N} comparisons"  # imp1 and imp2 agree on "1"; sam said "2"
    judges = dict(zip(table.cells.values[0], table.cells.values[6], strict=True))
    assert judges["imp1"] == f"1.00 on {N} comparisons"


def test_agreement_cell_counts_one_and_many() -> None:
    assert agreement_cell(1.0, 1, "comparison") == "1.00 on 1 comparison"
    assert agreement_cell(0.25, 4, "comparison", 1) == "0.25 on 4 comparisons (1 more where the others had no majority)"
    assert agreement_cell(float("nan"), 0, "gold check") == "–"
    assert agreement_cell(float("nan"), 0, "comparison", float("nan")) == "–"
