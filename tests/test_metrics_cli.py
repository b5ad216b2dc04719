"""`judge-studio import / metrics / export` as subprocesses, and the metrics report in-process.

Done-when of issue #4: the PandaLM test set, imported through the CLI, reproduces its published
label distribution {tie: 105, 1: 422, 2: 472} (majority of three annotators) and inter-annotator
Cohen's kappas 0.85, 0.86, 0.88 through ``judge-studio metrics --json``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analysis import format_report
from annotation_store import open_store
from interchange.importers import (
    import_alpacaeval_annotations,
    import_alpacaeval_outputs,
    import_llmbar_dataset,
    import_llmbar_results,
    import_table,
)
from orchestration.metrics import metrics_report

ROOT = Path(__file__).resolve().parent.parent
DATASET = "pandalm-testset-v1"
OVER_TIME_HEAD = (
    "per label over time (labels: accuracy [Wilson interval over the effective number of comparisons, "
    "not the labels]): "
)


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


@pytest.fixture(scope="module")
def home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the PandaLM test set and both released judgments, imported through the CLI."""
    path = tmp_path_factory.mktemp("cli-home")
    folder = shared_data / "pandalm"
    for name, fmt in [
        ("testset-v1.json", "pandalm-testset"),
        ("pandalm-7b-testset-v1.json", "pandalm-judgments"),
        ("gpt-3.5-turbo-testset-v1.json", "pandalm-judgments"),
    ]:
        result = _run(path, "import", str(folder / name), "--format", fmt)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"Imported {name} into ")
    return path


@pytest.fixture(scope="module")
def report(home: Path) -> dict[str, Any]:
    result = _run(home, "metrics", "--dataset", DATASET, "--json")
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)  # one JSON object, nothing else on stdout
    return parsed


def test_published_label_distribution_and_kappas(report: dict[str, Any]) -> None:
    assert report["label_distribution"] == {"tie": 105, "1": 422, "2": 472}
    kappas = sorted(round(pair["cohen_kappa"], 2) for pair in report["inter_annotator"]["pairwise_cohen_kappa"])
    assert kappas == [0.85, 0.86, 0.88]
    assert report["counts"]["comparisons"] == 999 and report["counts"]["labels"] == 2997
    assert report["inter_annotator"]["fleiss_kappa"] == pytest.approx(0.8642, abs=1e-4)
    assert report["inter_annotator"]["krippendorff_alpha"] == pytest.approx(0.8642, abs=1e-4)


def _judge(report: dict[str, Any], model: str) -> dict[str, Any]:
    found = [j for j in report["judges"] if j["model"] == model]
    assert len(found) == 1, [j["model"] for j in report["judges"]]
    return found[0]


def test_released_judges_against_the_majority_label(report: dict[str, Any]) -> None:
    """Accuracy and macro F1 of the two released judgments against the majority of three annotators.

    PandaLM's paper reports PandaLM-7B accuracy 0.5926 / F1 0.5728 and gpt-3.5 accuracy 0.6296 /
    F1 0.4881 on this test set. The released files give other figures against the majority label
    (PandaLM-7B 0.6677 / 0.5743, gpt-3.5 0.7156 / 0.5331 over its 974 parsed outputs, 0.6977 /
    0.5274 when its 25 "garbage" outputs count as wrong), nor do they reproduce the paper against
    any single annotator (accuracy 0.65-0.67 and 0.70-0.71); only PandaLM-7B's F1 agrees to two
    decimals. So the computed values are asserted, not the paper's.
    """
    panda = _judge(report, "PandaLM-7B (released outputs)")
    versus = panda["against_majority"]
    assert (versus["n"], versus["judge_unparsed"]) == (999, 0)
    assert versus["accuracy"] == pytest.approx(0.6677, abs=1e-4)
    assert versus["macro_f1"] == pytest.approx(0.5743, abs=1e-4)
    assert round(versus["macro_f1"], 2) == round(0.5728, 2)  # the paper's figure, to two decimals
    assert versus["accuracy_ci95"]["low"] < versus["accuracy"] < versus["accuracy_ci95"]["high"]
    assert sum(sum(row.values()) for row in versus["confusion"]["matrix"].values()) == 999

    gpt = _judge(report, "gpt-3.5-turbo (released outputs)")
    versus = gpt["against_majority"]
    assert (versus["n"], versus["judge_unparsed"]) == (974, 25)
    assert gpt["verdicts"]["status"] == {"ok": 974, "unparsed": 25}
    assert versus["accuracy"] == pytest.approx(0.7156, abs=1e-4)
    assert versus["macro_f1"] == pytest.approx(0.5331, abs=1e-4)
    strict = gpt["against_majority_unparsed_as_wrong"]
    assert (strict["n"], round(strict["accuracy"], 4), round(strict["macro_f1"], 4)) == (999, 0.6977, 0.5274)
    assert gpt["per_vote"]["n"] == 3 * 974
    assert gpt["both_orders"] is None  # one presentation order only


