"""Session 15, reviewBfix: defects 1-6 of the session 15 review of the statistics, import and CLI changes.

1. A suite dataset imported before s15 (the preferred response first in every pair) is refused by the checkup and
   a refused re-import says why, naming `judge-studio datasets delete NAME`.
2. The Dashboard keeps its headline for a judge that gave no decisive verdict at all (accuracy 0.000).
3. The empty_response rule's verdicts count in accuracy, not in the judge's position / length / response-1 bias.
4. The position p stands beside the pairs it was tested over; no pair judged in both orders: no test, no "p=1.000".
5. `import` without --format on an MT-Bench .jsonl names mtbench-questions / mtbench-answers / mtbench-reference.
6. Ctrl-C says only the running command's note, not those of earlier commands of the same process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analysis import build_report, judge_report_card, report_dict
from analysis.bias import NO_PAIR_TEST, swap_consistency
from analysis.report import JudgeRun, ReportInputs, ReportOptions
from analysis.report_text import format_report
from annotation_store import NewVerdict, Store, StoreError

NAN = float("nan")
DEMO = "judge-studio-demo"


# ------------------------------------------------------------------------------------------ defect 1


def _old_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The importer as it was before s15: the preferred response first, label "1", in every pair."""
    from interchange import evalbiasbench, hhh_alignment

    def first(key: str, better: str, other: str, models: tuple[str, str] = ("a", "b")) -> Any:
        return (models[0], better), (models[1], other), "1"

    monkeypatch.setattr(hhh_alignment, "placed", first)
    monkeypatch.setattr(evalbiasbench, "placed", first)


def test_an_old_suite_dataset_is_refused_with_the_way_out(
    store: Store, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interchange.hhh_alignment import import_hhh_alignment
    from orchestration.checkup import SUITES, ensure_suite_dataset

    path = shared_data / "hhh_alignment" / "hhh_alignment_eval.json"
    with monkeypatch.context() as patched:
        _old_layout(patched)
        import_hhh_alignment(store, path)
    with pytest.raises(StoreError) as checkup:
        ensure_suite_dataset(store, SUITES["hhh"], shared_data)
    said = str(checkup.value)
    assert "put the preferred response first in all" in said and "scores 1.000" in said
    assert "`judge-studio datasets delete hhh-alignment`" in said
    with pytest.raises(StoreError) as again:
        import_hhh_alignment(store, path)
    assert "already imported" in str(again.value)
    assert "the importer now places the two sides by a hash of the prompt key" in str(again.value)
    assert "`judge-studio datasets delete hhh-alignment`" in str(again.value)


def test_a_current_suite_dataset_is_used_as_it_is(store: Store, shared_data: Path) -> None:
    from interchange.evalbiasbench import import_evalbiasbench
    from orchestration.checkup import SUITES, ensure_suite_dataset

    path = shared_data / "evalbiasbench" / "biasbench.json"
    import_evalbiasbench(store, path)
    assert ensure_suite_dataset(store, SUITES["evalbiasbench"], shared_data) is False
    with pytest.raises(StoreError) as again:  # refused as before, without the old-layout note
        import_evalbiasbench(store, path)
    assert "already imported" in str(again.value) and "datasets delete" not in str(again.value)


# ------------------------------------------------------------------------------------------ defect 2


def test_the_dashboard_keeps_its_headline_when_no_verdict_was_decisive(db_path: Path) -> None:
    import gradio as gr
    from gradio_ids import by_id, handler

    from orchestration import Settings, Studio

    studio = Studio.open(Settings(home=db_path.parent))
    studio.store.create_annotator("rita", role="reviewer", password="rita-pass-1")
    run = studio.store.ensure_judge_run("mute-judge", {"model": "mute-judge", "profile": "pandalm"})
    for comparison in [int(i) for i in studio.store.comparison_table(DEMO)["id"]][:20]:
        for person in ("ann", "bob"):
            studio.store.save_label(comparison, person, "1")
        studio.store.save_verdict(run, NewVerdict(comparison, None, "unparsed"))
    from ui import build_ui

    shown = by_id(handler(build_ui(studio), "dashboard")(DEMO, run, gr.Request(username="rita")))
    summary = str(shown["dashboard-summary"])
    assert "Human vs judge against people's majority label over **" in summary
    assert "accuracy **0.000**" in summary and "none was decisive" in summary
    assert "Cohen's κ **n/a**, macro F1 **n/a**" in summary


# ------------------------------------------------------------------------------------------ defects 3 and 4


def _texts(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": list(range(1, n + 1)),
            "prompt": [f"p{i}" for i in range(n)],
            "category": "c",
            "model1": "m-a",
            "model2": "m-b",
            "response1": [f"a long first answer number {i} " * 3 for i in range(n)],
            "response2": [f"short {i}" for i in range(n)],
        }
    )


