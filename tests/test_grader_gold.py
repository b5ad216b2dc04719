"""Which graders fail the attention checks: the one report's per-grader table for grading sessions.

Gold responses (``gold_ratings``) are handed to graders in sessions on the gold's scale; the report's
``ratings.graders`` counts each grader's ratings, skips and gold checks (ratings of a gold response
given on its scale, right when inside the known range), the text summary says it in one line, and the
Dashboard shows the same numbers in a table under the ratings. A rating of the same response in a 1-5
session is no check. Real SQLite copies of the seeded database; ratings go through the grading desk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import pytest
from gradio_ids import by_id, handler
from test_corrected_ratings import _cli, _rest
from test_gold_ratings import _grade

from analysis import format_report
from orchestration import AdminDesk, Settings, Studio
from orchestration.metrics import metrics_report

ROOT = Path(__file__).resolve().parent.parent
DEMO = "judge-studio-demo"
WHY = "The answer is off topic: anything above 2 means the response was not read."
CAROL = "carol <b>x</b>"  # an untrusted name: shown as plain text, never HTML


def _no_judge(_spec: Any) -> Any:
    raise AssertionError("no judge is loaded in these tests")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    for name, role in (("alice", "annotator"), ("bob", "annotator"), ("rita", "reviewer"), ("admin", "admin")):
        s.store.create_annotator(name, role=role, password=f"{name}-pass-1234")
    return s


def _attention_checks(studio: Studio) -> int:
    """One gold response (right: 1-2 of 10). Carol rates it 1 in a 1-5 session (no check there); in a
    1-10 session with gold rate 0.5 alice rates it 7 (wrong) and bob 2 (right), each after an ordinary
    rating (in either order), and bob skips one more. Returns the gold response's id."""
    store = studio.store
    store.create_annotator(CAROL, password="carol-pass-1234")
    store.save_session("five", DEMO, kind="single", overlap=1, gold_rate=0.5, scale=5)
    gold = studio.grading.next_item(CAROL, "five").id  # marked gold on 1-10 while carol reads it on 1-5
    AdminDesk(studio).set_gold_rating("admin", gold, 10, 1, 2, WHY)
    outcome = studio.grading.submit(CAROL, "five", gold, 1)
    assert outcome.gold is None  # an ordinary item on 1-5
    store.save_session("checks", DEMO, kind="single", overlap=1, gold_rate=0.5)
    for who, ordinary, on_gold in (("alice", 6, 7), ("bob", 5, 2)):
        checks = []  # gold rate 0.5: one of each grader's first 2 items is the check, at a drawn slot
        for _ in range(2):
            item = studio.grading.next_item(who, "checks")
            assert item is not None
            rating = on_gold if item.id == gold else ordinary
            checks.append(studio.grading.submit(who, "checks", item.id, rating).gold_correct)
        assert sorted(checks, key=str) == sorted([None, who == "bob"], key=str)
    assert _grade(studio, "bob", "checks", None)[0] != gold
    return gold


EXPECTED = [
    {"annotator": "alice", "ratings": 2, "skipped": 0, "n_gold": 1, "gold_accuracy": 0.0},
    {"annotator": "bob", "ratings": 2, "skipped": 1, "n_gold": 1, "gold_accuracy": 1.0},
    {"annotator": CAROL, "ratings": 1, "skipped": 0, "n_gold": 0, "gold_accuracy": None},
]


def test_the_report_counts_each_graders_gold_checks_on_the_golds_scale_only(studio: Studio) -> None:
    _attention_checks(studio)
    report = metrics_report(studio.store, DEMO, n_bootstrap=10)
    assert report["ratings"]["graders"] == EXPECTED
    assert (
        "Gold checks (grading): 2 graders, 2 checks, 50% right; lowest: alice 0% (1 check)"
        in format_report(report).splitlines()
    )


def test_no_gold_checks_no_summary_line(studio: Studio) -> None:
    studio.store.save_session("plain", DEMO, kind="single", overlap=1)
    _grade(studio, "alice", "plain", 4)
    report = metrics_report(studio.store, DEMO, n_bootstrap=10)
    assert report["ratings"]["graders"] == [
        {"annotator": "alice", "ratings": 1, "skipped": 0, "n_gold": 0, "gold_accuracy": None}
    ]
    assert "Gold checks" not in format_report(report)


def _dashboard_graders(studio: Studio, user: str = "rita") -> Any:
    """What the Dashboard page's own handler sends to its graders table (an update: value, visible)."""
    from ui import build_ui

    return by_id(handler(build_ui(studio), "dashboard")(DEMO, None, gr.Request(username=user)))["dashboard-graders"]


def test_cli_rest_and_dashboard_show_the_same_grader_table(live_app: Any) -> None:
    studio = live_app.studio
    _attention_checks(studio)
    cli, rest = _cli(live_app.db_path.parent, bootstrap=10), _rest(live_app, bootstrap=10)
    assert cli["ratings"]["graders"] == rest["ratings"]["graders"] == EXPECTED
    shown = _dashboard_graders(studio)
    assert shown["visible"] is True
    table = shown["value"]
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["grader", "ratings", "skipped", "gold checks", "gold right"]
    expected = [
        [g["annotator"], g["ratings"], g["skipped"], g["n_gold"], "–" if g["gold_accuracy"] is None else "0%"]
        for g in cli["ratings"]["graders"]
    ]
    expected[1][4] = "100%"  # bob
    assert table.to_numpy().tolist() == expected
    assert table.iloc[2, 0] == CAROL  # the name as typed, in a plain-text cell


def test_the_grader_table_is_hidden_without_ratings_and_from_annotators(studio: Studio) -> None:
    assert _dashboard_graders(studio)["visible"] is False  # nobody has rated the demo dataset yet
    _attention_checks(studio)
    assert _dashboard_graders(studio)["visible"] is True
    denied = _dashboard_graders(studio, user="alice")
    assert denied["visible"] is False and denied.get("value") is None