def test_report_has_rankings_biases_and_categories(report: dict[str, Any]) -> None:
    for section in [report["people"], *report["judges"]]:
        assert {"win_table", "partial_order", "bradley_terry", "length_bias"} <= set(section)
        assert len(section["bradley_terry"]) == 5
        assert len(section["win_table"]) == 10  # every pair of the five models
    assert report["people"]["partial_order"]["models"] == sorted(report["counts"]["models"])
    assert len(report["categories"]) == report["counts"]["categories"] == 50
    assert sum(c["comparisons"] for c in report["categories"]) == 999
    assert sum(sum(c["label_distribution"].values()) for c in report["categories"]) == 999
    first = _judge(report, "PandaLM-7B (released outputs)")["against_majority"]["classification_report"]
    assert set(first) == {"1", "2", "tie", "macro avg"} and first["macro avg"]["support"] == 999


def test_text_summary_and_errors(home: Path, tmp_path: Path, shared_data: Path) -> None:
    again = _run(home, "import", str(shared_data / "pandalm" / "testset-v1.json"), "--format", "pandalm-testset")
    assert again.returncode != 0
    assert "judge-studio: testset-v1.json: dataset 'pandalm-testset-v1' already imported" in again.stderr
    bad = tmp_path / "mine.jsonl"
    bad.write_text('{"q": "Say hi", "a": "hi", "b": "yo"}\n{"q": "", "a": "x", "b": "y"}\n', encoding="utf-8")
    mapped = ["--map", "instruction=q", "--map", "response1=a", "--map", "response2=b"]
    result = _run(home, "import", str(bad), "--format", "jsonl", "--model1", "m1", "--model2", "m2", *mapped)
    assert result.returncode != 0
    assert "mine.jsonl, record 2 (line 2), field 'q': the instruction and the input are both empty" in result.stderr
    unknown = _run(home, "metrics", "--dataset", "nope")
    assert unknown.returncode != 0
    assert "judge-studio: There is no dataset named 'nope' (datasets: pandalm-testset-v1)" in unknown.stderr


def test_export_command_writes_csv(home: Path, tmp_path: Path) -> None:
    output = tmp_path / "items.csv"
    result = _run(home, "export", "--dataset", DATASET, "--kind", "wide", "--output", str(output))
    assert result.returncode == 0, result.stderr
    with output.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 999
    judges = {"judge:PandaLM-7B (released outputs) #1", "judge:gpt-3.5-turbo (released outputs) #2"}
    assert {"majority", *judges} <= set(rows[0])


