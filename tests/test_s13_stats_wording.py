"""Session 13 "statsmend": the figures were right, the words around them misled (researcher report, findings
1, 4, 5, 9, 11, 12). On the PandaLM test set (999 comparisons, 3 annotators, the two released judgments) and
AlpacaEval (no people labels), imported in-process as ``test_one_report`` does:

1. the card compared the judge's order with the corrected one as if every swap were real, and printed the
   people's order as a total order; the only swap (bloom-7b / pythia-6.9b, 47-49-11) is separated by nothing;
4. the Dashboard led with the per-label accuracy (0.660), unnamed and without interval, beside the card's 0.668;
5. the plain-text ``metrics`` printed no judge partial order;
9. "People's position preference: – of 0 decisive labels" when nothing was measured;
11. empty people figures on a dataset without people labels;
12. "more than 10% from 50%" for ten percentage points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from analysis import format_report
from analysis.report_card import _length_caveats, _position_caveats, judge_report_card, rankings
from analysis.report_text import NO_PEOPLE_LABELS, NO_POSITION_LABELS
from annotation_store import Store, open_store
from interchange.importers import (
    import_alpacaeval_annotations,
    import_alpacaeval_outputs,
    import_pandalm_judgments,
    import_pandalm_testset,
)
from orchestration.dashboard import ReportCache, build_dashboard
from orchestration.metrics import metrics_report
from ui.card_document import card_text, judge_markdown
from ui.dashboard import summary_markdown
from ui.plots import confusion_figure

PANDALM = "pandalm-testset-v1"
PANDA_JUDGE = "PandaLM-7B (released outputs)"


@pytest.fixture(scope="module")
def pandalm(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = open_store(tmp_path_factory.mktemp("statsmend") / "pandalm.sqlite3")
    folder = shared_data / "pandalm"
    import_pandalm_testset(store, folder / "testset-v1.json")
    for name in ("pandalm-7b-testset-v1.json", "gpt-3.5-turbo-testset-v1.json"):
        import_pandalm_judgments(store, folder / name)
    yield store
    store.close()


@pytest.fixture(scope="module")
def report(pandalm: Store) -> dict[str, Any]:
    return metrics_report(pandalm, PANDALM, n_bootstrap=20)


def _run_of(report: dict[str, Any], model: str) -> int:
    (run,) = [j["run_id"] for j in report["judges"] if j["model"] == model]
    return int(run)


# ------------------------------------------------------------------ 1. the orders, compared where supported
def test_the_card_calls_the_bloom_pythia_swap_no_difference(report: dict[str, Any]) -> None:
    run = _run_of(report, PANDA_JUDGE)
    (card,) = judge_report_card(report, run)["judges"]
    ranking = card["ranking"]
    # the figures themselves are as before: the judge's total order does swap the two
    assert ranking["corrected"] == ["llama-7b", "pythia-6.9b", "bloom-7b", "opt-7b", "cerebras-gpt-6.7B"]
    assert ranking["judge"] == ["llama-7b", "bloom-7b", "pythia-6.9b", "opt-7b", "cerebras-gpt-6.7B"]
    assert ranking["judge_matches_corrected"] is False
    # but nothing separates them: neither partial order, nor the win-rate intervals
    assert ranking["swaps"] == [{"judge_above": "bloom-7b", "corrected_above": "pythia-6.9b", "separated": False}]
    assert ranking["judge_differs_where_separated"] is False
    unordered = [["pythia-6.9b", "bloom-7b"], ["bloom-7b", "opt-7b"], ["opt-7b", "cerebras-gpt-6.7B"]]
    assert ranking["not_separated"]["people"] == unordered  # the pairs the people's partial order leaves unordered

    text = card_text(judge_report_card(report, run))
    assert "different from the corrected one" not in text
    assert (
        "- the judge's order and the corrected order differ only between models neither can tell apart "
        "(bloom-7b and pythia-6.9b)"
    ) in text
    assert (
        "- people order: llama-7b > pythia-6.9b > bloom-7b > opt-7b > cerebras-gpt-6.7B (not separated: "
        "pythia-6.9b and bloom-7b, bloom-7b and opt-7b, opt-7b and cerebras-gpt-6.7B)"
    ) in text
    assert "- not separated: two models whose win-rate intervals overlap" in text


def _row(model: str, judge: tuple[float, float, float], corrected: tuple[float, float, float]) -> dict[str, Any]:
    def part(values: tuple[float, float, float]) -> dict[str, float]:
        return dict(zip(("estimate", "low", "high"), values, strict=True))

    counts = {"n_labelled": 10, "n_unlabelled": 0, "effective_labels": 10.0}
    return {"model": model, "judge": part(judge), "corrected": part(corrected), "people": part(corrected), **counts}


def _order(*edges: tuple[str, str]) -> dict[str, Any]:
    return {"edges": [{"winner": winner, "loser": loser} for winner, loser in edges], "hasse": [list(e) for e in edges]}


def test_a_swap_a_partial_order_separates_is_said_as_a_difference() -> None:
    rows = [_row("a", (0.40, 0.30, 0.50), (0.60, 0.50, 0.70)), _row("b", (0.55, 0.45, 0.65), (0.45, 0.35, 0.55))]
    corrected = {"against_baseline": [], "against_all": rows, "baseline": None, "people_labels": "majority"}
    # the people's partial order puts a above b: the judge's b-above-a is a real difference
    ranking = rankings(corrected, _order(), _order(("a", "b")))
    assert ranking is not None
    assert ranking["swaps"] == [{"judge_above": "b", "corrected_above": "a", "separated": True}]
    markdown = judge_markdown({**_card_stub(), "corrected": corrected, "ranking": ranking})
    assert "the judge's order differs from the corrected one where they separate the models: it puts b above a" in (
        markdown
    )
    # without the partial order (and with overlapping intervals) the same swap is no difference
    loose = rankings(corrected, _order(), _order())
    assert loose is not None and loose["swaps"][0]["separated"] is False
    assert loose["not_separated"] == {"corrected": [["a", "b"]], "judge": [["b", "a"]], "people": [["a", "b"]]}


def _card_stub() -> dict[str, Any]:
    empty: dict[str, Any] = {"not_measured": "not measured"}
    agreement = {"people_labels": "majority", "n": 2, "accuracy": 1.0, "accuracy_ci95": None, "cohen_kappa": None}
    agreement |= {"macro_f1": None, "per_vote_accuracy": 1.0, "unparsed": 0}
    return {
        "run_id": 1,
        "model": "m",
        "profile": "p",
        "answer": "undecided",
        "conclusion": "c",
        "alt_test": [],
        "agreement": agreement,
        "calibration": None,
        "calibration_note": None,
        "position_bias": empty,
        "response_1_share": empty,
        "length_bias": {"judge": {"longer_rate": None, "n": 0}, "people": {"longer_rate": None}},
        "caveats": [],
    }


# ------------------------------------------------------------------ 5. the judges' partial orders in the text
def test_metrics_text_prints_each_judges_partial_order(report: dict[str, Any]) -> None:
    text = format_report(report)
    run = _run_of(report, PANDA_JUDGE)
    # s15: Holm-adjusted over the 10 pair tests, only llama-7b > cerebras-gpt-6.7B is left of the judge's order
    edges = "llama-7b > cerebras-gpt-6.7B"
    line = f"Judge run {run}'s partial order (p < 0.05, Holm-adjusted over 10 pair tests): {edges}"
    assert line in text.splitlines()
    people = [n for n, t in enumerate(text.splitlines()) if t.startswith("People's partial order")]
    judges = [n for n, t in enumerate(text.splitlines()) if "'s partial order (p <" in t and t.startswith("Judge run")]
    assert len(judges) == 2 and people and people[0] < judges[0]  # right after the people's, one line per run


# ------------------------------------------------------------------ 9. nothing measured, said in words
def test_peoples_position_preference_says_nothing_was_measured(pandalm: Store, report: dict[str, Any]) -> None:
    text = format_report(report)
    assert f"{NO_POSITION_LABELS} 2671 decisive labels have no recorded order (imported) and are left out." in text
    assert "n/a over 0 decisive labels" not in text
    board = build_dashboard(pandalm, PANDALM, _run_of(report, PANDA_JUDGE), cache=ReportCache())
    summary = summary_markdown(board)
    assert NO_POSITION_LABELS == (
        "People's position preference (the side of the screen they chose, not response 1 or 2 of the dataset): "
        "no decisive labels with a recorded left/right order to measure it."
    )
    assert f"{NO_POSITION_LABELS} 2671 decisive labels have no recorded order (imported) and are left out." in summary
    assert "of **0** decisive" not in summary


# ------------------------------------------------------------------ 4. the Dashboard's headline is the card's
def test_the_dashboard_leads_with_the_cards_figure_and_names_the_per_label_one(
    pandalm: Store, report: dict[str, Any]
) -> None:
    run = _run_of(report, PANDA_JUDGE)
    (card,) = judge_report_card(report, run)["judges"]
    agreement = card["agreement"]
    ci = agreement["accuracy_ci95"]
    board = build_dashboard(pandalm, PANDALM, run, cache=ReportCache())
    summary = summary_markdown(board)
    headline = (
        f"Human vs judge against people's majority label over **999** comparisons: accuracy "
        f"**{agreement['accuracy']:.3f}** [{ci['low']:.3f}, {ci['high']:.3f}] (95% CI), Cohen's κ "
        f"**{agreement['cohen_kappa']:.3f}**, macro F1 **{agreement['macro_f1']:.3f}**"
    )
    assert headline in summary
    assert "accuracy **0.668** [0.639, 0.697]" in summary  # the researcher's recomputed figure and interval
    assert "per label (each person's label on its own) over **2997** labels: accuracy **0.660**" in summary
    assert summary.index(headline) < summary.index("per label")
    assert "per label" in confusion_figure(board.agreement.confusion).layout.title.text
    assert int(board.agreement.confusion.values.sum()) == 2997  # per label indeed


# ------------------------------------------------------------------ 11. no people labels: one line
def test_a_dataset_without_people_labels_says_so_once(shared_data: Path, tmp_path: Path) -> None:
    store = open_store(tmp_path / "alpaca.sqlite3")
    folder = shared_data / "alpaca_eval" / "alpaca-7b"
    import_alpacaeval_outputs(store, folder / "model_outputs.json")
    import_alpacaeval_annotations(store, folder / "alpaca_eval_gpt4" / "annotations.json")
    report = metrics_report(store, "alpaca-eval", n_bootstrap=20)
    store.close()
    assert NO_PEOPLE_LABELS == "No people's labels on this dataset: figures against people are left out."

    text = format_report(report)
    assert text.splitlines()[1] == NO_PEOPLE_LABELS
    for empty in ("1: 0, 2: 0, tie: 0", "people n/a", "corrected n/a", "No share of response-1", "settled by"):
        assert empty not in text
    assert "win rate of alpaca-7b against text_davinci_003, judge only (95% CI): 0.265 [0.235, 0.295]" in text

    card = card_text(judge_report_card(report))
    assert card.count(NO_PEOPLE_LABELS) == 1
    for empty in ("accuracy n/a", "Against people's", "κ n/a", "people in n/a", "too few labels", "corrected order"):
        assert empty not in card
    assert "alpaca-7b  0.265 [0.235, 0.295]  805" in card


# ------------------------------------------------------------------ 12. percentage points
def test_caveats_say_percentage_points() -> None:
    (position,) = _position_caveats(
        {"not_measured": None, "consistency": None, "first_position_rate": 0.62, "first_position_p_value": 4.9e-6},
        0.05,
    )
    assert position == (
        "position bias: the response shown first wins 62% of decisive verdicts "
        "(more than 10 percentage points from 50%, p = 4.9e-06)"
    )
    # s15: the paired comparison on the same comparisons, with its McNemar p
    paired = {"n": 50, "judge_rate": 0.8, "people_rate": 0.6, "p_value": 0.004}
    (length,) = _length_caveats(paired, 0.05)
    assert length.endswith("(more than 10 percentage points apart; exact McNemar p = 0.004)")
