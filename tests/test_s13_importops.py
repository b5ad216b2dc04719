"""Imports at scale and twice (session 13, "importops"): a progress bar on standard error, the pandalm-pipeline
import refusing to add to an existing dataset it was not told to, and a judge run imported twice under two names.

Each test runs the real command line (``cli.main``) or ``import_file`` on small files in a temporary folder and
checks what the user reads and what the SQLite database holds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import cli_import, home_rows, jsonl_file

from annotation_store import open_store
from annotation_store.batch_import import PROGRESS_EVERY
from cli import main
from orchestration.datasets import ImportOptions, import_file

TABLES = ("datasets", "prompts", "responses", "comparisons", "labels", "label_events", "judge_runs", "judge_verdicts")


def _rows(n: int, *, verdict: str = "1", flipped: int | None = None) -> list[dict[str, Any]]:
    """``n`` comparisons of A vs B, each with a label and a judge verdict (``flipped``: that one says "2")."""
    return [
        {
            "key": f"k{i}",
            "instruction": f"Question {i}",
            "response1": f"a{i}",
            "response2": f"b{i}",
            "model1": "A",
            "model2": "B",
            "label": "1",
            "verdict": "2" if i == flipped else verdict,
        }
        for i in range(n)
    ]


def _counts(home: Path) -> dict[str, int]:
    return {table: home_rows(home, f"SELECT count(*) FROM {table}")[0][0] for table in TABLES}


# ------------------------------------------------------------------ 1: a progress bar


def _run_import(home: Path, file: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, str]:
    main(["import", str(file), "--format", "jsonl", "--home", str(home), *args])
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_progress_bar_counts_the_rows_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = jsonl_file(tmp_path / "votes.jsonl", _rows(PROGRESS_EVERY))  # more rows than one report holds
    out, err = _run_import(tmp_path, file, capsys, "--judge", "J", "--progress")
    assert out.startswith("Imported votes.jsonl into new dataset 'votes': 2000 new prompts, 4000 responses,")
    # prompts, responses, comparisons, labels and verdicts: 6 rows a record, each counted as it is written
    lines = err.replace("\r", "\n").splitlines()
    bars = [line for line in lines if line.startswith("Importing:")]
    assert bars and "12000/12000" in bars[-1] and "100%" in bars[-1] and "rows/s" in bars[-1], lines
    assert any("2000/12000" in line for line in bars), bars  # it moved while writing, not only at the end
    assert _counts(tmp_path)["judge_verdicts"] == PROGRESS_EVERY


def test_progress_bar_on_a_terminal_and_not_in_a_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = jsonl_file(tmp_path / "first.jsonl", _rows(3))
    out, err = _run_import(tmp_path, first, capsys)  # captured standard error: a log, not a terminal
    assert "new dataset 'first'" in out and "Importing" not in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    second = jsonl_file(tmp_path / "second.jsonl", _rows(3))
    out, err = _run_import(tmp_path, second, capsys)
    assert "new dataset 'second'" in out
    assert "Importing:" in err and "15/15" in err  # 3 prompts, 6 responses, 3 comparisons, 3 labels
    third = jsonl_file(tmp_path / "third.jsonl", _rows(3))
    out, err = _run_import(tmp_path, third, capsys, "--no-progress")  # asked not to, on a terminal
    assert "new dataset 'third'" in out and "Importing" not in err


def test_a_refused_import_with_a_bar_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A record refused after the bar has moved (a label that contradicts a stored one, in the labels step, after
    thousands of rows were written) leaves the database as it was: the reports come from inside the one write
    transaction."""
    rows = _rows(PROGRESS_EVERY + 10)
    file = jsonl_file(tmp_path / "votes.jsonl", rows)
    _run_import(tmp_path, file, capsys, "--judge", "J")
    before = _counts(tmp_path)
    new = {**rows[0], "key": "new", "instruction": "A new question"}
    changed = jsonl_file(tmp_path / "votes2.jsonl", [new, *rows[:-1], {**rows[-1], "label": "2"}])
    error = ""
    try:
        main(["import", str(changed), "--format", "jsonl", "--dataset", "votes", "--progress", "--home", str(tmp_path)])
    except SystemExit as exit_:
        error = str(exit_.code)
    err = capsys.readouterr().err
    assert "already labelled this comparison '1'" in error and "Importing:" in err  # the bar had started
    assert any(f"{PROGRESS_EVERY}/" in line for line in err.replace("\r", "\n").splitlines())  # and moved
    assert _counts(tmp_path) == before  # nothing of it, the new prompt included