def test_report_per_annotator_model_pair_and_over_time(report: dict[str, Any]) -> None:
    names = [a["name"] for a in report["annotators"]]
    assert names == [f"pandalm-annotator{n}" for n in (1, 2, 3)]
    for person in report["annotators"]:
        # every item has three labels; where the other two split, the item is left out and counted
        assert person["labels"] == 999 and person["with_others"]["n"] + person["with_others"]["n_split"] == 999
        assert 0.85 < person["with_others"]["accuracy"] < 1 and 0.75 < person["with_others"]["cohen_kappa"] < 1
        assert [j["n"] for j in person["judges"]] == [999, 974]  # PandaLM-7B, gpt-3.5 (25 unparsed)
    assert len(report["model_pairs"]) == 10  # every pair of the five models
    assert sum(p["comparisons"] for p in report["model_pairs"]) == 999
    people = {(p["model_a"], p["model_b"]): p["people"] for p in report["model_pairs"]}
    win_table = {(r["model_a"], r["model_b"]): r for r in report["people"]["win_table"]}
    assert people == {pair: {k: row[k] for k in ("wins_a", "wins_b", "ties")} for pair, row in win_table.items()}
    for judge in report["judges"]:
        points, vote = judge["over_time"], judge["per_vote"]
        assert len(points) == 20 and [p["n"] for p in points] == sorted(p["n"] for p in points)
        assert points[-1]["n"] == vote["n"] and points[-1]["accuracy"] == pytest.approx(vote["accuracy"])
        assert all(p["low"] <= p["accuracy"] <= p["high"] for p in points)
        assert all(isinstance(p["time"], str) for p in points)  # ISO 8601 text in JSON
    # issue 14 #10: labels imported at once are not a time series, and the report says so
    assert [j["over_time_is_time_series"] for j in report["judges"]] == [False, False]
    text = format_report(report)
    assert "labels stored at once (e.g. imported): in label order, not a time series" in text
    # one presentation order: position bias is not measured (no first-position rate from one order)
    for judge in report["judges"]:
        assert judge["position_bias"]["first_position_rate"] is None
        assert judge["position_bias"]["not_measured"].startswith("not measured: judged in one presentation order")
    assert "position bias not measured: judged in one presentation order only" in text
    assert "Annotators (labels; accuracy vs the others' majority" in text
    assert "  pandalm-annotator1: 999 labels; others " in text and "Model pairs (" in text
    assert OVER_TIME_HEAD in text


def test_export_command_writes_parquet(home: Path, tmp_path: Path) -> None:
    output = tmp_path / "labels.parquet"
    result = _run(home, "export", "--dataset", DATASET, "--kind", "labels", "--judges", "-o", str(output))
    assert result.returncode == 0, result.stderr
    jsonl = _run(home, "export", "--dataset", DATASET, "--kind", "labels", "--judges")
    assert jsonl.returncode == 0, jsonl.stderr
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    frame = pd.read_parquet(output)
    assert len(frame) == len(rows) == 2997 + 2 * 999

    # each column has one Arrow type (s16 exportsafe): an all-empty string column reads back as missing values
    def plain(table: pd.DataFrame) -> pd.DataFrame:
        return table.astype(object).where(table.notna(), None)

    pd.testing.assert_frame_equal(plain(frame), plain(pd.DataFrame(rows)), check_dtype=False)
    refused = _run(home, "export", "--dataset", DATASET, "--format", "parquet")
    assert refused.returncode != 0 and refused.stdout == ""
    assert "judge-studio: parquet is a binary format and is not written to standard output" in refused.stderr


def test_import_command_pandalm_pipeline(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps([{"instruction": "Say hi."}, {"instruction": "Count.", "input": "1 2"}]), "utf-8")
    for name in ("a", "b"):
        (tmp_path / f"{name}.json").write_text(json.dumps([f"{name} hi", f"{name} 3"]), encoding="utf-8")
    (tmp_path / "short.json").write_text(json.dumps(["only one"]), encoding="utf-8")
    home = tmp_path / "home"
    options = ["--format", "pandalm-pipeline", "--dataset", "pipe"]
    candidates = ["--candidate", f"model_a={tmp_path / 'a.json'}", "--candidate", f"model_b={tmp_path / 'b.json'}"]
    result = _run(home, "import", str(inputs), *options, *candidates)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Imported inputs.json into new dataset 'pipe': 2 new prompts, 4 responses, ")
    assert "2 comparisons." in result.stdout
    bad = _run(home, "import", str(inputs), *options, "--candidate", f"model_c={tmp_path / 'short.json'}")
    assert bad.returncode != 0
    assert "judge-studio: short.json, record 2, field 'response': missing (1 responses for the 2 inputs" in bad.stderr
    wrong = _run(home, "import", str(inputs), "--format", "csv", "--candidate", "x=a.json")
    assert wrong.returncode != 0 and "--candidate does not apply to --format csv" in wrong.stderr


def test_data_commands_do_not_import_torch() -> None:
    code = "import sys, app; assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------- in-process reports


