"""The s7 researcher's findings on the CLI and the pipeline (notes/s7/research-findings.md 1-4, 6, 7, 9, 10, 13, 14).

Run as a researcher runs them: ``judge-studio`` in a subprocess on a real SQLite file. The judge is a
tiny random-weight LLaMA (judge_runtime.testing), which loads in a second; its constrained verdicts
are near coin flips (so uncertain), and its generated ones never parse: what is checked is what is
counted and said, not what the judge thinks.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from judge_runtime.testing import TINY_LLAMA, random_llama, tokenizer_for_tests

ROOT = Path(__file__).resolve().parents[1]
MAP = ["--map", "key=id", "--map", "instruction=question", "--map", "response1=a", "--map", "response2=b"]
PAIRS = "id,question,a,b,winner\n" + "".join(f"q{i},Question {i}?,answer a{i},answer b{i},1\n" for i in range(1, 5))


def _run(home: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        preexec_fn=lambda: os.umask(0o022),  # a usual shell's umask: results must come out 0644
    )


def _verdicts(home: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "judge-studio.sqlite3") as db:
        return db.execute("SELECT status FROM judge_verdicts").fetchall()


@pytest.fixture(scope="module")
def tiny_judge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-judge")
    random_llama(folder, tokenizer_for_tests(), TINY_LLAMA, seed=4)
    return folder


@pytest.fixture(scope="module")
def pairs_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 comparisons of m1 against m2, each labelled "1" by one imported annotator."""
    home = tmp_path_factory.mktemp("pairs")
    (home / "pairs.csv").write_text(PAIRS, encoding="utf-8")
    imported = _run(home, "import", str(home / "pairs.csv"), "--format", "csv", *MAP, "--model1", "m1",
                    "--model2", "m2", "--map", "label=winner", "--annotator", "ann", "--dataset", "pairs")  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    return home


@pytest.fixture(scope="module")
def candidates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("candidates")
    (folder / "inputs.json").write_text(json.dumps([{"instruction": "Say hi."}, {"instruction": "Add 2 and 2."}]))
    (folder / "a.json").write_text(json.dumps(["hi", "4"]))
    (folder / "b.json").write_text(json.dumps(["hello there", "5"]))
    return folder


def _evaluate(home: Path, folder: Path, judge: Path, output: str, *extra: str) -> subprocess.CompletedProcess[str]:
    files = [str(folder / "a.json"), str(folder / "b.json")]
    return _run(home, "evaluate", *files, "--input", str(folder / "inputs.json"), "--output", output,
                "--judge-model", str(judge), *extra)  # fmt: skip


# ------------------------------------------------------------------ 1: --limit below 1


@pytest.mark.parametrize("command", ["judge", "rate", "checkup"])
def test_a_limit_below_one_is_refused_before_anything_runs(pairs_home: Path, tiny_judge: Path, command: str) -> None:
    for limit in ("-1", "0"):
        dataset = [] if command == "checkup" else ["--dataset", "pairs"]  # checkup has no --dataset: said first
        result = _run(pairs_home, command, *dataset, "--judge-model", str(tiny_judge), "--limit", limit)
        assert result.returncode == 2, result.stdout
        assert f"--limit must be at least 1, got {limit}." in result.stderr
    assert _verdicts(pairs_home) == []  # `judge --limit -1` judged all but the last comparison


def test_the_service_refuses_a_limit_below_one_too(tmp_path: Path, tiny_judge: Path) -> None:
    from orchestration import Studio
    from settings import Settings

    studio = Studio.open(Settings.from_env({"JUDGE_STUDIO_HOME": str(tmp_path)}, judge_model=str(tiny_judge)))
    try:
        with pytest.raises(ValueError, match=r"--limit must be at least 1, got -1\."):
            studio.judge_dataset(limit=-1)
        with pytest.raises(ValueError, match=r"--limit must be at least 1, got 0\."):
            studio.rate_dataset(limit=0)
        assert studio.store.judged_comparison_ids(1) == set()
    finally:
        studio.store.close()


# ------------------------------------------------------------------ 2, 3, 4: evaluate


