"""A reviewer's adjudication is the people's label of its comparison in every report (``metrics --json``,
REST ``/metrics``, the report card, the dashboard, judge versions) and travels with the exports, while
agreement between annotators keeps reading the annotators' own labels only.

The case, on a copy of the seeded demo database (labels and verdicts written through the store, the
adjudications through the Review page's desk):

    c1: ann 1 · bob 1 · cyd 2   majority 1      judge 2   adjudicated 2 ("cyd is right")
    c2: ann 2 · bob tie         majority tie    judge 2   adjudicated 2 (settles the tie)
    c3: ann 1                   majority 1      judge 1   not adjudicated
    c4: no label                                judge 1   adjudicated 1 (only the reviewer labelled it)

Against the majority the judge is right on c3 only (1 of 3); against the settled labels on all four.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analysis import format_report
from analysis.aggregation import Settled, settle
from annotation_store import NewVerdict, Store
from orchestration import ReviewDesk, Settings, Studio
from orchestration.dashboard import ReportCache, build_dashboard
from orchestration.metrics import metrics_report
from orchestration.report_card import report_card
from ui.card_document import head_markdown
from ui.dashboard import summary_markdown

ROOT = Path(__file__).resolve().parent.parent
DEMO = "judge-studio-demo"
BOOTSTRAP = 20


def _no_judge(_spec: Any) -> Any:
    raise AssertionError("the judge must not be loaded")


@pytest.fixture
def case(db_path: Path) -> Iterator[tuple[Studio, dict[str, int]]]:
    """The module docstring's case, before any adjudication (the reviewer is rita)."""
    studio = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    store = studio.store
    store.create_annotator("rita", role="reviewer", password="correct horse battery")
    c1, c2, c3, c4 = (int(i) for i in store.comparison_table(DEMO)["id"].head(4))
    for comparison, who, verdict in [
        (c1, "ann", "1"),
        (c1, "bob", "1"),
        (c1, "cyd", "2"),
        (c2, "ann", "2"),
        (c2, "bob", "tie"),
        (c3, "ann", "1"),
    ]:
        store.save_label(comparison, who, verdict)
    run = store.ensure_judge_run("key-test-judge", {"model": "test-judge", "profile": "pandalm"})
    for comparison, verdict in ((c1, "2"), (c2, "2"), (c3, "1"), (c4, "1")):
        store.save_verdict(run, NewVerdict(comparison, verdict, "ok"))
    yield studio, {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "run": run}
    store.close()


def _adjudicate(studio: Studio, ids: dict[str, int]) -> None:
    desk = ReviewDesk(studio.store, studio.access)
    desk.adjudicate("rita", ids["c1"], "2", "cyd is right: A misreads the question")
    desk.adjudicate("rita", ids["c2"], "2", "=B is complete")  # formula-like on purpose (CSV export)
    desk.adjudicate("rita", ids["c4"], "1", "A follows the format")


def _metrics(store: Store) -> dict[str, Any]:
    return metrics_report(store, DEMO, n_bootstrap=BOOTSTRAP)


def test_settle_puts_the_adjudication_in_place_of_the_majority() -> None:
    people = pd.DataFrame(
        {"comparison_id": [3, 1], "model1": ["a", "a"], "model2": ["b", "b"], "verdict": ["1", "tie"]}
    )
    same, none = settle(people, None)
    assert same is people and none == Settled() and settle(people, people.iloc[0:0])[0] is people
    final = pd.DataFrame(
        {"comparison_id": [1, 3, 9], "verdict": ["2", "1", "tie"], "reviewer": "rita", "model1": "a", "model2": "c"}
    )
    settled, counts = settle(people, final)
    assert settled.to_dict("list") == {
        "comparison_id": [3, 1, 9],  # rows keep their order; a comparison only the reviewer labelled comes last
        "model1": ["a", "a", "a"],
        "model2": ["b", "b", "c"],
        "verdict": ["1", "2", "tie"],
    }
    assert counts == Settled(n=3, overruled=1, unlabelled=1)
    assert counts.note == "3 comparisons settled by a reviewer's adjudication"
    assert Settled(1).note == "1 comparison settled by a reviewer's adjudication"


