"""Session 15, stats1: the methodologist's findings 1, 3, 7, 8 and 9 (the session 15 methods audit).

1. A judge that abstains (uncertain or unparsed) where it would be wrong no longer gets "Answer: yes": such items
   count as disagreeing in the alternative-annotator test and the headline accuracy, and the answer says the
   coverage ("decisive on N of M"); an honest judge's answer is unchanged.
3. "left out of the judge's figures: a response was empty" only for comparisons a run actually left out.
7. Every interval says its level ("95% CI"); ``--alpha`` sets the intervals' level, not the alt-test's FDR level.
8. The judge-only-outside-the-corrected-interval caveat says what it is, not "misjudges".
9. Dawid-Skene's quality of a single annotator is n/a with the reason, not 1.000.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis import build_report, judge_report_card, report_dict
from analysis.aggregation import DS_ONE_ANNOTATOR, dawid_skene
from analysis.alt_test import alt_test
from analysis.report import JudgeRun, ReportInputs, ReportOptions
from analysis.report_text import format_report
from ui.card_document import card_markdown, card_text

N = 90
NAN = float("nan")


def _truth(i: int) -> str:
    return "1" if i % 2 else "2"


def _other(label: str) -> str:
    return "2" if label == "1" else "1"


def _texts(n: int = N, empty: tuple[int, ...] = ()) -> pd.DataFrame:
    models = [("m-a", "m-b"), ("m-b", "m-c"), ("m-c", "m-a")]
    return pd.DataFrame(
        {
            "id": list(range(1, n + 1)),
            "prompt": [f"p{i}" for i in range(n)],
            "category": "c",
            "model1": [models[i % 3][0] for i in range(n)],
            "model2": [models[i % 3][1] for i in range(n)],
            "response1": ["" if i + 1 in empty else f"answer one {i}" for i in range(n)],
            "response2": [f"answer two {i} " * (1 + i % 3) for i in range(n)],
        }
    )


def _labels(n: int = N, people: tuple[str, ...] = ("h1", "h2", "h3")) -> pd.DataFrame:
    """Three crowd annotators who agree on the truth, each off on a different 1 in 10 items."""
    rows = []
    models = _texts(n)[["model1", "model2"]].to_numpy()
    for i in range(n):
        for k, person in enumerate(people):
            label = _other(_truth(i)) if i % 10 == 3 * k + 1 else _truth(i)
            rows.append((i + 1, person, label, pd.Timestamp("2026-01-01"), *models[i]))
    return pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict", "updated_at", "model1", "model2"])


def _verdict(comparison: int, verdict: str | None, status: str, p: tuple[float, float, float] | None = None) -> tuple:
    return (7, comparison, False, verdict, status, *(p or (NAN, NAN, NAN)))


def _verdicts(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["run_id", "comparison_id", "swapped", "verdict", "status", "p_1", "p_2", "p_tie"]
    )


def _probabilities(verdict: str, top: float, rest: tuple[float, float]) -> tuple[float, float, float]:
    order = {"1": (top, rest[0], rest[1]), "2": (rest[0], top, rest[1])}
    return order[verdict]


def _wrong(i: int) -> bool:
    """The items where the judge would be wrong: one in three."""
    return i % 3 == 0


def _report(verdicts: pd.DataFrame, texts: pd.DataFrame | None = None, **options: Any) -> dict[str, Any]:
    texts = _texts() if texts is None else texts
    inputs = ReportInputs("edge", texts, _labels(len(texts)), verdicts, [JudgeRun(7, "j", "pandalm", "k", {})])
    return report_dict(build_report(inputs, ReportOptions(n_bootstrap=0, **options)))


def _calibrated() -> pd.DataFrame:
    """The methodologist's "calib": confident where right, close to a coin flip (uncertain) where wrong."""
    rows = []
    for i in range(N):
        said = _other(_truth(i)) if _wrong(i) else _truth(i)
        p = _probabilities(said, 0.40, (0.35, 0.25)) if _wrong(i) else _probabilities(said, 0.9, (0.07, 0.03))
        rows.append(_verdict(i + 1, said, "ok", p))
    return _verdicts(rows)


