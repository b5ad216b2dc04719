"""A dataset the judge has judged but nobody has labelled yet: every fresh install (the demo is
judged in the background on the first start) and every newly imported dataset. The report, the
dashboard and ``judge-studio metrics`` must show their empty states, not crash (they raised
``KeyError: 'probabilities'`` from the calibration before)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_metrics_cli import _run

from annotation_store import NewVerdict
from orchestration import Settings, Studio
from orchestration.dashboard import REPORT_CACHE, build_dashboard
from orchestration.metrics import metrics_report

DEMO = "judge-studio-demo"


def _no_judge(_spec: Any) -> Any:
    raise AssertionError("no judge is loaded here")


def _judged_by_a_judge_with_probabilities(db_path: Path) -> Studio:
    studio = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    store = studio.store
    run = store.ensure_judge_run("fp-unlabelled", {"model": "judge-x", "profile": "pandalm"})
    for number in store.comparison_table(DEMO)["id"].astype(int):
        store.save_verdict(run, NewVerdict(int(number), "1", "ok", p_1=0.6, p_2=0.3, p_tie=0.1))
    assert store.labels(DEMO).empty
    return studio


def test_the_report_and_the_dashboard_of_a_judged_unlabelled_dataset(db_path: Path) -> None:
    studio = _judged_by_a_judge_with_probabilities(db_path)
    report = metrics_report(studio.store, DEMO)
    assert report["counts"]["labels"] == 0
    REPORT_CACHE.clear()
    board = build_dashboard(studio.store, DEMO)
    assert board is not None


def test_judge_studio_metrics_on_a_judged_unlabelled_dataset(db_path: Path) -> None:
    _judged_by_a_judge_with_probabilities(db_path).store.close()
    done = _run(db_path.parent, "metrics", "--dataset", DEMO, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["labels"] == 0
    text = _run(db_path.parent, "metrics", "--dataset", DEMO)
    assert text.returncode == 0 and "Traceback" not in text.stderr, text.stderr