def test_llmbar_report_has_swap_consistency(shared_data: Path, tmp_path: Path) -> None:
    store = open_store(tmp_path / "llmbar.sqlite3")
    folder = shared_data / "llmbar_mt_bench"
    import_llmbar_dataset(store, folder / "dataset.json")
    for judge in ("GPT-4", "LLaMA2"):
        import_llmbar_results(store, folder / judge / "result.json")
    report = metrics_report(store, "llmbar-mt-bench", n_bootstrap=20)
    json.dumps(report, allow_nan=False)
    consistency = {j["model"]: j["both_orders"]["swap_consistency"]["consistency"] for j in report["judges"]}
    # from the files: GPT-4 keeps its verdict in 87 + 87 of 200 pairs, LLaMA2 in 65 + 69
    assert consistency == {"GPT-4 (released outputs)": 0.87, "LLaMA2 (released outputs)": 0.67}
    gpt4 = report["judges"][0]
    assert gpt4["against_majority"]["accuracy"] == pytest.approx(0.795)
    assert gpt4["both_orders"]["combined_against_majority"]["n"] == 200
    assert report["label_distribution"] == {"1": 101, "2": 99, "tie": 0}
    text = format_report(report)
    assert "both orders: consistency 0.870" in text
    # issue 14 #10: LLMBar reports both orders (0.795 as shown, 0.825 swapped) and their mean
    both = gpt4["both_orders"]
    assert both["swapped_order_against_majority"]["accuracy"] == pytest.approx(0.825)
    assert both["mean_of_orders_accuracy"] == pytest.approx(0.81)
    assert "accuracy vs majority: swapped order 0.825 (n=200), mean of both orders 0.810" in text
    # ... and its two response positions are not ranked as if they were models
    for section in [report["people"], *report["judges"]]:
        assert section["win_table"] == [] and section["bradley_terry"] == [] and section["partial_order"] is None
        assert section["win_rate"] is None and "response positions, not models" in section["ranking_note"]
    assert report["model_pairs"] == []
    assert "Rankings not ranked: the two sides of each comparison are response positions" in text
    store.close()


def test_alpacaeval_report_has_the_leaderboard_win_rate(shared_data: Path, tmp_path: Path) -> None:
    store = open_store(tmp_path / "alpaca.sqlite3")
    folder = shared_data / "alpaca_eval" / "alpaca-7b"
    import_alpacaeval_outputs(store, folder / "model_outputs.json")
    import_alpacaeval_annotations(store, folder / "alpaca_eval_gpt4" / "annotations.json")
    report = metrics_report(store, "alpaca-eval", n_bootstrap=20)
    assert report["settings"]["baseline"] == "text_davinci_003"  # the model shown first in every comparison
    (rate,) = report["judges"][0]["win_rate"]
    assert (rate["model"], rate["wins"], rate["losses"], rate["ties"]) == ("alpaca-7b", 205, 584, 16)
    assert round(rate["win_rate"] * 100, 2) == 26.46  # AlpacaEval leaderboard, alpaca_eval_gpt4 annotator
    assert report["counts"]["labels"] == 0 and report["judges"][0]["against_majority"]["n"] == 0
    store.close()


SMALL = """id,question,m1,m2,a,b,winner,rater,judge
q1,Q1,A,B,a1,b1,1,ann,1
q1,Q1,A,B,a1,b1,1,bob,1
q1,Q1,A,B,a1,b1,2,cy,1
q2,Q2,C,A,c2,a2,2,ann,2
q2,Q2,C,A,c2,a2,2,bob,2
q3,Q3,B,C,b3,c3,tie,ann,1
q3,Q3,B,C,b3,c3,1,bob,1
q4,Q4,A,B,a4,b4,2,ann,1
"""


