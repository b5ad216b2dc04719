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


def test_unknown_dataset_is_a_clear_error(tmp_path: Path) -> None:
    result = _run(tmp_path, "judge", "--dataset", "nope")
    assert result.returncode != 0
    assert "Dataset 'nope' has no comparisons (datasets: judge-studio-demo)" in result.stderr


def test_serve_refuses_a_public_address(tmp_path: Path) -> None:
    result = _run(tmp_path, "serve", "--host", "0.0.0.0")
    assert result.returncode != 0 and "Refusing to listen on 0.0.0.0" in result.stderr
