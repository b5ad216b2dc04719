"""Stored judge checkups in the one report (issue 11 item 3): ``metrics --json``'s "checkup" section,
its text summary, the report card's caveats and the Dashboard's "Judge checkup" table, for the
checkup's own dataset and for another dataset judged by the same judge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest
from test_checkup import ScriptedJudge

from analysis.report_card import judge_report_card
from analysis.report_text import format_report
from annotation_store import NewVerdict, Store
from judge_runtime import Judge
from orchestration.checkup import run_checkup, stored_checkup
from orchestration.dashboard import ReportCache, build_dashboard
from orchestration.metrics import metrics_report
from ui.dashboard import dashboard_figures

DEMO = "judge-studio-demo"


def _judge_demo(store: Store, judge: ScriptedJudge) -> int:
    """A run of ``judge`` (its fingerprint, as ``judge-studio judge`` stores it) on a few demo comparisons."""
    run = store.ensure_judge_run(judge.fingerprint_key, judge.fingerprint)
    for comparison in store.comparison_table(DEMO)["id"].head(5):
        store.save_verdict(run, NewVerdict(int(comparison), "1", "ok"))
    return run


def _overall(section: dict[str, Any]) -> tuple[Any, ...]:
    mine, first = section["overall"]["judge"], section["overall"]["always_first"]
    return mine["pairs"], mine["accuracy_original"], mine["pair_accuracy"], mine["pair_agreement"], first["accuracy"]


def test_the_checkup_dataset_report_has_the_checkup_section(store: Store, shared_data: Path) -> None:
    done = run_checkup(store, cast(Judge, ScriptedJudge(first=True)), limit=12, data_dir=shared_data)
    (suite,) = done.suites
    report = metrics_report(store, "evalbiasbench", n_bootstrap=10)
    (section,) = report["checkup"]["runs"]
    assert section["run_id"] == suite.run_id and section["for_run_ids"] == [suite.run_id]
    expected = json.loads(json.dumps(suite.result.to_dict()))
    assert {k: section[k] for k in ("categories", "overall")} == expected  # the same figures as the command's
    assert [c["category"] for c in section["categories"]][:2] == ["length", "concreteness"]
    # an always-first judge: right where the better response is shown first (7 of these 12: the gold side is
    # placed by a hash of the key, s15 benchfix), nothing right in both orders, never the same verdict after the swap
    assert _overall(section) == (12, pytest.approx(7 / 12), 0.0, 0.0, 0.5)
    assert section["overall"]["judge"] == section["overall"]["always_first"]
    text = format_report(report)
    assert "Judge checkup" in text and "EvalBiasBench, run" in text and "pair accuracy 0%" in text
    card = judge_report_card(report, suite.run_id)["judges"][0]
    assert card["checkup"][0]["run_id"] == suite.run_id
    assert any("verdict changes when the two responses swap places on 100%" in c for c in card["caveats"])
    assert any("no better than always picking the response shown first" in c for c in card["caveats"])


def test_another_dataset_shows_the_checkup_of_the_same_judge(store: Store, shared_data: Path) -> None:
    """The checkup judges each order on its own (``both_orders`` off), so a run that averaged both orders
    is described by the checkup of the same judge; another judge's run gets none."""
    checked = ScriptedJudge()
    run_checkup(store, cast(Judge, checked), limit=6, data_dir=shared_data)
    checkup_run = store.judge_runs_on("evalbiasbench")[0].run_id
    same = _judge_demo(store, ScriptedJudge(both_orders=True))
    other = _judge_demo(store, ScriptedJudge(first=True, both_orders=True))
    report = metrics_report(store, DEMO, n_bootstrap=10)
    (section,) = report["checkup"]["runs"]
    assert (section["run_id"], section["for_run_ids"]) == (checkup_run, [same])
    later = stored_checkup(store, checkup_run)
    assert later is not None and section["overall"] == json.loads(json.dumps(later.result.to_dict()))["overall"]

    cache = ReportCache()
    board = build_dashboard(store, DEMO, same, cache=cache)
    shown = dashboard_figures(board)["dashboard-checkup"]
    assert f"run {checkup_run}" in shown and "| length |" in shown and "always first (baseline)" in shown
    assert "pair acc." in shown and "`scripted`" in shown
    unchecked = dashboard_figures(build_dashboard(store, DEMO, other, cache=cache))["dashboard-checkup"]
    assert unchecked.startswith("_No judge checkup of this judge yet")


def test_no_checkup_no_section(store: Store) -> None:
    report = metrics_report(store, DEMO, n_bootstrap=10)
    assert report["checkup"]["runs"] == [] and "Judge checkup" not in format_report(report)


@pytest.mark.parametrize("name", ["<b>bold</b>", "a|b"])
def test_names_from_files_are_escaped_in_the_dashboard_table(name: str) -> None:
    import pandas as pd

    from analysis.checkup import CheckupInput, stored_checkup_figures
    from ui.checkup_table import checkups_markdown

    gold = pd.DataFrame({"comparison_id": [1], "verdict": ["1"], "category": [name]})
    verdicts = pd.DataFrame({"comparison_id": [1, 1], "swapped": [False, True], "verdict": ["1", "1"]})
    given = CheckupInput("s", name, "d", "bias type", 3, name, "p", verdicts.assign(status="ok"), gold, (3,))
    shown = checkups_markdown([stored_checkup_figures(given)], 3)
    assert "100%" in shown
    assert shown.count(name) == 1 and f"`{name}`" in shown  # the judge's name as code; titles and cells escaped
    rows = [line for line in shown.splitlines() if line.startswith("| ")]
    assert {len(row.split(" | ")) for row in rows} == {9}  # a "|" in a category does not add a column
