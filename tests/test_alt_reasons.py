"""The alternative-annotator test says why it cannot run, the real cause first and each problem once.

The team study (tester report s10, finding 3): 60 comparisons, five people at overlap 3, and a judge
whose verdicts were uncertain on 59 of them. The card blamed the annotators ("0 qualify ... 1 items have
two or more labels") though every comparison had three labels, repeated its bullets once per group,
said "skipped" for "left out" and wrote "these the annotators". Built through the one report (the
figures ``metrics --json``, REST and the card all copy)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis import JudgeRun, ReportInputs, ReportOptions, build_report, judge_report_card, report_dict
from analysis.alt_test import notes

PEOPLE = ("crowd1", "crowd2", "crowd3", "expert1", "expert2")
KINDS = {name: ("expert" if name.startswith("expert") else "crowd") for name in PEOPLE}
GAP = (
    "the judge gave a decisive verdict on 1 of the 60 comparisons that two or more people labelled "
    "(59 uncertain at margin 0.1; see --uncertain-margin)"
)


def _study(n: int = 60, decisive: int = 1) -> ReportInputs:
    """``n`` comparisons, each labelled by three of the five people (overlap 3); the judge's top two
    probabilities lie 0.01 apart on all but ``decisive`` of them."""
    rng = np.random.default_rng(3)
    truth = rng.choice(["1", "2"], size=n)
    texts = pd.DataFrame(
        {
            "id": range(1, n + 1),
            "prompt": [f"p{i}" for i in range(n)],
            "category": "writing",
            "model1": "m-a",
            "model2": "m-b",
            "response1": "a",
            "response2": "bb",
        }
    )
    rows = [
        (i + 1, PEOPLE[(i + k) % 5], truth[i] if rng.random() < 0.8 else "tie", pd.Timestamp("2026-11-01"))
        for i in range(n)
        for k in range(3)
    ]
    labels = pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict", "updated_at"])
    labels = labels.assign(model1="m-a", model2="m-b", category="writing")
    close = {"1": 0.45, "2": 0.44, "tie": 0.11}
    sure = {"1": 0.9, "2": 0.05, "tie": 0.05}
    judge = pd.DataFrame(
        {"run_id": 1, "comparison_id": range(1, n + 1), "swapped": False, "verdict": "1", "status": "ok"}
    )
    judge["probabilities"] = [sure if i < decisive else close for i in range(n)]
    return ReportInputs("team-pairs", texts, labels, judge, [JudgeRun(1, "judge-x", "pandalm")], annotator_kinds=KINDS)


def _card(inputs: ReportInputs, margin: float = 0.1) -> dict[str, Any]:
    report = report_dict(build_report(inputs, ReportOptions(n_bootstrap=0, uncertain_margin=margin)))
    return judge_report_card(report, 1)["judges"][0]


def test_uncertain_verdicts_are_named_as_the_cause_before_the_annotators() -> None:
    """s15 (methodologist, finding 1): uncertain verdicts no longer stop the test; they count as disagreeing, and
    the answer names them as the cause ("decisive on 1 of 60")."""
    card = _card(_study())
    assert card["answer"] == "no"
    everyone = next(t for t in card["alt_test"] if t["group"] == "all")
    assert everyone["problems"] == [] and (everyone["n_items"], everyone["n_decisive"]) == (60, 1)
    assert "decisive on 1 of 60 comparisons tested" in card["conclusion"]
    said = " ".join([card["conclusion"], *card["caveats"], *notes(card["alt_test"])])
    assert "items have two or more labels" not in said and "single person" not in said and "0 qualify" not in said


def test_each_problem_is_said_once_and_nobody_is_skipped() -> None:
    card = _card(_study())
    lines = notes(card["alt_test"])
    assert len(lines) == len(set(lines)) and GAP not in lines
    assert "only 2 expert annotators (expert1, expert2): the test needs at least 3 people" in " ".join(lines)
    assert len(lines) <= 4  # the crowd's, the experts' and who was left out: not 11 bullets
    assert not any("skipped" in line for line in lines)
    assert sum("alternative-annotator test:" in c for c in card["caveats"]) == 0  # everyone's test ran


def test_a_test_that_runs_has_no_typo_and_a_test_on_nobody_lists_nobody() -> None:
    card = _card(_study(), margin=0.0)  # margin 0: every verdict decisive, so the test runs
    everyone = next(t for t in card["alt_test"] if t["group"] == "all")
    assert everyone["passed"] is not None and everyone["problems"] == []
    assert "these the" not in everyone["conclusion"]
    assert ("passes" in everyone["conclusion"] and "for these annotators" in everyone["conclusion"]) or (
        "should not replace these annotators yet" in everyone["conclusion"]
    )
    thin = _card(_study(n=45), margin=0.0)  # 27 comparisons each: nobody reaches 30
    lines = notes(thin["alt_test"])
    assert "left out" not in " ".join(lines)  # no one tested: the counts say it, not five more lines
    assert not any(GAP in line for line in lines)