def test_evaluate_counts_uncertain_verdicts_apart_and_says_so(
    tmp_path: Path, candidates: Path, tiny_judge: Path
) -> None:
    out = tmp_path / "results.json"
    wide = ("--verdict-mode", "constrained", "--uncertain-margin", "0.9")  # random weights: every verdict unsure
    result = _evaluate(tmp_path, candidates, tiny_judge, str(out), *wide)
    assert result.returncode == 0, result.stderr
    saved = json.loads(out.read_text())
    assert saved["status_counts"] == {"uncertain": 2}  # was {"ok": 2}: coin flips counted as wins
    assert saved["settings"]["uncertain_margin"] == 0.9
    assert all(s["verdict"] is None and s["leaning"] in ("1", "2", "tie") for s in saved["samples"])
    assert (
        saved["win_table"] == [{"model_a": "a", "model_b": "b", "wins_a": 0, "wins_b": 0, "ties": 0, "uncertain": 2}]
        or saved["win_table"] == []
    )
    assert "2 judgments: 0 ok, 2 uncertain, 0 unparsed, 0 truncated" in result.stdout
    assert "2 verdicts uncertain (top two verdict probabilities less than 0.9 apart)" in result.stdout
    assert "Empty DataFrame" not in result.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # was 0600 (tempfile.mkstemp)

    off = _evaluate(tmp_path, candidates, tiny_judge, str(out), "--verdict-mode", "constrained",
                    "--uncertain-margin", "0")  # fmt: skip
    assert off.returncode == 0, off.stderr
    assert json.loads(out.read_text())["status_counts"] == {"ok": 2}
    assert "Win / lose / tie per pair of candidates" in off.stdout and "Bradley-Terry strength" in off.stdout
    assert "Partial order (sign-test, p < 0.05, Holm-adjusted over " in off.stdout  # s15: the correction said


def test_the_pipeline_applies_the_reports_uncertain_rule() -> None:
    from evaluation.pipeline import aggregate

    sure = {"1": 0.8, "2": 0.1, "tie": 0.1}
    coin = {"1": 0.409, "2": 0.404, "tie": 0.187}
    samples = [
        {"model1": "a", "model2": "b", "verdict": "1", "status": "ok", "probabilities": sure},
        {"model1": "a", "model2": "b", "verdict": "1", "status": "ok", "probabilities": coin},
        {"model1": "a", "model2": "b", "verdict": "2", "status": "ok", "probabilities": None},
    ]
    result = aggregate(samples, ["a", "b"], n_bootstrap=10)
    assert [s["status"] for s in result.samples] == ["ok", "uncertain", "ok"]
    assert result.samples[1]["leaning"] == "1" and result.samples[1]["verdict"] is None
    row = result.win_table.iloc[0]
    assert (row["wins_a"], row["wins_b"], row["ties"], row["uncertain"]) == (1, 1, 0, 1)  # was wins_a 2


def test_evaluate_says_in_words_when_no_verdict_counts(tmp_path: Path, candidates: Path, tiny_judge: Path) -> None:
    out = tmp_path / "o.json"
    result = _evaluate(tmp_path, candidates, tiny_judge, str(out), "--verdict-mode", "generate",
                       "--max-new-tokens", "2", "--both-orders")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Empty DataFrame" not in result.stdout
    assert "2 pairs judged in both orders: 0 ok, 0 uncertain, 0 unparsed, 0 truncated, 2 incomplete" in result.stdout
    assert "No verdict counts (2 incomplete): nothing to rank." in result.stdout
    assert "Swap consistency: n/a over 0 pairs with a verdict in both orders" in result.stdout


def test_an_unusable_output_is_refused_before_judging(tmp_path: Path, candidates: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    result = _evaluate(tmp_path, candidates, tmp_path / "no-such-judge", str(tmp_path / "file" / "o.json"))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"judge-studio: Cannot write the output {str(tmp_path / 'file' / 'o.json')!r}: "
        f"{str(tmp_path / 'file')!r} is a file, not a folder."
    )
    folder = _evaluate(tmp_path, candidates, tmp_path / "no-such-judge", str(tmp_path))
    assert "is a folder: name a file" in folder.stderr and "Traceback" not in folder.stderr


def test_evaluate_names_the_input_flag(tmp_path: Path, candidates: Path) -> None:
    files = [str(candidates / "a.json"), str(candidates / "b.json")]
    result = _run(tmp_path, "evaluate", *files, "--output", str(tmp_path / "o.json"))
    assert result.returncode == 1 and "pass the inputs (--input; input_data_path in Python)" in result.stderr


