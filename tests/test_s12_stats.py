"""Session 12, task "stats": the statistics gaps the s11 researcher named.

1. One standard error: the JSON's win-rate ``standard_error`` is the SE the printed people-only interval uses
   (ppi_py's CLT interval, ddof 0), so the interval is win_rate ± z·standard_error.
2. "Borderline" (interval without 0.5, sign test orders nothing) is in the report itself (``people.borderline``):
   the text, ``--json``, the report card and the Dashboard say it from there.
3. The "win rates three ways" figure says why a series is missing (a judge without a decisive verdict).
4. Judge versions split runs of one model that differ in quantization or decoding, each named so a reader
   tells them apart, and each comparison counts once per version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import binomtest, norm

from analysis import format_report, judge_report_card
from annotation_store import NewVerdict
from orchestration import Settings, Studio
from orchestration.dashboard import ReportCache, build_dashboard
from orchestration.metrics import metrics_report
from ui.card_document import card_markdown, card_text, corrected_figure
from ui.dashboard import summary_markdown

DATASET = "ckpts"
COIN_FLIP = (0.46, 0.46, 0.08)  # top two 0 apart: uncertain at the default margin
GREEDY = {"max_new_tokens": 512, "num_beams": 1, "repetition_penalty": 1.0, "do_sample": False}

pytestmark = pytest.mark.usefixtures("fresh_dashboard_caches")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    return Studio.open(Settings(home=db_path.parent))


def _checkpoints(studio: Studio, winners: list[str | None], *, uncertain_judge: bool = False) -> int:
    """Two checkpoints compared on ``len(winners)`` prompts; one person's label per comparison (the winner,
    None a tie) and a judge run saying the same (or, ``uncertain_judge``, a coin flip on every one).
    Returns the run id."""
    store = studio.store
    prompts = [
        {"id": f"p{i}", "instruction": f"Q{i}?", "responses": {"ckpt-A": f"a{i}", "ckpt-B": f"b{i}"}}
        for i in range(len(winners))
    ]
    data = {"name": DATASET, "models": [{"name": "ckpt-A"}, {"name": "ckpt-B"}], "prompts": prompts}
    assert store.seed_dataset(data, pairs_per_prompt=1)
    run = store.ensure_judge_run("j", {"model": "j", "profile": "pandalm"})
    for (_, row), winner in zip(store.comparison_table(DATASET).iterrows(), winners, strict=True):
        verdict = "tie" if winner is None else ("1" if row["model1"] == winner else "2")
        store.save_label(int(row["id"]), "ann", verdict, presented_swapped=False)
        p = COIN_FLIP if uncertain_judge else (None, None, None)
        store.save_verdict(run, NewVerdict(int(row["id"]), verdict, "ok", p_1=p[0], p_2=p[1], p_tie=p[2]))
    return run


S11_RESEARCHER = ["ckpt-B"] * 14 + ["ckpt-A"] * 5 + [None]  # 20 labels: p = 0.064, the interval leaves out 0.5


# ------------------------------------------------------------------------------ 1. one standard error


def test_the_printed_people_only_interval_is_win_rate_plus_minus_z_standard_error(studio: Studio) -> None:
    """The s11 researcher's 20 labels: the JSON said SE 0.0992 (pandas' sem, ddof 1) while the printed interval
    used 0.0967 (ppi_py, ddof 0), 2.6% apart. Now the JSON's SE is the interval's."""
    _checkpoints(studio, S11_RESEARCHER)
    report = metrics_report(studio.store, DATASET, n_bootstrap=0, baseline="ckpt-A")
    (row,) = report["people"]["win_rate"]
    assert (row["model"], row["n"], row["win_rate"]) == ("ckpt-B", 20, pytest.approx(0.725))
    scores = [1.0] * 14 + [0.0] * 5 + [0.5]
    assert row["standard_error"] == pytest.approx(float(np.std(scores)) / 20**0.5)  # ddof 0
    z = norm.ppf(1 - report["settings"]["alpha"] / 2)
    low, high = row["win_rate"] - z * row["standard_error"], row["win_rate"] + z * row["standard_error"]
    text = format_report(report)
    assert f"people {row['win_rate']:.3f} [{low:.3f}, {high:.3f}]" in text  # "people 0.725 [0.535, 0.915]"
    people = report["judges"][0]["corrected"]["against_baseline"][0]["people"]
    assert (people["low"], people["high"]) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))
    assert "ddof 0" in report["settings"]["win_rate_rule"] and "ppi_py" in report["settings"]["win_rate_rule"]


# ------------------------------------------------------------------------------ 2. borderline, one place


def test_borderline_is_in_the_json_and_the_text_card_and_dashboard_say_it(studio: Studio) -> None:
    run = _checkpoints(studio, S11_RESEARCHER)
    report = metrics_report(studio.store, DATASET, n_bootstrap=0, baseline="ckpt-A")
    (entry,) = report["people"]["borderline"]
    z = norm.ppf(0.975)
    se = report["people"]["win_rate"][0]["standard_error"]
    assert entry == {
        "model": "ckpt-B",
        "opponent": "ckpt-A",
        "wins": 14,
        "losses": 5,
        "ties": 1,
        "estimate": pytest.approx(0.725),
        "low": pytest.approx(0.725 - z * se),
        "high": pytest.approx(0.725 + z * se),
        "sign_test_p": pytest.approx(binomtest(14, 19, 0.5).pvalue),  # Holm over 1 pair test: unchanged
        "adjusted": True,  # s15: the partial order's p is Holm-adjusted
        # s16: the pair's own p and the family; not significant even on its own, so not a multiplicity case
        "own_p": pytest.approx(binomtest(14, 19, 0.5).pvalue),
        "tests": 1,
        "only_holm": False,
    }
    assert entry["sign_test_p"] > report["settings"]["alpha"] and report["settings"]["borderline_rule"]
    said = "Borderline: ckpt-B vs ckpt-A (14 wins, 5 losses, 1 tie): the people-only win rate's interval 0.725 ["
    assert f"  {said}" in format_report(report)
    assert "finds no significant difference (Holm-adjusted p = 0.064)" in format_report(report)

    card = judge_report_card(report)
    assert card["borderline"] == report["people"]["borderline"]
    assert said in card_text(card)
    assert "Borderline: ckpt\\-B vs ckpt\\-A (14 wins, 5 losses, 1 tie)" in card_markdown(card)  # names escaped

    # the Dashboard has no baseline here (the two checkpoints alternate sides): the pair is said from the
    # side with more wins, in the same sentence
    board = build_dashboard(studio.store, DATASET, run, cache=ReportCache())
    shown = summary_markdown(board)
    assert "Borderline: ckpt" in shown and "(14 wins, 5 losses, 1 tie)" in shown
    assert "(Holm-adjusted p = 0.064)" in shown


def test_no_borderline_where_the_sign_test_orders_the_two(studio: Studio) -> None:
    _checkpoints(studio, ["ckpt-B"] * 16 + ["ckpt-A"] * 3 + [None])  # p = 0.004: an edge of the partial order
    report = metrics_report(studio.store, DATASET, n_bootstrap=0, baseline="ckpt-A")
    assert report["people"]["borderline"] == []
    assert "Borderline" not in format_report(report)
    assert "Borderline" not in card_markdown(judge_report_card(report))


# ------------------------------------------------------------------------------ 3. the "three ways" figure


def _notes(figure: Any) -> str:
    return " ".join(a.text for a in figure.layout.annotations).replace("<br>", " ")


def test_three_ways_figure_says_why_the_judge_series_is_missing(studio: Studio) -> None:
    """Every judge verdict uncertain: the figure drew people and corrected only, without a word."""
    run = _checkpoints(studio, S11_RESEARCHER, uncertain_judge=True)
    report = metrics_report(studio.store, DATASET, n_bootstrap=0, baseline="ckpt-A")
    (judge,) = judge_report_card(report, run)["judges"]
    figure = corrected_figure(judge)
    assert [trace.name for trace in figure.data] == ["people only", "corrected (PPI)"]
    assert "Judge only: not drawn: the judge has no decisive verdict on these comparisons" in _notes(figure)
    assert figure.layout.margin.t > 50  # the note stands between the title and the plot


def test_three_ways_figure_has_no_note_when_every_series_is_drawn(studio: Studio) -> None:
    run = _checkpoints(studio, S11_RESEARCHER)
    report = metrics_report(studio.store, DATASET, n_bootstrap=0, baseline="ckpt-A")
    (judge,) = judge_report_card(report, run)["judges"]
    figure = corrected_figure(judge)
    assert [trace.name for trace in figure.data] == ["people only", "judge only", "corrected (PPI)"]
    assert _notes(figure) == ""


# ------------------------------------------------------------------------------ 4. judge versions


def _fingerprint(quantization: str, decoding: dict[str, Any] = GREEDY) -> dict[str, Any]:
    return {
        "model": "SmolLM2-135M-Instruct",
        "profile": "pandalm",
        "prompt_template_hash": "dd1675b8aaaaaaaa",
        "quantization": quantization,
        "decoding": decoding,
        "verdict_mode": "generate",
        "seed": 0,
    }


def test_runs_of_one_model_differing_only_in_quantization_are_two_versions(studio: Studio) -> None:
    store = studio.store
    ids = [int(i) for i in store.comparison_table("judge-studio-demo")["id"]][:6]
    for comparison_id in ids:
        store.save_label(comparison_id, "ann", "1", presented_swapped=False)
    nf4 = store.ensure_judge_run("nf4-key", _fingerprint("nf4"))
    full = store.ensure_judge_run("none-key", _fingerprint("none"))
    for comparison_id in ids:  # both runs judge every comparison: NF4 right on all, unquantized on four
        store.save_verdict(nf4, NewVerdict(comparison_id, "1", "ok"))
        store.save_verdict(full, NewVerdict(comparison_id, "1" if comparison_id in ids[:4] else "2", "ok"))
    report = metrics_report(store, "judge-studio-demo", n_bootstrap=0)
    versions = {v["version"]: v for v in report["judge_versions"]["versions"]}
    name = "pandalm (template dd1675b8) on SmolLM2-135M-Instruct"
    assert set(versions) == {f"{name} (nf4, greedy)", f"{name} (not quantized, greedy)"}
    first, second = versions[f"{name} (nf4, greedy)"], versions[f"{name} (not quantized, greedy)"]
    assert [r["run_id"] for r in first["runs"]] == [nf4] and [r["run_id"] for r in second["runs"]] == [full]
    # each comparison once per version (pooled, six comparisons read as twelve)
    assert first["against_majority"]["n"] == 6 and first["against_majority"]["accuracy"] == pytest.approx(1.0)
    assert second["against_majority"]["n"] == 6 and second["against_majority"]["accuracy"] == pytest.approx(4 / 6)
    assert (first["setup"], first["quantization"], first["decoding"]) == ("nf4, greedy", "nf4", GREEDY)
    assert second["accuracy_change_from_previous"] is None  # another setup, not a new prompt version
    text = format_report(report)
    assert f"  {name} (nf4, greedy): accuracy 1.000" in text and "(n=6); run " in text
    assert f"  {name} (not quantized, greedy): accuracy 0.667" in text and f"runs {nf4}, {full}" not in text
    assert "judge model + quantization and decoding" in text


def test_a_version_alone_keeps_its_name_and_decoding_differences_are_named(studio: Studio) -> None:
    from types import SimpleNamespace

    import pandas as pd

    from analysis.judge_versions import judge_versions
    from analysis.verdicts import LABELS

    table = pd.DataFrame(0, index=list(LABELS), columns=list(LABELS))
    agreement = SimpleNamespace(confusion=table, n=0, accuracy=None, cohen_kappa=None)

    def run(run_id: int, fingerprint: dict[str, Any]) -> SimpleNamespace:
        judged = SimpleNamespace(
            run_id=run_id, model="SmolLM2-135M-Instruct", profile="pandalm", fingerprint=fingerprint
        )
        return SimpleNamespace(run=judged, against_majority=agreement, per_vote=agreement)

    (alone,) = judge_versions([run(1, _fingerprint("nf4"))])
    assert (
        alone["version"] == "pandalm (template dd1675b8) on SmolLM2-135M-Instruct" and alone["setup"] == "nf4, greedy"
    )
    beams = {**GREEDY, "num_beams": 4, "max_new_tokens": 256}
    names = [v["version"] for v in judge_versions([run(1, _fingerprint("nf4")), run(2, _fingerprint("nf4", beams))])]
    assert names == [
        "pandalm (template dd1675b8) on SmolLM2-135M-Instruct (nf4, greedy, up to 512 new tokens)",
        "pandalm (template dd1675b8) on SmolLM2-135M-Instruct (nf4, beam search (4 beams), up to 256 new tokens)",
    ]
