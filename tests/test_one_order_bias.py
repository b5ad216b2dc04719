"""A judge judged in one presentation order: its share of "response 1" verdicts beside people's on the
same comparisons, with the exact McNemar test, in every place position bias is shown (the report's
JSON and text, the report card in Markdown and in a terminal, the Dashboard's Biases panel), and on
real data (LLMBar's LLaMA2 judge, whose swap test is known).

Hand-made frame (one annotator per comparison unless said; the judge in the original order):

    c1-c4   judge 1, people 1          c12  judge tie, people 1          (tie: left out)
    c5-c9   judge 1, people 2          c13  judge 1, people 1 vs 2       (people's majority a tie: left out)
    c10     judge 2, people 1          c14  judge unparsed, people 1     (left out)
    c11     judge 2, people 2          c15  judge 1 at p = .45/.42/.13, people 2 (uncertain: left out, counted)
                                       c16  judge 1, no people label     (left out)

So n = 11, the judge says 1 on 9, people on 5: shares 9/11 and 5/11, difference 4/11; the 6
disagreements split 5 (judge 1, people 2) to 1, McNemar's exact p = P(|X - 3| >= 2), X ~ Bin(6, 1/2)
= 14/64.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import pytest
from gradio_ids import by_id, handler
from statsmodels.stats.contingency_tables import mcnemar

from analysis import build_report, judge_report_card, report_dict
from analysis.bias import RESPONSE_ONE_READING, response_one_share
from analysis.report import JudgeRun, ReportInputs, ReportOptions
from analysis.report_text import format_report
from annotation_store import NewVerdict
from interchange.importers import import_llmbar_dataset, import_llmbar_results
from orchestration import Settings, Studio
from orchestration.dashboard import build_dashboard
from orchestration.metrics import metrics_report
from ui.card_document import card_markdown, card_text
from ui.plots import BIAS_MEASURES

DEMO = "judge-studio-demo"
RESPONSE_ONE = BIAS_MEASURES[3]
# (comparison, judge verdict, judge probabilities or None, people labels)
CASES: list[tuple[int, str | None, tuple[float, float, float] | None, list[str]]] = [
    *[(c, "1", None, ["1"]) for c in range(1, 5)],
    *[(c, "1", None, ["2"]) for c in range(5, 10)],
    (10, "2", None, ["1"]),
    (11, "2", None, ["2"]),
    (12, "tie", None, ["1"]),
    (13, "1", None, ["1", "2"]),
    (14, None, None, ["1"]),
    (15, "1", (0.45, 0.42, 0.13), ["2"]),
    (16, "1", None, []),
]
P_VALUE = 14 / 64


pytestmark = pytest.mark.usefixtures("fresh_dashboard_caches")


def _inputs(*, swapped_too: bool = False, averaged: bool = False) -> ReportInputs:
    """The frame of the module docstring as the store's rows (a second order's verdicts, all "2", when
    ``swapped_too``; a judge that averaged both orders when ``averaged``)."""
    ids = [c for c, *_ in CASES]
    texts = pd.DataFrame(
        {
            "id": ids,
            "prompt": [f"p{c}" for c in ids],
            "category": "c",
            "model1": "a",
            "model2": "b",
            "response1": ["x" * c for c in ids],
            "response2": ["y" * 8 for _ in ids],
        }
    )
    labels = pd.DataFrame(
        [
            (c, f"person{i}", v, pd.Timestamp("2026-01-01"), "a", "b")
            for c, _, _, said in CASES
            for i, v in enumerate(said)
        ],
        columns=["comparison_id", "annotator", "verdict", "updated_at", "model1", "model2"],
    )
    rows = []
    for c, verdict, probabilities, _ in CASES:
        p = probabilities or (math.nan, math.nan, math.nan)
        rows.append((7, c, False, verdict, "ok" if verdict else "unparsed", *p))
        if swapped_too or averaged:
            rows.append((7, c, True, "2", "ok", math.nan, math.nan, math.nan))
    verdicts = pd.DataFrame(
        rows, columns=["run_id", "comparison_id", "swapped", "verdict", "status", "p_1", "p_2", "p_tie"]
    )
    run = JudgeRun(7, "judge-x", "pandalm", "k", {"both_orders": averaged})
    return ReportInputs("hand", texts, labels, verdicts, [run])


def _report(inputs: ReportInputs) -> dict[str, Any]:
    report = report_dict(build_report(inputs, ReportOptions(n_bootstrap=0)))
    json.dumps(report, allow_nan=False)  # plain JSON, as metrics --json prints it and REST returns it
    return report


def test_the_share_of_response_one_by_hand() -> None:
    (judge,) = _report(_inputs())["judges"]
    share = judge["response_1_share"]
    assert (share["n"], share["judge_1_people_2"], share["judge_2_people_1"], share["n_uncertain"]) == (11, 5, 1, 1)
    assert share["judge_rate"] == pytest.approx(9 / 11) and share["people_rate"] == pytest.approx(5 / 11)
    assert share["difference"] == pytest.approx(4 / 11)
    assert share["p_value"] == pytest.approx(P_VALUE)
    # the same test as statsmodels' exact McNemar on the 2 x 2 table (judge rows, people columns)
    assert share["p_value"] == pytest.approx(mcnemar([[4, 5], [1, 1]], exact=True).pvalue)
    assert share["not_measured"] is None and share["reading"] == RESPONSE_ONE_READING
    assert judge["position_bias"]["not_measured"].startswith("not measured: judged in one presentation order")


def test_edges_no_disagreement_nothing_shared_and_an_averaging_judge() -> None:
    people = pd.DataFrame({"comparison_id": [1, 2, 3], "verdict": ["1", "2", "tie"]})
    agree = response_one_share(pd.DataFrame({"comparison_id": [1, 2, 3], "verdict": ["1", "2", "1"]}), people)
    assert (agree.n, agree.difference, agree.p_value) == (2, 0.0, 1.0)  # no disagreement: no evidence, p = 1
    nothing = response_one_share(pd.DataFrame({"comparison_id": [3], "verdict": ["1"]}), people)
    assert (nothing.n, nothing.judge_rate, nothing.p_value) == (0, None, None)
    (judge,) = _report(_inputs(averaged=True))["judges"]
    assert judge["response_1_share"]["judge_rate"] is None
    assert judge["response_1_share"]["not_measured"].startswith("not measured: the judge averaged both orders")


def test_a_both_order_run_keeps_its_swap_figures_and_reads_the_original_order() -> None:
    """The swapped order's verdicts (all "2" here) change nothing: response 1 was shown first only in
    the original order. The swap figures are the measure; the share is "the original order alone"."""
    report = _report(_inputs(swapped_too=True))
    (judge,) = report["judges"]
    assert judge["position_bias"]["not_measured"] is None and judge["position_bias"]["n_pairs"] == 14
    assert (judge["response_1_share"]["n"], judge["response_1_share"]["judge_1_people_2"]) == (11, 5)
    text = format_report(report)
    assert "  In the original order alone, the judge chose response 1 (shown first) in 0.818 of the 11" in text
    assert RESPONSE_ONE_READING not in text
    card = judge_report_card(report)["judges"][0]
    assert not [c for c in card["caveats"] if c.startswith("possible position bias")]


SENTENCE = (
    "Judged in one order, the judge chose response 1 (shown first) in 0.818 of the 11 comparisons where it and "
    "people both chose a side (1 uncertain judge verdict left out); people chose response 1 in 0.455 of them "
    "(difference +0.364; exact McNemar p = 0.219 over the 6 they disagree on: 5 judge 1 / people 2, "
    f"1 judge 2 / people 1). {RESPONSE_ONE_READING}"
)


def test_the_text_summary_and_the_report_card_say_it_in_the_same_words() -> None:
    report = _report(_inputs())
    assert f"  {SENTENCE}" in format_report(report).splitlines()
    card = judge_report_card(report)
    assert card["judges"][0]["response_1_share"] == report["judges"][0]["response_1_share"]
    assert f"\n\n{SENTENCE}\n\n" in card_markdown(card)  # its own paragraph on the page and in the HTML file
    assert f"\n{SENTENCE}\n" in card_text(card)  # the terminal's plain text
    # n = 11 < 25 and p = 0.22: no caveat; a strong one-sided judge on 40 comparisons gets one
    assert not [c for c in card["judges"][0]["caveats"] if c.startswith("possible position bias")]


def _forty(*, swapped_too: bool) -> ReportInputs:
    """40 comparisons, people split 20 / 20; the judge says 1 on 36 (every people-1 and 16 people-2)."""
    ids = list(range(1, 41))
    texts = pd.DataFrame(
        {"id": ids, "prompt": [f"p{c}" for c in ids], "category": "c", "model1": "a", "model2": "b"}
        | {"response1": ["x"] * 40, "response2": ["yy"] * 40}
    )
    labels = pd.DataFrame(
        [(c, "ann", "1" if c <= 20 else "2", pd.Timestamp("2026-01-01"), "a", "b") for c in ids],
        columns=["comparison_id", "annotator", "verdict", "updated_at", "model1", "model2"],
    )
    rows = [(1, c, False, "1" if c <= 36 else "2", "ok") for c in ids]
    rows += [(1, c, True, "2", "ok") for c in ids] if swapped_too else []
    verdicts = pd.DataFrame(rows, columns=["run_id", "comparison_id", "swapped", "verdict", "status"])
    return ReportInputs("forty", texts, labels, verdicts, [JudgeRun(1, "judge-y", "pandalm")])


def test_the_card_flags_a_one_order_judge_far_above_people_as_evidence() -> None:
    report = _report(_forty(swapped_too=False))
    (caveat,) = [c for c in judge_report_card(report)["judges"][0]["caveats"] if c.startswith("possible position")]
    assert caveat == (
        "possible position bias: judged in one order, the judge picks response 1 (shown first) in 90% of 40 "
        "comparisons, people in 50% of the same (more than 10 percentage points apart, exact McNemar p = 3.1e-05); "
        "evidence, not a swap test: response 1 may really be better where they disagree"
    )
    both = _report(_forty(swapped_too=True))  # the swap figures measure it: no evidence caveat on top
    assert not [c for c in judge_report_card(both)["judges"][0]["caveats"] if c.startswith("possible position")]


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    s.store.create_annotator("rita", role="reviewer", password="rita-pass-1")
    return s


def test_the_dashboard_shows_the_share_beside_peoples(studio: Studio) -> None:
    """The page's own refresh handler, as a reviewer: six demo comparisons labelled by ann (1, 1, 2, 2, 2,
    2) and judged in one order (1, 1, 1, 1, 1, 2): the judge 5/6 on response 1, people 2/6, 3 to 0
    disagreements, McNemar p = 2 / 2^3."""
    store = studio.store
    ids = store.comparison_table(DEMO)["id"].astype(int).tolist()[:6]
    run = store.ensure_judge_run("one-order-judge", {"model": "one-order-judge", "profile": "pandalm"})
    for comparison, person, judge in zip(ids, "112222", "111112", strict=True):
        store.save_label(comparison, "ann", person, presented_swapped=False)
        store.save_verdict(run, NewVerdict(comparison, judge, "ok"))
    from ui import build_ui

    shown = by_id(handler(build_ui(studio), "dashboard")(DEMO, run, gr.Request(username="rita")))
    assert (
        "Share of response-1 verdicts, judge vs people: Judged in one order, the judge chose response 1 (shown first) "
        "in 0.833 of the 6 comparisons where it and people both chose a side; people chose response 1 in 0.333 of "
        "them (difference +0.500; exact McNemar p = 0.250 over the 3 they disagree on: 3 judge 1 / people 2, "
        "0 judge 2 / people 1). " + RESPONSE_ONE_READING
    ) in shown["dashboard-summary"]
    bars = {trace.name: dict(zip(trace.x, trace.y, strict=True)) for trace in shown["dashboard-bias"].data}
    assert bars["judge"][RESPONSE_ONE] == pytest.approx(5 / 6) and bars["people"][RESPONSE_ONE] == pytest.approx(2 / 6)
    hover = dict(zip(shown["dashboard-bias"].data[0].x, shown["dashboard-bias"].data[0].customdata, strict=True))
    assert hover[RESPONSE_ONE] == "n=6 comparisons both decided, McNemar p=0.250"
    notes = " ".join(a.text.replace("<br>", " ") for a in shown["dashboard-bias"].layout.annotations)  # wrapped lines
    assert "judge position bias not measured: judged in one presentation order only" in notes
    # the same figure as the report (metrics --json, REST /metrics)
    report = metrics_report(store, DEMO, n_bootstrap=0)
    (section,) = [j for j in report["judges"] if j["run_id"] == run]
    board = build_dashboard(store, DEMO, run)
    assert board.judge_response_one is not None
    assert {**dataclasses.asdict(board.judge_response_one), "reading": RESPONSE_ONE_READING} == section[
        "response_1_share"
    ]


def test_llmbar_llama2_one_order_evidence_agrees_with_its_swap_test(studio: Studio, shared_data: Path) -> None:
    """Real data: LLMBar's LLaMA2 judge (both orders stored). Its original order alone puts response 1
    first in 0.605 of 200 pairs where people say 0.505 (37 vs 17 disagreements, p = 0.009): the
    one-order evidence points the way its swap test measures (the shown-first response wins 0.615 of
    400 verdicts). GPT-4's does not (0.510 vs 0.505, p = 1; shown-first 0.510)."""
    folder = shared_data / "llmbar_mt_bench"
    import_llmbar_dataset(studio.store, folder / "dataset.json")
    for judge in ("LLaMA2", "GPT-4"):
        import_llmbar_results(studio.store, folder / judge / "result.json")
    report = metrics_report(studio.store, "llmbar-mt-bench", n_bootstrap=0)
    runs = {j["model"].split(" ")[0]: j for j in report["judges"]}
    llama, gpt4 = runs["LLaMA2"], runs["GPT-4"]
    share = llama["response_1_share"]
    assert (share["n"], share["judge_1_people_2"], share["judge_2_people_1"]) == (200, 37, 17)
    assert (round(share["judge_rate"], 3), round(share["people_rate"], 3), round(share["p_value"], 4)) == (
        0.605,
        0.505,
        0.0091,
    )
    assert round(llama["position_bias"]["first_position_rate"], 3) == 0.615
    assert (gpt4["response_1_share"]["judge_1_people_2"], gpt4["response_1_share"]["judge_2_people_1"]) == (21, 20)
    assert gpt4["response_1_share"]["p_value"] == 1.0