# ------------------------------------------------------------------ 5: --alpha and --bootstrap


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--alpha", "2"), "judge-studio: --alpha must be between 0 and 1, got 2.0."),
        (("--bootstrap", "0"), "judge-studio: --bootstrap must be at least 1, got 0."),
        (("--bootstrap", "-5"), "judge-studio: --bootstrap must be at least 1, got -5."),
    ],
)
def test_out_of_range_statistics_are_refused(
    pairs_home: Path, candidates: Path, args: tuple[str, ...], message: str
) -> None:
    for command in (("metrics", "--dataset", "pairs"), ("report", "--dataset", "pairs")):
        result = _run(pairs_home, *command, *args)
        assert (result.returncode, result.stderr.strip()) == (1, message)
    evaluated = _evaluate(pairs_home, candidates, pairs_home / "no-such-judge", str(pairs_home / "o.json"), *args)
    assert (evaluated.returncode, evaluated.stderr.strip()) == (1, message)


# ------------------------------------------------------------------ 6, 7, 9: metrics and the report card


def test_truncated_verdicts_are_counted_and_the_card_is_honest(tmp_path: Path, tiny_judge: Path) -> None:
    (tmp_path / "pairs.csv").write_text(PAIRS, encoding="utf-8")
    imported = _run(tmp_path, "import", str(tmp_path / "pairs.csv"), "--format", "csv", *MAP, "--model1", "m1",
                    "--model2", "m2", "--dataset", "pairs")  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    card = _run(tmp_path, "report", "--dataset", "pairs")
    assert card.returncode == 0, card.stderr
    assert "No judge has judged 'pairs' yet: run `judge-studio judge --dataset pairs`" in card.stdout
    assert "No judge has judged 'pairs' yet" in card.stderr

    judged = _run(tmp_path, "judge", "--dataset", "pairs", "--judge-model", str(tiny_judge), "--verdict-mode",
                  "generate", "--max-new-tokens", "2", "--limit", "2")  # fmt: skip
    assert judged.returncode == 0, judged.stderr
    statuses = sorted(s for (s,) in _verdicts(tmp_path))
    assert statuses and "ok" not in statuses
    metrics = _run(tmp_path, "metrics", "--dataset", "pairs")
    assert metrics.returncode == 0, metrics.stderr
    counts = {s: statuses.count(s) for s in statuses}
    shown = ", ".join(
        [f"{counts.get('unparsed', 0)} unparsed"] + [f"{n} {s}" for s, n in counts.items() if s != "unparsed"]
    )
    assert f"2 verdicts, {shown}" in metrics.stdout  # was "0 unparsed" when all were truncated
    assert "4 comparisons, 0 labels from 0 annotators, 1 judge run, 1 category" in metrics.stdout  # was "1 judge runs"


def test_the_card_claims_no_order_match_without_orders() -> None:
    from analysis.report_card import rankings

    empty = {"estimate": None, "low": None, "high": None}
    rows = [{"model": m, "corrected": empty, "judge": empty, "people": empty} for m in ("a", "b")]
    ranking = rankings({"against_baseline": [], "against_all": rows, "baseline": None})
    assert ranking is not None
    assert (ranking["corrected"], ranking["judge"], ranking["judge_matches_corrected"]) == ([], [], None)


def test_uncertain_verdicts_lean_in_plain_words() -> None:
    from analysis.report_text import _uncertain_text

    judge = {"verdicts": {"n_uncertain": 3, "uncertain_leaning": {"1": 2, "2": 1, "tie": 0}}}
    text = _uncertain_text(judge, 0.1)
    assert "2 lean to response 1, 1 leans to response 2;" in text and "leaning 2" not in text


# ------------------------------------------------------------------ 8: export suffixes


def test_export_refuses_a_suffix_that_is_not_its_format(pairs_home: Path) -> None:
    xlsx = pairs_home / "x.xlsx"
    result = _run(pairs_home, "export", "--dataset", "pairs", "-o", str(xlsx))
    assert result.returncode == 1
    assert f"Unknown output suffix '.xlsx' in {str(xlsx)!r}: use .jsonl" in result.stderr
    assert not xlsx.exists()
    clash = _run(pairs_home, "export", "--dataset", "pairs", "--format", "csv", "-o", str(pairs_home / "x.parquet"))
    assert "--format csv does not match the output" in clash.stderr and not (pairs_home / "x.parquet").exists()
    chosen = _run(pairs_home, "export", "--dataset", "pairs", "--format", "csv", "-o", str(pairs_home / "x.txt"))
    assert chosen.returncode == 0, chosen.stderr
    assert (pairs_home / "x.txt").read_text().startswith("comparison_id") or "," in (pairs_home / "x.txt").read_text()