def _abstaining() -> pd.DataFrame:
    """The methodologist's "abstain": garbage (no verdict) where the judge would be wrong."""
    return _verdicts(
        [_verdict(i + 1, None if _wrong(i) else _truth(i), "unparsed" if _wrong(i) else "ok") for i in range(N)]
    )


# ------------------------------------------------------------------------------------------ finding 1


def test_a_judge_that_is_uncertain_where_it_would_be_wrong_does_not_get_yes() -> None:
    report = _report(_calibrated())
    (card,) = judge_report_card(report)["judges"]
    assert card["answer"] != "yes"
    assert "decisive on 60 of 90 comparisons tested" in card["conclusion"]
    (test,) = card["alt_test"]
    assert (test["n_items"], test["n_decisive"]) == (90, 60)
    assert test["decisive_winning_rate"] == 1.0  # the old per-decisive figure, kept and labelled as such
    assert "on the decisive ones alone ω = 1.00" in card["conclusion"]
    # the headline accuracy counts the 30 uncertain as wrong; the decisive-only one stays, labelled
    agreement = card["agreement"]
    assert agreement["n"] == 90 and abs(agreement["accuracy"] - 60 / 90) < 1e-9 and agreement["no_verdict"] == 30
    assert agreement["decisive"]["n"] == 60 and agreement["decisive"]["accuracy"] == 1.0
    markdown = card_markdown(judge_report_card(report))
    assert f"**Answer: {card['answer']}.**" in markdown and "decisive on 60 of 90" in markdown
    assert "accuracy 0.667" in markdown and "(30 judged without a decisive verdict count as wrong)" in markdown
    assert "on the 60 decisive verdicts alone: accuracy 1.000" in markdown
    text = format_report(report)
    assert "  vs majority (n=90): accuracy 0.667" in text
    assert "vs majority, decisive verdicts only (n=60): accuracy 1.000" in text


def test_a_judge_that_gives_no_verdict_where_it_would_be_wrong_does_not_get_yes() -> None:
    report = _report(_abstaining())
    (card,) = judge_report_card(report)["judges"]
    assert card["answer"] == "no"
    assert "decisive on 60 of 90 comparisons tested" in card["conclusion"]
    assert card["agreement"]["n"] == 90 and abs(card["agreement"]["accuracy"] - 60 / 90) < 1e-9
    assert "judge decisive on 60 of 90" in format_report(report)


def test_an_honest_judge_keeps_its_answer() -> None:
    """Decisive everywhere (wrong where it is wrong): the same test as before, the answer and ω unchanged."""
    rows = [_verdict(i + 1, _other(_truth(i)) if i % 15 == 0 else _truth(i), "ok") for i in range(N)]
    verdicts = _verdicts(rows)
    report = _report(verdicts)
    (card,) = judge_report_card(report)["judges"]
    before = alt_test(_labels(), verdicts[["comparison_id", "verdict"]], annotator_kind="crowd")
    assert card["answer"] == "yes" and before.passed
    (test,) = card["alt_test"]
    assert test["winning_rate"] == before.winning_rate and test["n_decisive"] == test["n_items"] == 90
    assert "the judge was decisive on all 90 comparisons tested" in card["conclusion"]
    assert card["agreement"]["accuracy"] == report["judges"][0]["against_majority"]["accuracy"]
    assert card["agreement"]["no_verdict"] == 0


# ------------------------------------------------------------------------------------------ finding 3