def test_import_file_reports_progress_to_its_caller(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.sqlite3")
    file = jsonl_file(tmp_path / "votes.jsonl", _rows(4))
    seen: list[tuple[int, int]] = []
    import_file(store, file, "jsonl", ImportOptions(judge="J"), on_progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 24) and seen[-1] == (24, 24)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


# ------------------------------------------------------------------ 2: pandalm-pipeline into an existing dataset

PIPELINE_INPUTS = [{"instruction": "Say hi."}, {"instruction": "Count.", "input": "1 2"}]


def _pipeline(folder: Path, *models: str) -> tuple[Path, list[str]]:
    folder.mkdir(parents=True, exist_ok=True)
    inputs = folder / "inputs.json"
    inputs.write_text(json.dumps(PIPELINE_INPUTS), encoding="utf-8")
    candidates = []
    for model in models:
        (folder / f"{model}.json").write_text(json.dumps([f"{model} hi", f"{model} 3"]), encoding="utf-8")
        candidates += ["--candidate", f"{model}={folder / f'{model}.json'}"]
    return inputs, candidates


def test_pandalm_pipeline_into_an_existing_dataset_only_when_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, candidates = _pipeline(tmp_path / "team1", "a", "b")
    out, error = cli_import(tmp_path, inputs, *candidates, capsys=capsys, fmt="pandalm-pipeline")
    assert error == "" and "new dataset 'inputs'" in out
    before = _counts(tmp_path)
    # another team's inputs.json: the dataset named after the file exists, and nobody named it
    other, more = _pipeline(tmp_path / "team2", "c", "d")
    out, error = cli_import(tmp_path, other, *more, capsys=capsys, fmt="pandalm-pipeline")
    assert error == (
        "judge-studio: inputs.json: dataset 'inputs' already exists (2 comparisons): give --dataset inputs to add "
        "to it, or another name (Admin page: 'Dataset name'); nothing was imported."
    )
    assert _counts(tmp_path) == before  # the database unchanged
    out, error = cli_import(tmp_path, other, *more, "--dataset", "inputs", capsys=capsys, fmt="pandalm-pipeline")
    assert error == "" and "Imported inputs.json into dataset 'inputs'" in out  # named: added to it
    assert _counts(tmp_path)["responses"] == before["responses"] + 4


# ------------------------------------------------------------------ 3: the same judge run under two names


def test_the_same_verdicts_under_a_second_judge_name_are_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = jsonl_file(tmp_path / "votes.jsonl", _rows(12))
    out, error = cli_import(tmp_path, file, "--judge", "gpt-4", capsys=capsys)
    assert error == "" and "Warning" not in out
    again = jsonl_file(tmp_path / "votes-copy.jsonl", _rows(12))
    out, error = cli_import(tmp_path, again, "--judge", "gpt4-rerun", "--dataset", "votes", capsys=capsys)
    assert error == ""  # a warning, not a refusal
    assert out.startswith("Imported votes-copy.jsonl, added to the existing dataset 'votes'")
    assert (
        "12 verdicts of gpt4-rerun (run 2, 0 unparsed). Warning: These verdicts are identical to judge run "
        "'gpt-4' (run 1) on this dataset: imported twice under two names?"
    ) in out
    runs = home_rows(tmp_path, "SELECT run_id, count(*) FROM judge_verdicts GROUP BY run_id ORDER BY run_id")
    assert runs == [(1, 12), (2, 12)]  # still imported


def test_the_warning_is_in_the_summary_an_import_returns(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.sqlite3")
    import_file(store, jsonl_file(tmp_path / "votes.jsonl", _rows(10)), "jsonl", ImportOptions(judge="one"))
    copy = jsonl_file(tmp_path / "copy.jsonl", _rows(10))
    summary = import_file(store, copy, "jsonl", ImportOptions(dataset="votes", judge="two"))
    assert summary.warnings == (
        "Warning: These verdicts are identical to judge run 'one' (run 1) on this dataset: imported twice under two "
        "names?",
    )
    assert summary.runs[0].same_as == "'one' (run 1)"
    assert summary.warnings[0] in summary.describe()  # what the Admin page shows


def test_no_warning_when_one_verdict_differs_or_too_few(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.sqlite3")
    import_file(store, jsonl_file(tmp_path / "votes.jsonl", _rows(12)), "jsonl", ImportOptions(judge="one"))
    differs = jsonl_file(tmp_path / "differs.jsonl", _rows(12, flipped=7))
    summary = import_file(store, differs, "jsonl", ImportOptions(dataset="votes", judge="two"))
    assert summary.warnings == () and "Warning" not in summary.describe()
    # a run on only some of the comparisons, identical where both judged: not the same run
    fewer = jsonl_file(tmp_path / "fewer.jsonl", _rows(12)[:11])
    summary = import_file(store, fewer, "jsonl", ImportOptions(dataset="votes", judge="three"))
    assert summary.warnings == ()
    # nine identical verdicts: too few to say
    small = jsonl_file(tmp_path / "small.jsonl", _rows(9))
    import_file(store, small, "jsonl", ImportOptions(judge="x"))
    summary = import_file(store, jsonl_file(tmp_path / "small2.jsonl", _rows(9)), "jsonl",
                          ImportOptions(dataset="small", judge="y"))  # fmt: skip
    assert summary.warnings == ()
