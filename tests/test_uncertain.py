"""An honest "uncertain" outcome (issue 14): a verdict whose top two probabilities lie closer than the
margin is shown and counted as uncertain — not a win, not a tie, not unparsed — in agreement, win
tables, rankings, bias, the report's JSON and text, the dashboard and every export; decided when the
rows are read, so a new margin needs no re-judging; runs without probabilities are unaffected.

Verdicts are written through the store as the app writes them (constrained verdicts carry p_1, p_2,
p_tie); the figures are read back from the report, the dashboard, the exports and the CLI.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from analysis import format_report, human_judge_agreement, verdict_that_counts, win_table
from analysis.bias import swap_consistency
from analysis.defaults import UNCERTAIN_MARGIN
from analysis.verdicts import UNCERTAIN, combine_orders, outcome, with_outcomes
from annotation_store import NewVerdict, Store
from interchange.exporters import dpo_pairs, export, items_wide, labels_long
from orchestration.dashboard import REPORT_CACHE, build_dashboard
from orchestration.metrics import margin_setting, metrics_report
from settings import Settings
from settings.table import BY_NAME

DEMO = "judge-studio-demo"
COIN_FLIP = {"1": 0.46, "2": 0.46, "tie": 0.08}
CLEAR = {"1": 0.1, "2": 0.8, "tie": 0.1}


# ------------------------------------------------------------------------------------- one verdict


def test_one_verdicts_outcome() -> None:
    assert outcome("1", "ok", COIN_FLIP) == UNCERTAIN  # p(1) 0.46, p(2) 0.46: a coin flip, not "Response 1"
    assert outcome("2", "ok", CLEAR) == "2"
    assert outcome("1", "ok", None) == "1"  # no probabilities: never uncertain
    assert outcome(None, "unparsed", None) == "unparsed"  # no verdict stays unparsed, never uncertain
    assert outcome("tie", "ok", {"1": 0.3, "2": 0.3, "tie": 0.4}) == "tie"  # the top two are tie and 1: 0.1 apart
    assert outcome("1", "ok", COIN_FLIP, margin=0.0) == "1"  # margin 0 turns the rule off
    assert outcome("2", "ok", CLEAR, margin=0.75) == UNCERTAIN  # 0.8 - 0.1 = 0.7 < 0.75
    assert 0 < UNCERTAIN_MARGIN < 0.5


def test_the_setting_is_the_statistics_default() -> None:
    # the settings table states the number (a Settings attribute must not import the statistics at start-up)
    assert BY_NAME["uncertain_margin"].value() == Settings().uncertain_margin == UNCERTAIN_MARGIN
    assert BY_NAME["uncertain_margin"].source == "analysis.defaults.UNCERTAIN_MARGIN"


# ------------------------------------------------------------------------------- plain frames


def _frame(rows: list[tuple[int, str | None, str, dict[str, float] | None]], swapped: bool = False) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "comparison_id": cid,
                "run_id": 1,
                "swapped": swapped,
                "verdict": verdict,
                "status": status,
                "p_1": p["1"] if p else None,
                "p_2": p["2"] if p else None,
                "p_tie": p["tie"] if p else None,
            }
            for cid, verdict, status, p in rows
        ]
    )


def test_agreement_and_win_table_count_uncertain_apart() -> None:
    verdicts = _frame([(1, "1", "ok", COIN_FLIP), (2, "2", "ok", CLEAR), (3, None, "unparsed", None)])
    labels = pd.DataFrame({"comparison_id": [1, 2, 3], "annotator": "ann", "verdict": ["1", "2", "1"]})
    counted = verdict_that_counts(verdicts)
    assert counted.set_index("comparison_id")["status"].to_dict() == {1: UNCERTAIN, 2: "ok", 3: "unparsed"}
    assert counted.set_index("comparison_id").at[1, "leaning"] == "1"  # the UI can say "leaning Response 1"
    agreement = human_judge_agreement(labels, counted)
    # before: n=2 with the coin flip counted as a correct "1"; now it is neither right nor wrong
    assert (agreement.n, agreement.judge_uncertain, agreement.judge_unparsed) == (1, 1, 1)
    assert int(agreement.confusion.to_numpy().sum()) == 1
    models = pd.DataFrame({"model1": ["a", "a"], "model2": ["b", "b"]})
    outcomes = models.assign(verdict=[UNCERTAIN, "2"])
    assert win_table(outcomes).to_dict("records") == [
        {"model_a": "a", "model_b": "b", "wins_a": 0, "wins_b": 1, "ties": 0, "uncertain": 1}
    ]


def test_without_probabilities_nothing_changes() -> None:
    verdicts = _frame([(1, "1", "ok", None), (2, "2", "ok", None), (3, "tie", "ok", None)])
    applied = with_outcomes(verdicts)
    assert applied["verdict"].tolist() == ["1", "2", "tie"] and set(applied["status"]) == {"ok"}
    labels = pd.DataFrame({"comparison_id": [1, 2, 3], "annotator": "ann", "verdict": ["1", "2", "2"]})
    agreement = human_judge_agreement(labels, verdict_that_counts(verdicts))
    assert (agreement.n, agreement.accuracy, agreement.judge_uncertain) == (3, pytest.approx(2 / 3), 0)


def test_both_orders_uncertain_in_either_order_is_uncertain_and_not_a_position_vote() -> None:
    original = _frame(
        [(1, "1", "ok", {"1": 0.9, "2": 0.05, "tie": 0.05}), (2, "1", "ok", CLEAR | {"1": 0.8, "2": 0.1})]
    )
    swapped = _frame([(1, "1", "ok", COIN_FLIP), (2, "1", "ok", {"1": 0.7, "2": 0.2, "tie": 0.1})], swapped=True)
    both = pd.concat([original, swapped], ignore_index=True)
    combined = combine_orders(both).set_index("comparison_id")
    assert combined.loc[1, "status"] == UNCERTAIN and combined.loc[1, "verdict"] is None
    assert (combined.loc[2, "status"], combined.loc[2, "verdict"]) == ("ok", "1")
    swap = swap_consistency(both)
    # the coin flip is neither consistent nor inconsistent: one pair is compared, one verdict left out
    assert (swap.n_pairs, swap.consistency, swap.n_uncertain, swap.n_decisive) == (1, 1.0, 1, 3)


# ---------------------------------------------------------------------- through the store


@dataclass(frozen=True)
class Judged:
    store: Store
    coin: int  # comparison whose verdict is a coin flip (p 0.46 / 0.46)
    clear: int  # comparison with a clear verdict (p 0.1 / 0.8)
    plain: int  # comparison judged only by the run without probabilities
    with_p: int  # run id: a constrained judge that stores probabilities
    without_p: int  # run id: a judge that stores none


@pytest.fixture
def judged(store: Store) -> Iterator[Judged]:
    """Two runs on three demo comparisons labelled by one person: run "constrained" stores probabilities
    (one coin flip saying "1", one clear "2"), run "generated" gives the same verdicts without any."""
    REPORT_CACHE.clear()
    ids = store.comparison_table(DEMO)["id"].astype(int).tolist()[:3]
    coin, clear, plain = ids
    for comparison, verdict in ((coin, "1"), (clear, "2"), (plain, "1")):
        store.save_label(comparison, "ann", verdict)
    with_p = store.ensure_judge_run("constrained", {"model": "constrained", "profile": "pandalm"})
    without_p = store.ensure_judge_run("generated", {"model": "generated", "profile": "pandalm"})
    for comparison, verdict, p in ((coin, "1", COIN_FLIP), (clear, "2", CLEAR)):
        store.save_verdict(with_p, NewVerdict(comparison, verdict, "ok", p_1=p["1"], p_2=p["2"], p_tie=p["tie"]))
    for comparison, verdict in ((coin, "1"), (clear, "2"), (plain, "1")):
        store.save_verdict(without_p, NewVerdict(comparison, verdict, "ok"))
    yield Judged(store, coin, clear, plain, with_p, without_p)
    REPORT_CACHE.clear()


def _judge(report: dict, run_id: int) -> dict:
    return next(j for j in report["judges"] if j["run_id"] == run_id)


def test_report_json_and_text_show_uncertain(judged: Judged) -> None:
    report = metrics_report(judged.store, DEMO, n_bootstrap=5)
    assert report["settings"]["uncertain_margin"] == UNCERTAIN_MARGIN
    run = _judge(report, judged.with_p)
    assert run["verdicts"]["status"] == {"ok": 1, UNCERTAIN: 1}
    assert run["verdicts"]["distribution"] == {"1": 0, "2": 1, "tie": 0}  # the coin flip is not a "1"
    assert (run["verdicts"]["n_uncertain"], run["verdicts"]["uncertain_leaning"]["1"]) == (1, 1)
    versus = run["against_majority"]
    assert (versus["n"], versus["judge_uncertain"], versus["judge_unparsed"], versus["accuracy"]) == (1, 1, 0, 1.0)
    table = run["win_table"]
    assert sum(r["uncertain"] for r in table) == 1 and sum(r["wins_a"] + r["wins_b"] + r["ties"] for r in table) == 1
    assert run["n_uncertain"] == 1 and run["length_bias"]["n_uncertain"] == 1
    text = format_report(report)
    assert "2 verdicts, 0 unparsed, 1 uncertain" in text and "1 leans to response 1;" in text

    plain = _judge(report, judged.without_p)  # no probabilities: every verdict counts, as before
    assert plain["verdicts"]["status"] == {"ok": 3} and plain["verdicts"]["n_uncertain"] == 0
    assert (plain["against_majority"]["n"], plain["against_majority"]["judge_uncertain"]) == (3, 0)
    assert all("uncertain" not in r for r in plain["win_table"])  # the published tables keep their columns


def test_the_margin_changes_outcomes_without_rejudging(judged: Judged, monkeypatch: pytest.MonkeyPatch) -> None:
    stored = judged.store.judge_verdicts(DEMO)
    off = _judge(metrics_report(judged.store, DEMO, n_bootstrap=5, uncertain_margin=0.0), judged.with_p)
    assert off["verdicts"]["status"] == {"ok": 2} and off["against_majority"]["n"] == 2
    strict = _judge(metrics_report(judged.store, DEMO, n_bootstrap=5, uncertain_margin=0.75), judged.with_p)
    assert strict["verdicts"]["status"] == {UNCERTAIN: 2} and strict["against_majority"]["n"] == 0
    monkeypatch.setenv("JUDGE_STUDIO_UNCERTAIN_MARGIN", "0")
    assert margin_setting() == 0.0
    assert _judge(metrics_report(judged.store, DEMO, n_bootstrap=5), judged.with_p)["verdicts"]["n_uncertain"] == 0
    assert build_dashboard(judged.store, DEMO, judged.with_p).counts["uncertain"] == 0

    monkeypatch.delenv("JUDGE_STUDIO_UNCERTAIN_MARGIN")
    board = build_dashboard(judged.store, DEMO, judged.with_p)
    assert (board.counts["uncertain"], board.counts["unparsed"], board.agreement.judge_uncertain) == (1, 0, 1)
    assert build_dashboard(judged.store, DEMO, judged.with_p, margin=0.0).counts["uncertain"] == 0
    pd.testing.assert_frame_equal(judged.store.judge_verdicts(DEMO), stored)  # nothing was re-judged or rewritten


def test_the_dashboard_says_how_many_labels_sit_on_uncertain_verdicts(judged: Judged) -> None:
    from ui.dashboard import summary_markdown

    text = summary_markdown(build_dashboard(judged.store, DEMO, judged.with_p))
    assert "per label (each person's label on its own) over **1** label (1 uncertain left out): accuracy" in text
    plain = summary_markdown(build_dashboard(judged.store, DEMO, judged.without_p))
    assert "uncertain" not in plain


def test_exports_carry_outcome_and_probabilities(judged: Judged) -> None:
    rows = [r for r in labels_long(judged.store, DEMO, include_judges=True) if r["rater_kind"] == "judge"]
    by = {(r["run_id"], r["comparison_id"]): r for r in rows}
    coin = by[(judged.with_p, judged.coin)]
    assert (coin["verdict"], coin["status"], coin["outcome"], coin["leaning"]) == (None, UNCERTAIN, UNCERTAIN, "1")
    assert (coin["p_1"], coin["p_2"], coin["p_tie"]) == (0.46, 0.46, 0.08)
    clear = by[(judged.with_p, judged.clear)]
    assert (clear["verdict"], clear["outcome"], clear["p_2"]) == ("2", "2", 0.8)
    plain = by[(judged.without_p, judged.coin)]
    assert (plain["verdict"], plain["outcome"], plain["p_1"]) == ("1", "1", None)

    stream = io.StringIO()
    export(judged.store, DEMO, "labels", "csv", stream, include_judges=True)
    table = list(csv.DictReader(io.StringIO(stream.getvalue())))
    header = list(table[0])
    assert header[header.index("status") + 1 :][:5] == ["outcome", "leaning", "p_1", "p_2", "p_tie"]
    coin_csv = next(r for r in table if r["run_id"] == str(judged.with_p) and r["comparison_id"] == str(judged.coin))
    assert (coin_csv["outcome"], coin_csv["p_1"]) == (UNCERTAIN, "0.46")

    wide = {r["comparison_id"]: r for r in items_wide(judged.store, DEMO)}
    constrained, generated = f"judge:constrained #{judged.with_p}", f"judge:generated #{judged.without_p}"
    assert wide[judged.coin][constrained] == UNCERTAIN and wide[judged.coin][f"{constrained}:p_1"] == 0.46
    assert wide[judged.coin][generated] == "1" and f"{generated}:p_1" not in wide[judged.coin]
    pairs = dpo_pairs(judged.store, DEMO, source=str(judged.with_p)).rows
    assert [p["comparison_id"] for p in pairs] == [judged.clear]  # a coin flip is no preference to train on


def test_metrics_cli_takes_the_margin(judged: Judged, db_path: Path, monkeypatch, capsys) -> None:
    from cli import main

    monkeypatch.setenv("JUDGE_STUDIO_HOME", str(db_path.parent))
    monkeypatch.delenv("JUDGE_STUDIO_DATABASE_URL", raising=False)
    main(["metrics", "--dataset", DEMO, "--json", "--bootstrap", "5"])
    assert _judge(json.loads(capsys.readouterr().out), judged.with_p)["verdicts"]["n_uncertain"] == 1
    main(["metrics", "--dataset", DEMO, "--bootstrap", "5", "--uncertain-margin", "0"])
    text = capsys.readouterr().out
    assert "uncertain (" not in text and "Judge run" in text


def test_the_case_study_shows_an_uncertain_verdict_as_uncertain_with_its_probabilities() -> None:
    from annotation_store import VerdictView
    from ui.formatting import verdict_markdown

    coin = VerdictView(
        1, 1, "smollm2-demo", "pandalm", "1", "ok", "", "", "1", 2.0, {"1": 0.46, "2": 0.46, "tie": 0.08}
    )
    shown = verdict_markdown(coin, margin=0.1)
    assert "Uncertain: leaning to Response 1" in shown and "p(1) 0.46" in shown
    assert "Verdict: Response 1 is better" not in shown
    clear = VerdictView(1, 1, "smollm2-demo", "pandalm", "1", "ok", "", "", "1", 2.0, {"1": 0.8, "2": 0.1, "tie": 0.1})
    assert verdict_markdown(clear, margin=0.1).startswith("### Verdict: Response 1 is better")