def test_empty_responses_are_said_only_where_a_run_left_them_out() -> None:
    texts = _texts(empty=(1, 2))
    judged = _verdicts([_verdict(i + 1, _truth(i), "ok") for i in range(N)])  # an imported run judged them
    report = _report(judged, texts)
    assert report["counts"]["empty_responses"]["n"] == 2 and report["counts"]["empty_responses"]["left_out"] == {}
    assert "empty" not in format_report(report)
    assert "a response was empty" not in card_text(judge_report_card(report))
    refused = judged.assign(
        verdict=judged["verdict"].where(~judged["comparison_id"].isin([1, 2])),
        status=judged["status"].where(~judged["comparison_id"].isin([1, 2]), "error"),
    )
    report = _report(refused, texts)
    said = (
        "2 comparisons left out of the judge's figures: a response was empty (m-a: 1, m-b: 1); the judge refused "
        "them (run 7: 2), so an empty answer is counted as no loss there"
    )
    assert said in format_report(report)
    assert said in card_text(judge_report_card(report))
    # a refusal is not judged: it is left out of the headline accuracy, not counted as wrong
    assert report["judges"][0]["against_majority_unparsed_as_wrong"]["n"] == N - 2


# ------------------------------------------------------------------------------------------ findings 7 and 8


def test_every_interval_says_its_level_and_alpha_leaves_the_alt_test_alone() -> None:
    verdicts = _verdicts([_verdict(i + 1, _other(_truth(i)) if i % 4 == 0 else _truth(i), "ok") for i in range(N)])
    usual, loose = _report(verdicts), _report(verdicts, alpha=0.5)
    assert usual["judges"][0]["against_majority"]["accuracy_ci95"]["level"] == 0.95
    assert loose["judges"][0]["against_majority"]["accuracy_ci95"]["level"] == 0.5
    assert loose["settings"]["confidence"] == 0.5 and loose["settings"]["alt_test_fdr"] == 0.05
    assert loose["judges"][0]["alt_test"][0]["alpha"] == usual["judges"][0]["alt_test"][0]["alpha"] == 0.05
    text = format_report(loose)
    assert "(50% CI)" in text and "95% CI" not in text.split("per label over time")[0]
    assert "; 50% CI): people " in text and "FDR level 0.05" in text
    markdown = card_markdown(judge_report_card(usual))
    assert "(95% CI)" in markdown and "people: majority; 95% CI):" in markdown


def test_the_judge_only_caveat_says_what_it_compares() -> None:
    """A judge that always lets m-a win: its own win rate of m-a lies far from the corrected one."""
    sides = _texts()[["model1", "model2"]].to_numpy()
    said = ["1" if a == "m-a" else "2" if b == "m-a" else _truth(i) for i, (a, b) in enumerate(sides)]
    verdicts = _verdicts([_verdict(i + 1, v, "ok") for i, v in enumerate(said)])
    (card,) = judge_report_card(_report(verdicts))["judges"]
    (caveat,) = [c for c in card["caveats"] if c.startswith("judge-only win-rate estimate of ")]
    # every comparison here is labelled: the corrected interval is the people-only one, named so (s18 dashclean)
    assert "lies outside the people-only interval (a point estimate beside the other estimator's interval" in caveat
    assert "misjudges" not in caveat


# ------------------------------------------------------------------------------------------ finding 9


def test_dawid_skene_gives_no_quality_for_a_single_annotator() -> None:
    labels = _labels(people=("solo",))
    (quality,) = dawid_skene(labels).annotators
    assert quality.accuracy is None and quality.note == DS_ONE_ANNOTATOR
    inputs = ReportInputs(
        "edge", _texts(), labels, _verdicts([_verdict(1, "1", "ok")]), [JudgeRun(7, "j", "pandalm", "k", {})]
    )
    card = judge_report_card(report_dict(build_report(inputs, ReportOptions(n_bootstrap=0))))
    markdown = card_markdown(card)
    assert "| solo | n/a | n/a |" in markdown and "1.000" not in markdown.split("Estimated annotator quality")[1][:200]
    assert f"- dawid-skene n/a for solo: {DS_ONE_ANNOTATOR}" in markdown
    two = dawid_skene(_labels(people=("h1", "h2")))
    assert all(q.accuracy is not None and q.note is None for q in two.annotators)
