"""A dataset extended with more verdicts of the same judge keeps one judge run (session 16, "judgeextend";
s16 campaign, finding 2).

A campaign imported 40 AlpacaEval GPT-4 annotations, then 20 more of the same judge from a second file into the
same dataset: the second file became run 2, and the Dashboard, ``metrics`` and the per-annotator "vs judge" each
read one of the two halves. Imported verdicts of a judge (its fingerprint but for the file's name) now go into that
judge's run on the dataset when the run has no verdict on those comparisons, as ``judge`` continues its run; a
file that overlaps the run keeps the behaviour it had (refused when it is all already there, a run of its own with
a warning when it differs). Real data: AlpacaEval's released GPT-4 annotations, split into two files.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers import cli_import, home_rows, jsonl_file

from annotation_store import open_store
from orchestration.dashboard import ReportCache, build_dashboard
from orchestration.datasets import ImportOptions, import_file
from orchestration.metrics import metrics_report

GPT4 = "alpaca_eval_gpt4 (released annotations)"
RUNS = "SELECT run_id, count(*) FROM judge_verdicts GROUP BY run_id ORDER BY run_id"


def _annotations(shared_data: Path, folder: Path) -> tuple[Path, Path]:
    """Records 0-39 and 40-59 of AlpacaEval's GPT-4 annotations as two files (the campaign's part 1 and 2)."""
    path = shared_data / "alpaca_eval" / "alpaca-7b" / "alpaca_eval_gpt4" / "annotations.json"
    records = json.loads(path.read_text(encoding="utf-8"))[:60]
    part1, part2 = folder / "alpaca_part1.json", folder / "alpaca_part2.json"
    part1.write_text(json.dumps(records[:40]), encoding="utf-8")
    part2.write_text(json.dumps(records[40:]), encoding="utf-8")
    return part1, part2


def test_more_annotations_of_the_same_judge_extend_its_run(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    part1, part2 = _annotations(shared_data, tmp_path)
    out, error = cli_import(tmp_path, part1, "--dataset", "campaign", capsys=capsys, fmt="alpacaeval-annotations")
    assert error == "" and f"40 verdicts of {GPT4} (run 1, 0 unparsed)" in out
    out, error = cli_import(tmp_path, part2, "--dataset", "campaign", capsys=capsys, fmt="alpacaeval-annotations")
    assert error == "" and "Warning" not in out
    assert f"20 verdicts of {GPT4} added to run 1 (now 60 verdicts; 0 of the new unparsed)" in out
    assert home_rows(tmp_path, "SELECT id, model FROM judge_runs") == [(1, GPT4)]  # one run, not two
    assert home_rows(tmp_path, RUNS) == [(1, 60)]
    store = open_store(tmp_path / "judge-studio.sqlite3")
    try:
        judges = metrics_report(store, "campaign", n_bootstrap=0)["judges"]
        assert [(judge["run_id"], judge["verdicts"]["n"]) for judge in judges] == [(1, 60)]
        board = build_dashboard(store, "campaign", cache=ReportCache())
        assert (board.run_id, board.counts["comparisons"], board.counts["verdicts"]) == (1, 60, 60)
    finally:
        store.close()
    # the second file again: everything in it is already in run 1, the same: refused as before, nothing written
    out, error = cli_import(tmp_path, part2, "--dataset", "campaign", capsys=capsys, fmt="alpacaeval-annotations")
    assert error.endswith(
        f"alpaca_part2.json: judge run '{GPT4}' (run 1) already has these verdicts on dataset 'campaign': "
        "alpaca_part2.json was already imported; nothing was written."
    )
    copy = tmp_path / "copy_of_part2.json"
    copy.write_bytes(part2.read_bytes())  # under another file name: the same verdicts of the same judge
    out, error = cli_import(tmp_path, copy, "--dataset", "campaign", capsys=capsys, fmt="alpacaeval-annotations")
    assert error.endswith(
        f"copy_of_part2.json: judge run '{GPT4}' (run 1) already has these verdicts on dataset 'campaign': "
        "copy_of_part2.json was already imported; nothing was written."
    )
    assert home_rows(tmp_path, RUNS) == [(1, 60)]


def _rows(keys: range, *, flipped: int | None = None) -> list[dict[str, Any]]:
    return [
        {
            "key": f"k{i}",
            "instruction": f"Question {i}",
            "response1": f"a{i}",
            "response2": f"b{i}",
            "model1": "A",
            "model2": "B",
            "verdict": "2" if i == flipped else "1",
        }
        for i in keys
    ]


def test_a_table_with_the_same_judge_name_extends_its_run(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.sqlite3")
    try:
        first = import_file(store, jsonl_file(tmp_path / "votes.jsonl", _rows(range(12))), "jsonl",
                            ImportOptions(judge="gpt-4"))  # fmt: skip
        assert first.runs[0].describe() == "12 verdicts of gpt-4 (run 1, 0 unparsed)"
        more = jsonl_file(tmp_path / "more.jsonl", _rows(range(12, 20)))
        summary = import_file(store, more, "jsonl", ImportOptions(dataset="votes", judge="gpt-4"))
        assert "8 verdicts of gpt-4 added to run 1 (now 20 verdicts; 0 of the new unparsed)." in summary.describe()
        assert summary.warnings == ()
        # another judge name is another judge: a run of its own, as before
        other = import_file(store, jsonl_file(tmp_path / "o.jsonl", _rows(range(20, 24))), "jsonl",
                            ImportOptions(dataset="votes", judge="claude"))  # fmt: skip
        assert other.runs[0].run_id == 2 and other.runs[0].before == 0
        # a file of the same judge name that judges some of run 1's comparisons differently: kept apart, said
        overlap = jsonl_file(tmp_path / "rerun.jsonl", _rows(range(16, 28), flipped=17))
        summary = import_file(store, overlap, "jsonl", ImportOptions(dataset="votes", judge="gpt-4"))
        assert summary.runs[0].run_id == 3
        assert summary.warnings == (
            "Warning: Not added to run 1 of the same judge, which already has verdicts on 4 of these 12 "
            "(comparison, order) pairs (some different): stored as run 3, which the figures show apart.",
        )
        assert summary.warnings[0] in summary.describe()
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute(RUNS).fetchall() == [(1, 20), (2, 4), (3, 12)]


def test_a_run_imported_with_an_older_profile_name_is_still_extended(tmp_path: Path) -> None:
    """Runs imported before session 16 name the file layout as their profile ("alpaca_eval"); later imports say
    "imported (AlpacaEval file layout)": where the verdicts were read, like the file's name, not another judge."""
    store = open_store(tmp_path / "db.sqlite3")
    try:
        import_file(store, jsonl_file(tmp_path / "votes.jsonl", _rows(range(12))), "jsonl", ImportOptions(judge="j"))
        with sqlite3.connect(tmp_path / "db.sqlite3") as db:
            db.execute("UPDATE judge_runs SET fingerprint = json_set(fingerprint, '$.profile', 'older-name')")
        more = jsonl_file(tmp_path / "more.jsonl", _rows(range(12, 15)))
        summary = import_file(store, more, "jsonl", ImportOptions(dataset="votes", judge="j"))
        assert (summary.runs[0].run_id, summary.runs[0].before) == (1, 12)
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute(RUNS).fetchall() == [(1, 15)]