def test_metrics_use_the_adjudication_but_agreement_between_annotators_does_not(case) -> None:
    studio, ids = case
    before = _metrics(studio.store)
    assert before["counts"]["adjudicated"] == 0
    assert before["adjudications"] == {
        "n": 0,
        "overruled": 0,
        "unlabelled": 0,
        "note": "0 comparisons settled by a reviewer's adjudication",
    }
    (judge,) = before["judges"]
    assert (judge["against_majority"]["n"], judge["against_majority"]["accuracy"]) == (3, pytest.approx(1 / 3))

    _adjudicate(studio, ids)
    after = _metrics(studio.store)
    assert after["adjudications"] == {
        "n": 3,
        "overruled": 2,  # c1 (1 -> 2) and c2 (tie -> 2); c4 had no label to overrule
        "unlabelled": 1,
        "note": "3 comparisons settled by a reviewer's adjudication",
    }
    assert (after["counts"]["adjudicated"], after["counts"]["labelled_comparisons"]) == (3, 4)
    assert after["label_distribution"] == {"1": 2, "2": 2, "tie": 0}
    (judge,) = after["judges"]
    assert (judge["against_majority"]["n"], judge["against_majority"]["accuracy"]) == (4, 1.0)
    # the annotators' own labels: inter-annotator agreement, the per-annotator table and per-vote agreement
    for section in ("inter_annotator", "annotators"):
        assert after[section] == before[section]
    assert after["judges"][0]["per_vote"] == before["judges"][0]["per_vote"]
    assert "never adjudications" in after["settings"]["adjudication_rule"]
    # the people's ranking reads the settled labels: c1 and c2 are now wins for the second response
    wins = {(r["model_a"], r["model_b"]): r for r in after["people"]["win_table"]}
    assert sum(r["ties"] for r in wins.values()) == 0
    text = format_report(after)
    assert (
        "3 comparisons settled by a reviewer's adjudication (2 overruling the annotators' label, 1 without one)" in text
    )
    assert "agreement between annotators uses their own labels only" in text
    assert "People's label per comparison: 1: 2, 2: 2, tie: 0" in text


def test_report_card_and_judge_versions_follow(case) -> None:
    studio, ids = case
    store = studio.store
    second = store.ensure_judge_run("key-other-judge", {"model": "other-judge", "profile": "pandalm"})
    for key in ("c1", "c2", "c3", "c4"):
        store.save_verdict(second, NewVerdict(ids[key], "1", "ok"))
    _adjudicate(studio, ids)
    card = report_card(store, DEMO, run_id=ids["run"], n_bootstrap=BOOTSTRAP)
    assert card["counts"]["adjudicated"] == 3 and card["adjudications"]["note"].startswith("3 comparisons settled")
    assert "3 comparisons settled by a reviewer's adjudication (their verdict is the people's label" in head_markdown(
        card
    )
    (judge,) = card["judges"]
    assert (judge["agreement"]["n"], judge["agreement"]["accuracy"]) == (4, 1.0)
    board = build_dashboard(store, DEMO, ids["run"], cache=ReportCache())  # the Dashboard's "Judge versions"
    versions = {v["runs"][0]["run_id"]: v["runs"][0] for v in board.run_rows.judge_versions()}
    assert (versions[ids["run"]]["n"], versions[ids["run"]]["accuracy"]) == (4, 1.0)
    assert versions[second]["accuracy"] == pytest.approx(2 / 4)  # "1" is right on c3 and c4 only
    report = {j["run_id"]: j for j in _metrics(store)["judges"]}
    assert report[second]["against_majority"]["accuracy"] == versions[second]["accuracy"]