def _labels(n: int) -> pd.DataFrame:
    rows = [(i, person, "1", pd.Timestamp("2026-01-01"), "m-a", "m-b") for i in range(1, n + 1) for person in "xyz"]
    return pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict", "updated_at", "model1", "model2"])


def _report(verdicts: pd.DataFrame, n: int) -> dict[str, Any]:
    inputs = ReportInputs("edge", _texts(n), _labels(n), verdicts, [JudgeRun(7, "j", "pandalm", "k", {})])
    return report_dict(build_report(inputs, ReportOptions(n_bootstrap=0)))


def _frame(rows: list[tuple[int, bool, str, bool]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(7, c, swapped, v, "ok", NAN, NAN, NAN, by_rule) for c, swapped, v, by_rule in rows],
        columns=["run_id", "comparison_id", "swapped", "verdict", "status", "p_1", "p_2", "p_tie", "by_rule"],
    )


def test_rule_verdicts_count_in_accuracy_but_not_in_the_bias_figures() -> None:
    """10 comparisons the judge judged in both orders (consistent, "2" in both: the shorter), 30 decided by the
    empty_response rule ("1": the non-empty, longer one, in the original order only)."""
    judged = [(c, s, "2", False) for c in range(1, 11) for s in (False, True)]
    ruled = [(c, False, "1", True) for c in range(11, 41)]
    (judge,) = _report(_frame(judged + ruled), 40)["judges"]
    assert judge["against_majority"]["n"] == 40  # the rule's verdicts count in accuracy
    assert judge["position_bias"]["n_decisive"] == 20 and judge["position_bias"]["first_position_rate"] == 0.5
    assert judge["length_bias"]["n"] == 10 and judge["length_bias"]["longer_rate"] == 0.0
    # with them the judge "preferred the longer response" in 30 of 40 and the first shown in 40 of 60
    (judge_all,) = _report(_frame(judged + [(c, s, v, False) for c, s, v, _ in ruled]), 40)["judges"]
    assert judge_all["length_bias"]["n"] == 40 and judge_all["position_bias"]["n_decisive"] == 50


def test_the_empty_response_line_says_the_rule_is_out_of_the_bias_figures() -> None:
    from analysis.report_text import empty_responses_text

    counts = {"empty_responses": {"n": 2, "by_model": {"m-a": 2}, "by_rule": {"7": 2}, "left_out": {}}}
    assert empty_responses_text(counts).endswith(
        "in run 7: 2; these count in accuracy and the rankings but not in the judge's position, length or "
        "response-1 bias figures (the judge never saw them)"
    )


def test_no_pair_in_both_orders_is_no_test_not_p_one() -> None:
    """Comparisons 1-10 judged in the original order only, 11-20 in the swapped order only: no pair."""
    rows = [(c, False, "1", False) for c in range(1, 11)] + [(c, True, "1", False) for c in range(11, 21)]
    swap = swap_consistency(_frame(rows))
    assert swap.n_pairs == 0 and swap.n_decisive == 20 and swap.first_position_p_value is None and swap.test is None
    report = _report(_frame(rows), 20)
    assert NO_PAIR_TEST in format_report(report)
    from ui.card_document import card_markdown

    markdown = card_markdown(judge_report_card(report))
    assert f"of 20 decisive verdicts; {NO_PAIR_TEST}." in markdown and "p = –" not in markdown
    from analysis.bias import LengthBias, judge_bias
    from analysis.report import JUDGE
    from ui.plots import _position_note

    note = _position_note(judge_bias(JUDGE, swap, LengthBias(0, None, None)))
    assert note == f"n=20, {NO_PAIR_TEST}" and "p=" not in note


