"""`judge-studio judge` over the demo dataset: progress, stored verdicts, resumable."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.model


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parent.parent,
    )


def test_judge_command_stores_verdicts_and_a_second_run_skips_them(tmp_path: Path) -> None:
    first = _run(tmp_path, "judge", "--limit", "2", "--max-new-tokens", "48")
    assert first.returncode == 0, first.stderr
    assert "Judged 2 comparisons" in first.stdout
    assert "Judging" in first.stderr  # the progress bar
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM judge_verdicts").fetchone() == (2,)
    second = _run(tmp_path, "judge", "--limit", "1", "--max-new-tokens", "48")
    assert second.returncode == 0, second.stderr
    assert "Judged 1 comparisons" in second.stdout and "skipped 2 already judged" in second.stdout
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM judge_verdicts").fetchone() == (3,)
        assert db.execute("SELECT count(*) FROM judge_runs").fetchone() == (1,)


def test_rate_command_stores_the_judge_ratings_truthfully(tmp_path: Path) -> None:
    result = _run(tmp_path, "rate", "--limit", "1", "--max-new-tokens", "16")
    assert result.returncode == 0, result.stderr
    assert "Rated 1 responses" in result.stdout and "Rating" in result.stderr
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        ((status, score),) = db.execute("SELECT status, score FROM judge_ratings").fetchall()
    # the 135M demo judge writes no [[rating]]: stored as unparsed/truncated without a score, never made up
    assert (status == "ok") == (score is not None)


def test_unknown_dataset_is_a_clear_error(tmp_path: Path) -> None:
    result = _run(tmp_path, "judge", "--dataset", "nope")
    assert result.returncode != 0
    assert "Dataset 'nope' has no comparisons (datasets: judge-studio-demo)" in result.stderr


def test_evaluate_command_ranks_candidate_files(tmp_path: Path) -> None:
    import json

    (tmp_path / "a.json").write_text(json.dumps(["Paris.", "4"]))
    (tmp_path / "b.json").write_text(json.dumps(["Berlin.", "5"]))
    (tmp_path / "inputs.json").write_text(json.dumps([{"instruction": "Capital of France?"}, {"instruction": "2+2?"}]))
    out = tmp_path / "results" / "out.json"
    result = _run(
        tmp_path,
        "evaluate",
        str(tmp_path / "a.json"),
        str(tmp_path / "b.json"),
        "--input",
        str(tmp_path / "inputs.json"),
        "--output",
        str(out),
        "--max-new-tokens",
        "8",
    )
    assert result.returncode == 0, result.stderr
    saved = json.loads(out.read_text())
    assert len(saved["samples"]) == 2 and {s["status"] for s in saved["samples"]} == {"ok"}
    table = saved["win_table"][0]
    assert table["wins_a"] + table["wins_b"] + table["ties"] == 2
    missing = _run(tmp_path, "evaluate", str(tmp_path / "a.json"), "--output", str(out))
    assert missing.returncode != 0 and "At least two candidates are needed" in missing.stderr