def test_dashboard_follows_and_its_key_changes_with_every_adjudication(case) -> None:
    studio, ids = case
    store, cache = studio.store, ReportCache()
    desk = ReviewDesk(store, studio.access)
    first = build_dashboard(store, DEMO, ids["run"], cache=cache)
    assert build_dashboard(store, DEMO, ids["run"], cache=cache).key == first.key  # nothing changed: cached
    assert first.counts["adjudicated"] == 0
    desk.adjudicate("rita", ids["c1"], "2", "cyd is right")
    made = build_dashboard(store, DEMO, ids["run"], cache=cache)
    assert made.key != first.key and made.counts["adjudicated"] == 1
    assert "1 settled by a reviewer's adjudication" in summary_markdown(made)
    assert "settled by" not in summary_markdown(first)
    versus = made.report.judge(ids["run"]) if made.report is not None else None
    assert versus is not None and versus.against_majority.accuracy == pytest.approx(2 / 3)  # c2 tie: judge wrong
    desk.adjudicate("rita", ids["c1"], "tie", "on second thought, both miss it")
    edited = build_dashboard(store, DEMO, ids["run"], cache=cache)
    assert edited.key not in (first.key, made.key)
    versus = edited.report.judge(ids["run"]) if edited.report is not None else None
    assert versus is not None and versus.against_majority.accuracy == pytest.approx(1 / 3)  # c1 tie: judge wrong
    desk.adjudicate("rita", ids["c1"], "tie", "both miss the second part")  # only the rationale changes
    assert build_dashboard(store, DEMO, ids["run"], cache=cache).key != edited.key
    # the dashboard and metrics --json agree on the settled figures
    report = _metrics(store)
    assert report["counts"]["adjudicated"] == 1
    assert report["judges"][0]["against_majority"]["accuracy"] == pytest.approx(1 / 3)


def _cli_export(home: Path, *args: str) -> str:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    command = [sys.executable, "-m", "app", "export", "--dataset", DEMO, *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_rest_metrics_and_exports_carry_the_adjudication(live_app) -> None:
    import httpx

    store = live_app.studio.store
    c1, c2 = (int(i) for i in store.comparison_table(DEMO)["id"].head(2))
    store.save_label(c1, "alice", "1")
    store.save_label(c1, "bob", "2")
    store.save_label(c2, "alice", "tie")
    ReviewDesk(store, live_app.studio.access).adjudicate("rita", c1, "2", "=B cites the source")
    token = live_app.studio.access.api_token("rita")
    api = httpx.Client(base_url=live_app.url + "api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=300)
    metrics = api.get("/metrics", params={"dataset": DEMO, "bootstrap": BOOTSTRAP}).json()
    assert metrics["counts"]["adjudicated"] == 1 and metrics["label_distribution"] == {"1": 0, "2": 1, "tie": 1}
    wide = list(
        csv.DictReader(io.StringIO(api.get("/export", params={"dataset": DEMO, "kind": "wide", "format": "csv"}).text))
    )
    rows = {int(r["comparison_id"]): r for r in wide}
    assert (rows[c1]["majority"], rows[c1]["people_label"], rows[c1]["adjudication"]) == ("tie", "2", "2")
    assert (rows[c1]["adjudicated_by"], rows[c1]["adjudication_rationale"]) == ("rita", "'=B cites the source")
    assert (rows[c2]["people_label"], rows[c2]["adjudication"], rows[c2]["adjudicated_by"]) == ("tie", "", "")
    labels = api.get("/export", params={"dataset": DEMO, "kind": "labels", "format": "jsonl"}).text.splitlines()
    long = [json.loads(line) for line in labels]
    assert {(r["rater"], r["adjudication"], r["adjudication_rationale"]) for r in long if r["comparison_id"] == c1} == {
        ("alice", "2", "=B cites the source"),  # JSONL keeps the text as it is
        ("bob", "2", "=B cites the source"),
    }
    assert [r["adjudicated_by"] for r in long if r["comparison_id"] == c2] == [None]
    dpo = [json.loads(line) for line in api.get("/export", params={"dataset": DEMO, "kind": "dpo"}).text.splitlines()]
    assert [(p["comparison_id"], p["chosen_model"], p["adjudicated_by"]) for p in dpo] == [
        (c1, str(store.comparison_table(DEMO).set_index("id").loc[c1, "model2"]), "rita")
    ]
    # the command line writes the same rows
    cli = [json.loads(line) for line in _cli_export(live_app.db_path.parent, "--kind", "wide").splitlines()]
    assert {r["comparison_id"]: r["adjudication"] for r in cli} == {
        int(k): v["adjudication"] or None for k, v in rows.items()
    }
