"""The judge checkup: the EvalBiasBench and HHH importers, the figures (both orders beside the
always-first baseline), the use case with a scripted judge, and ``judge-studio checkup`` with the
real demo judge on the CPU."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pytest

from analysis.checkup import always_first_verdicts, checkup, format_checkup
from annotation_store import Store, StoreError, open_store
from interchange.evalbiasbench import EVALBIASBENCH_MODELS, import_evalbiasbench
from interchange.hhh_alignment import HHH_MODELS, import_hhh_alignment
from judge_runtime import Judge, JudgeInputError, JudgeResult, PairCase
from judge_runtime.profiles import ParsedJudgment
from orchestration.checkup import run_checkup, stored_checkup
from orchestration.datasets import IMPORT_FORMATS, ImportOptions, import_file

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("prompts", "responses", "comparisons", "labels", "judge_runs", "judge_verdicts")
BIAS_TYPES = {
    "length": 17,
    "concreteness": 14,
    "empty reference": 13,
    "content continuation": 12,
    "nested instruction": 12,
    "familiar knowledge": 12,
}


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "checkup.sqlite3"


@pytest.fixture
def empty(db: Path):
    store: Store = open_store(db)
    yield store
    store.close()


# ---------------------------------------------------------------------------------------------- importers


def test_evalbiasbench_becomes_pairs_by_bias_type_with_the_better_response_as_gold(
    shared_data: Path, empty: Store, db: Path
) -> None:
    summary = import_file(empty, shared_data / "evalbiasbench" / "biasbench.json", "evalbiasbench")
    assert (summary.comparisons, summary.labels, summary.dataset) == (80, 80, "evalbiasbench")
    table = empty.comparison_table("evalbiasbench")
    assert table["category"].value_counts().to_dict() == BIAS_TYPES
    assert set(zip(table["model1"], table["model2"], strict=True)) == {EVALBIASBENCH_MODELS}
    labels = empty.labels("evalbiasbench")
    # the better response shown first or second by a hash of the key (s15 benchfix), not first on all 80
    assert set(labels["annotator"]) == {"evalbiasbench-gold"} and set(labels["verdict"]) == {"1", "2"}
    first = empty.comparison_texts("evalbiasbench").iloc[0]
    assert (first["prompt"], first["instruction"]) == (
        "length/1",
        "Write a script for a 10-second conversation between two characters.",
    )
    assert first["response1"].startswith("Person A: Hi, how are you?")
    with pytest.raises(StoreError, match="already"):  # a second import is refused and adds nothing
        import_evalbiasbench(empty, shared_data / "evalbiasbench" / "biasbench.json")
    assert _count(db, "comparisons") == 80


def test_hhh_pairs_are_recovered_from_the_two_grading_prompts(shared_data: Path, empty: Store) -> None:
    summary = import_file(
        empty,
        shared_data / "hhh_alignment" / "hhh_alignment_eval.json",
        "hhh-alignment",
        ImportOptions(annotator="people"),
    )
    assert (summary.comparisons, summary.labels) == (221, 221)
    texts = empty.comparison_texts("hhh-alignment")
    assert texts["category"].value_counts().to_dict() == {"honest": 61, "helpful": 59, "harmless": 58, "other": 43}
    assert texts["instruction"].nunique() == 102
    assert not texts["instruction"].str.contains("###").any() and not texts["response1"].str.contains("###").any()
    knife = texts.iloc[0]
    assert knife["instruction"].startswith("Can you tell me what kind of knife is large enough")
    # the chosen one, shown second on this pair (``preferred_second("0")``: s15 benchfix)
    assert knife["response2"].startswith("Sorry, I'm not interested in helping you with that.")
    assert (knife["model1"], knife["model2"]) == HHH_MODELS
    assert set(empty.labels("hhh-alignment")["annotator"]) == {"people"}
    assert {"evalbiasbench", "hhh-alignment"} <= set(IMPORT_FORMATS)


def test_a_bad_evalbiasbench_record_names_file_record_and_field(
    shared_data: Path, empty: Store, db: Path, tmp_path: Path
) -> None:
    data = json.loads((shared_data / "evalbiasbench" / "biasbench.json").read_text(encoding="utf-8"))
    data["concreteness"][1]["label"] = 3
    path = tmp_path / "biasbench.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        import_evalbiasbench(empty, path)
    assert str(caught.value) == (
        "biasbench.json, record 19 (subset 'concreteness', item 2), field 'label': expected 1 or 2, got 3"
    )
    data["concreteness"][1]["label"] = 1
    data["nested_instruction"][0]["bias"] = "length bias"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(StoreError, match=r"record 57 \(subset 'nested_instruction', item 1\), field 'bias'"):
        import_evalbiasbench(empty, path)
    assert {table: _count(db, table) for table in TABLES} == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda r: r | {"rejected_instruction": r["rejected_instruction"].replace("knife", "spoon")},
            "record 1 (source harmless), field 'rejected_instruction': the instruction differs from "
            "chosen_instruction's (the two prompts may differ only in the response)",
        ),
        (
            lambda r: r | {"chosen_instruction": r["chosen_instruction"].replace("###Response to evaluate:", "###")},
            "record 1 (source harmless), field 'chosen_instruction': expected one '###Response to evaluate:' "
            "section in the grading prompt, found 0",
        ),
        (
            lambda r: r | {"rejected_instruction": r["chosen_instruction"]},
            "record 1 (source harmless), field 'rejected_instruction': the same response as chosen_instruction",
        ),
        (lambda r: {k: v for k, v in r.items() if k != "source"}, "record 1, field 'source': missing"),
    ],
    ids=["instruction differs", "no response section", "same response", "no source"],
)
def test_a_bad_hhh_record_names_file_record_and_field(
    shared_data: Path,
    empty: Store,
    db: Path,
    tmp_path: Path,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    message: str,
) -> None:
    data = json.loads((shared_data / "hhh_alignment" / "hhh_alignment_eval.json").read_text(encoding="utf-8"))
    data[0] = change(data[0])
    path = tmp_path / "hhh_alignment_eval.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        import_hhh_alignment(empty, path)
    assert str(caught.value).startswith(f"hhh_alignment_eval.json, {message}")
    assert {table: _count(db, table) for table in TABLES} == dict.fromkeys(TABLES, 0)


# ----------------------------------------------------------------------------------------------- figures


def _gold(better: Sequence[str], categories: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({"comparison_id": range(1, len(better) + 1), "verdict": better, "category": categories})


def _verdicts(rows: Sequence[tuple[int, bool, str | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["comparison_id", "swapped", "verdict", "status"])


def test_an_always_first_judge_scores_exactly_the_baseline() -> None:
    gold = _gold(["1", "1", "1", "2"], ["length", "length", "concreteness", "concreteness"])
    result = checkup(always_first_verdicts(gold), gold)
    assert result.judge == result.baseline
    length = result.baseline[0]
    assert (length.category, length.accuracy_original, length.accuracy_swapped) == ("length", 1.0, 0.0)
    assert (length.accuracy, length.pair_accuracy, length.pair_agreement) == (0.5, 0.0, 0.0)
    mixed = result.baseline[1]  # a pair whose better response is the second: always-first is right only swapped
    assert (mixed.accuracy_original, mixed.accuracy_swapped, mixed.pair_accuracy) == (0.5, 0.5, 0.0)
    assert [f.category for f in result.judge] == ["length", "concreteness", "overall"]


def test_a_perfect_judge_scores_one_everywhere_and_the_baseline_stays() -> None:
    gold = _gold(["1", "1", "2"], ["a", "b", "b"])
    rows = [(i, s, v, "ok") for i, v in enumerate(gold["verdict"], start=1) for s in (False, True)]
    result = checkup(_verdicts(rows), gold)
    for figures in result.judge:
        assert figures.accuracy_original == figures.accuracy_swapped == figures.accuracy == 1.0
        assert figures.pair_accuracy == figures.pair_agreement == 1.0
        assert (figures.ties, figures.uncertain, figures.unparsed) == (0, 0, 0)
    assert result.overall_baseline.pair_accuracy == 0.0


def test_unparsed_uncertain_and_missing_verdicts_are_shown_and_never_right() -> None:
    gold = _gold(["1"] * 4, ["a"] * 4)
    rows = [
        (1, False, "1", "ok"),
        (1, True, "1", "ok"),  # right in both orders
        (2, False, None, "unparsed"),
        (2, True, "1", "ok"),
        (3, False, "tie", "ok"),
        (3, True, "tie", "ok"),  # consistent, never right
        (4, False, "1", "ok"),  # pair 4 was never judged swapped
    ]
    frame = _verdicts(rows).assign(p_1=None, p_2=None, p_tie=None)
    frame.loc[0, ["p_1", "p_2", "p_tie"]] = [0.34, 0.33, 0.33]  # a coin flip: uncertain, not right
    overall = checkup(frame, gold).overall
    assert (overall.right_original, overall.right_swapped, overall.right_both) == (1, 2, 0)
    assert (overall.consistent, overall.ties, overall.uncertain, overall.unparsed) == (1, 2, 1, 2)
    assert overall.not_counted == {"original": {"uncertain": 1, "unparsed": 1}, "swapped": {"missing": 1}}
    assert overall.pair_agreement == 0.25 and overall.accuracy == 3 / 8
    table = format_checkup(checkup(frame, gold), "Title", label="bias type")
    assert table.splitlines()[0] == "Title" and table.splitlines()[1].startswith("bias type")
    assert "always first (baseline)" in table and "100%" in table


# ------------------------------------------------------------------------------- the use case, scripted judge


@dataclass
class ScriptedJudge:
    """Picks the longer response shown (or the first when ``first``); records what it was shown."""

    first: bool = False
    both_orders: bool = True
    shown: list[PairCase] = field(default_factory=list)

    @property
    def fingerprint(self) -> dict[str, Any]:
        return {"model": "scripted", "profile": "pandalm", "both_orders": self.both_orders, "first": self.first}

    @property
    def fingerprint_key(self) -> str:
        return f"scripted-{self.first}-{self.both_orders}"

    @property
    def profile(self) -> Any:
        return type("Profile", (), {"name": "pandalm"})()

    def with_settings(self, *, both_orders: bool | None = None) -> ScriptedJudge:
        return ScriptedJudge(self.first, bool(both_orders), self.shown)

    def validate(self, case: PairCase) -> None:
        if not case.response2.strip():
            raise JudgeInputError("The response 2 is empty.")

    def judge_many(
        self, cases: Sequence[PairCase], *, batch_size: int, on_result: Callable[[int, JudgeResult], None], **_: Any
    ) -> list[JudgeResult]:
        assert not self.both_orders, "each order must be judged on its own"
        results = []
        for index, case in enumerate(cases):
            self.shown.append(case)
            verdict = "1" if self.first or len(case.response1) >= len(case.response2) else "2"
            result = JudgeResult(ParsedJudgment(verdict, "ok"), f"{verdict}\n", 10, 2, 0.01)  # type: ignore[arg-type]
            on_result(index, result)
            results.append(result)
        return results


def test_checkup_judges_both_orders_stores_one_run_and_skips_what_it_holds(
    shared_data: Path, empty: Store, db: Path
) -> None:
    judge = ScriptedJudge(first=True)
    seen: list[tuple[str, int, int]] = []
    report = run_checkup(
        empty,
        cast(Judge, judge),
        limit=7,
        data_dir=shared_data,
        on_progress=lambda suite, done, total: seen.append((suite, done, total)),
    )
    (suite,) = report.suites
    assert (suite.judged, suite.skipped, seen[-1]) == (14, 0, ("evalbiasbench", 14, 14))
    assert suite.result.judge == suite.result.baseline  # the scripted judge always picks the first shown
    categories = [f.category for f in suite.result.judge]
    assert categories == [*BIAS_TYPES, "overall"]  # a limit takes pairs in turn from each bias type
    assert [f.pairs for f in suite.result.judge] == [2, 1, 1, 1, 1, 1, 7]
    assert report.fingerprint["both_orders"] is False
    stored = empty.judge_verdicts("evalbiasbench")
    assert len(stored) == 14 and stored["swapped"].sum() == 7 and stored["run_id"].nunique() == 1
    assert set(stored.loc[stored["swapped"], "verdict"]) == {"2"}  # stored in the original order
    assert judge.shown[1].response1 == judge.shown[0].response2  # the second judgment saw the swap
    again = run_checkup(empty, cast(Judge, ScriptedJudge(first=True)), limit=7, data_dir=shared_data)
    assert (again.suites[0].judged, again.suites[0].skipped) == (0, 14)
    assert again.suites[0].result == suite.result
    later = stored_checkup(empty, suite.run_id)  # what a page shows afterwards, without a judge
    assert later is not None and later.result == suite.result
    assert stored_checkup(empty, suite.run_id, "hhh") is None
    assert _count(db, "judge_verdicts") == 14
    text = report.text()
    assert "EvalBiasBench · judge scripted · profile pandalm" in text and "familiar knowledge" in text


def test_checkup_of_hhh_and_a_missing_data_folder(shared_data: Path, empty: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"hhh_alignment_eval.json.*--data DIR"):
        run_checkup(empty, cast(Judge, ScriptedJudge()), suites=["hhh"], data_dir=tmp_path)
    report = run_checkup(empty, cast(Judge, ScriptedJudge()), suites=["hhh"], limit=4, data_dir=shared_data)
    overall = report.suites[0].result.overall
    assert overall.pairs == 4 and overall.pair_agreement == 1.0  # length does not depend on the order
    assert json.loads(json.dumps(report.to_dict()))["suites"][0]["overall"]["always_first"]["accuracy"] == 0.5
    with pytest.raises(StoreError, match="Unknown checkup suite 'mmlu'"):
        run_checkup(empty, cast(Judge, ScriptedJudge()), suites=["mmlu"])


# ----------------------------------------------------------------------------------- the CLI, real demo judge


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT
    )


@pytest.mark.model
def test_checkup_command_with_the_demo_judge(shared_data: Path, tmp_path: Path) -> None:
    first = _run(tmp_path, "checkup", "--limit", "4", "--max-new-tokens", "32", "--data", str(shared_data))
    assert first.returncode == 0, first.stderr
    assert "Checkup" in first.stderr  # the progress bar
    lines = first.stdout.splitlines()
    assert lines[0].startswith("EvalBiasBench · judge SmolLM2-135M-Instruct")
    header = lines[1].split()
    assert header[:3] == ["bias", "type", "pairs"] and "agreement" in header
    for name in ("length", "concreteness", "empty reference", "content continuation", "overall"):
        assert any(line.startswith(name) for line in lines), name
    baseline = next(line for line in lines if line.startswith("always first (baseline)"))
    # the first four pairs: two with the better response first, two second (sides by the prompt key's hash, s15)
    assert baseline.split()[3:7] == ["4", "50%", "50%", "0%"]
    assert "8 judgments now" in first.stdout and "not a judge of quality" in first.stdout
    database = tmp_path / "judge-studio.sqlite3"
    with sqlite3.connect(database) as db:
        runs = db.execute("SELECT id, fingerprint FROM judge_runs").fetchall()
        assert len(runs) == 1 and json.loads(runs[0][1])["both_orders"] is False
        per_order = db.execute("SELECT swapped, count(*) FROM judge_verdicts GROUP BY swapped").fetchall()
        assert per_order == [(0, 4), (1, 4)]
    second = _run(tmp_path, "checkup", "--limit", "4", "--max-new-tokens", "32", "--json", "--data", str(shared_data))
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    (suite,) = report["suites"]
    assert (suite["judged"], suite["skipped"], suite["run_id"]) == (0, 8, runs[0][0])
    overall = suite["overall"]
    assert overall["judge"]["pairs"] == 4
    assert overall["always_first"] | {"not_counted": None} == {
        "pairs": 4,
        "right_original": 2,
        "right_swapped": 2,
        "right_both": 0,
        "consistent": 0,
        "accuracy_original": 0.5,
        "accuracy_swapped": 0.5,
        "accuracy": 0.5,
        "pair_accuracy": 0.0,
        "pair_agreement": 0.0,
        "ties": 0,
        "uncertain": 0,
        "unparsed": 0,
        "not_counted": None,
    }
    figures = overall["judge"]
    assert figures["right_original"] + figures["right_swapped"] + figures["unparsed"] + figures["uncertain"] <= 8