def test_the_position_p_stands_beside_the_pairs_it_tested() -> None:
    """10 pairs first-first, 2 second-second, 8 consistent: 40 decisive verdicts, the sign test over 12 pairs."""
    rows = []
    for c in range(1, 21):
        first, second = ("1", "2") if c <= 10 else ("2", "1") if c <= 12 else ("1", "1")
        rows += [(c, False, first, False), (c, True, second, False)]
    swap = swap_consistency(_frame(rows))
    from analysis.bias import LengthBias, judge_bias
    from analysis.report import JUDGE
    from ui.plots import _position_note

    note = _position_note(judge_bias(JUDGE, swap, LengthBias(0, None, None)))
    assert note == f"n=40, p={swap.first_position_p_value:.3f} (sign test over 12 pairs)"
    from ui.card_document import card_markdown

    markdown = card_markdown(judge_report_card(_report(_frame(rows), 20)))
    assert (
        f"of 40 decisive verdicts; p = {swap.first_position_p_value:.3f} (exact sign test on the 12 pairs whose "
        "verdict follows the position: 10 first-first vs 2 second-second)."
    ) in markdown


# ------------------------------------------------------------------------------------------ defect 5


def _jsonl(path: Path, record: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def _said(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    from cli import main

    with pytest.raises(SystemExit) as ended:
        main(argv)
    return str(ended.value.code) + capsys.readouterr().err


def test_import_without_format_names_the_mtbench_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUDGE_STUDIO_HOME", str(tmp_path / "home"))
    answer = {"question_id": 81, "answer_id": "x", "model_id": "m", "choices": [{"index": 0, "turns": ["a"]}]}
    questions = _jsonl(tmp_path / "question.jsonl", {"question_id": 81, "category": "writing", "turns": ["Hi"]})
    said = _said(["import", str(questions)], capsys)
    assert (
        "question.jsonl looks like MT-Bench questions (question.jsonl): import it with --format mtbench-questions"
        in (said)
    )
    assert "nothing was imported" in said and "no column for instruction" not in said
    said = _said(["import", str(_jsonl(tmp_path / "model_answer" / "m.jsonl", answer))], capsys)
    assert "m.jsonl looks like MT-Bench answers: import it with --format mtbench-answers (" in said
    said = _said(["import", str(_jsonl(tmp_path / "reference_answer" / "gpt-4.jsonl", answer))], capsys)
    assert "import it with --format mtbench-reference (" in said
    from cli.data import import_format

    assert import_format(str(questions), None, mapped=True) == "jsonl"  # --map given: the table import, as asked
    table = _jsonl(tmp_path / "pairs.jsonl", {"instruction": "i", "response1": "a", "response2": "b"})
    assert import_format(str(table), None) == "jsonl"


# ------------------------------------------------------------------------------------------ defect 6


def test_ctrl_c_says_only_this_commands_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import cli
    from cli.commands import said_on_ctrl_c

    said_on_ctrl_c(lambda: "12 verdicts of an earlier command were stored.")
    monkeypatch.setenv("JUDGE_STUDIO_HOME", str(tmp_path / "home"))
    _said(["import", str(tmp_path / "missing.jsonl")], capsys)  # a second command in the same process

    class Ended(Exception):
        pass

    def ended(code: int) -> None:
        raise Ended(code)

    monkeypatch.setattr(cli.os, "_exit", ended)
    monkeypatch.setattr(cli.signal, "signal", lambda *_: None)
    with pytest.raises(Ended):
        cli._interrupted()
    line = capsys.readouterr().err
    assert "judge-studio: interrupted." in line and "earlier command" not in line