def test_breakdowns_by_hand(tmp_path: Path) -> None:
    """Per annotator, per model pair and over time on eight labels, every figure computed by hand."""
    path = tmp_path / "small.csv"
    path.write_text(SMALL, encoding="utf-8")
    store = open_store(tmp_path / "small.sqlite3")
    mapping = {"key": "id", "instruction": "question", "model1": "m1", "model2": "m2", "response1": "a"}
    mapping |= {"response2": "b", "label": "winner", "annotator": "rater", "verdict": "judge"}
    import_table(store, path, mapping=mapping, judge="j")
    report = metrics_report(store, "small", n_bootstrap=10)
    store.close()
    json.dumps(report, allow_nan=False)
    # majority: q1 "1", q2 "2", q3 "tie" (1 / tie split), q4 "2"; the judge says 1, 2, 1, 1
    people = {p["name"]: p for p in report["annotators"]}
    # ann vs the others' majority: q1 (bob 1, cy 2: the others split, no majority) left out and counted;
    # q2 (bob 2) yes; q3 (bob 1) vs tie no; q4 has no other label.
    # kappa: ann 2/tie vs others 2/1, p_o = 1/2, p_e = 1/4 -> 1/3
    assert people["ann"]["labels"] == 4
    expected = {"rule": "", "n": 2, "accuracy": 1 / 2, "cohen_kappa": 1 / 3, "n_split": 1}
    assert people["ann"]["with_others"] | {"rule": ""} == pytest.approx(expected)
    # bob: q1 (ann 1, cy 2: split) left out; 2/1 vs others 2/tie: p_o = 1/2, p_e = 1/4, kappa = 1/3
    bob = people["bob"]["with_others"]
    assert (bob["n"], bob["n_split"], bob["accuracy"], bob["cohen_kappa"]) == (2, 1, 0.5, pytest.approx(1 / 3))
    assert (people["cy"]["with_others"]["n"], people["cy"]["with_others"]["accuracy"]) == (1, 0.0)
    # vs the judge: ann 1,2,tie,2 vs 1,2,1,1 -> 2/4; p_e = .25 * .75 + .5 * .25 = .3125, kappa = .1875 / .6875
    (ann_judge,) = people["ann"]["judges"]
    assert (ann_judge["n"], ann_judge["accuracy"]) == (4, 0.5)
    assert ann_judge["cohen_kappa"] == pytest.approx(0.1875 / 0.6875)
    assert [(people[n]["judges"][0]["n"], people[n]["judges"][0]["accuracy"]) for n in ("bob", "cy")] == [
        (3, 1.0),
        (1, 0.0),
    ]
    # model pairs, A < B by name whichever was shown first (q2 shows C first; its "2" is a win of A)
    pairs = {(p["model_a"], p["model_b"]): p for p in report["model_pairs"]}
    assert list(pairs) == [("A", "B"), ("A", "C"), ("B", "C")]
    assert [pairs[k]["comparisons"] for k in pairs] == [2, 1, 1]
    assert [tuple(pairs[k]["people"].values()) for k in pairs] == [(1, 1, 0), (1, 0, 0), (0, 0, 1)]
    judged = [pairs[k]["judges"][0] for k in pairs]
    assert [(j["wins_a"], j["wins_b"], j["ties"]) for j in judged] == [(2, 0, 0), (1, 0, 0), (1, 0, 0)]
    assert [(j["n"], j["accuracy"]) for j in judged] == [(2, 0.5), (1, 1.0), (1, 0.0)]
    # over time, per vote in label order: yes yes no yes yes no yes no
    points = report["judges"][0]["over_time"]
    assert [p["n"] for p in points] == list(range(1, 9))
    assert [p["accuracy"] for p in points] == pytest.approx([1, 1, 2 / 3, 3 / 4, 4 / 5, 4 / 6, 5 / 7, 5 / 8])
    # Wilson on 5/8 over the 4 comparisons the 8 labels cover, not over 8 labels (s15 methodologist finding 4), at
    # their Kish effective number (s16): labels 3, 2, 2, 1 -> 8^2 / (9 + 4 + 4 + 1) = 3.56
    assert points[-1]["comparisons"] == 4
    assert (points[-1]["low"], points[-1]["high"]) == pytest.approx((0.205217, 0.914952), abs=1e-6)
    text = format_report(report)
    assert "  ann: 4 labels; others 0.500 (n=2, kappa 0.333; 1 left out: the others split); run 1 0.500 (n=4)" in text
    assert "  A vs C: 1 comparisons, 1 / 0 / 0; run 1 1.000 (n=1)" in text
    over_time = OVER_TIME_HEAD
    assert over_time + "2: 1.000 [0.207, 1.000], 4: 0.750" in text
