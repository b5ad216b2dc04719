"""One rule for a dataset name that is not in the database (``orchestration.catalog.require_dataset``):
the command line (``judge``, ``rate``, ``metrics``, ``report``, ``export``) and REST (``/metrics``,
``/report-card``, ``/export``: 404, after the role check) say the same one line, before any progress bar
or model, and a typo never seeds the demo into an empty database. A dataset that exists but holds
nothing of the kind asked for is a separate input error. Real SQLite files, the CLI as a subprocess,
the real app over HTTP."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = "judge-studio-demo"
DATABASE = "judge-studio.sqlite3"  # Settings.database under JUDGE_STUDIO_HOME
# every table a typo could have written to (the demo seeds datasets, comparisons, sessions, gold labels)
WRITTEN = ("datasets", "prompts", "responses", "comparisons", "annotation_sessions", "gold_labels", "judge_runs")


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "app.py", *args], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT
    )


def _rows(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in WRITTEN}


def _refused(home: Path, *args: str) -> str:
    """The command's whole standard error, after checking that it failed."""
    result = _run(home, *args)
    assert result.returncode != 0, result.stdout + result.stderr
    assert result.stdout == ""
    return result.stderr


COMMANDS = {
    "judge": ["judge", "--dataset", "demo-typo"],
    "rate": ["rate", "--dataset", "demo-typo"],
    "metrics": ["metrics", "--dataset", "demo-typo"],
    "report": ["report", "--dataset", "demo-typo"],
    "export": ["export", "--dataset", "demo-typo"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_typo_on_an_empty_database_is_one_line_and_writes_nothing(tmp_path: Path, command: str) -> None:
    stderr = _refused(tmp_path, *COMMANDS[command])
    # the one line and nothing before it: no "Judge: ..." line, no "Judging: 0judgment" bar, no model
    assert stderr == "judge-studio: There is no dataset named 'demo-typo' (datasets: none).\n"
    if (tmp_path / DATABASE).exists():  # judge and rate open (and migrate) it; nothing is seeded
        assert set(_rows(tmp_path / DATABASE).values()) == {0}


def _questions_only(home: Path, shared_data: Path) -> None:
    """A dataset ``mt-bench`` with MT-Bench's questions and no answers: no comparisons, no responses."""
    questions = shared_data / "mt_bench" / "question.jsonl"
    imported = _run(home, "import", str(questions), "--format", "mtbench-questions")
    assert imported.returncode == 0, imported.stderr


def test_a_typo_names_the_datasets_there_are_and_the_demo_is_not_added(tmp_path: Path, shared_data: Path) -> None:
    _questions_only(tmp_path, shared_data)
    for args in COMMANDS.values():
        assert _refused(tmp_path, *args) == (
            "judge-studio: There is no dataset named 'demo-typo' (datasets: mt-bench).\n"
        ), args
    with sqlite3.connect(tmp_path / DATABASE) as db:
        assert db.execute("SELECT name FROM datasets").fetchall() == [("mt-bench",)]  # no demo seeded


def test_a_dataset_without_comparisons_or_responses_is_a_separate_message(tmp_path: Path, shared_data: Path) -> None:
    """MT-Bench questions alone: the dataset exists, so the message says what it lacks, not "no dataset"."""
    _questions_only(tmp_path, shared_data)
    judged = _refused(tmp_path, "judge", "--dataset", "mt-bench")
    assert judged == (
        "judge-studio: The dataset 'mt-bench' has no comparisons to judge: import model answers or pairs of "
        "responses into it first.\n"
    )
    metrics = _refused(tmp_path, "metrics", "--dataset", "mt-bench")
    assert "The dataset 'mt-bench' has no comparisons to report on" in metrics and "no dataset named" not in metrics
    rated = _refused(tmp_path, "rate", "--dataset", "mt-bench")
    assert rated == "judge-studio: The dataset 'mt-bench' has no responses to rate: import responses into it first.\n"


def test_checkup_never_seeds_the_demo_and_says_a_missing_suite_file_before_the_bar(tmp_path: Path) -> None:
    stderr = _refused(tmp_path, "checkup", "--data", str(tmp_path / "no-such-folder"))
    assert stderr.startswith("judge-studio: The EvalBiasBench") and "no-such-folder" in stderr
    assert "Checkup:" not in stderr and "Judge:" not in stderr
    assert set(_rows(tmp_path / DATABASE).values()) == {0}


@pytest.mark.parametrize("path", ["/metrics", "/report-card", "/export"])
def test_rest_answers_404_with_the_same_line_after_the_role_check(live_app, path: str) -> None:
    studio = live_app.studio
    reviewer = {"Authorization": f"Bearer {studio.access.api_token('rita')}"}
    annotator = {"Authorization": f"Bearer {studio.access.api_token('alice')}"}
    url = live_app.url + "api/v1" + path
    missing = httpx.get(url, params={"dataset": "demo-typo"}, headers=reviewer, timeout=60)
    assert missing.status_code == 404, missing.text
    assert missing.json()["detail"] == f"There is no dataset named 'demo-typo' (datasets: {DEMO})."
    assert httpx.get(url, params={"dataset": "demo-typo"}, headers=annotator, timeout=60).status_code == 403
    # the command line says the very same words over the same database
    command = {"/metrics": "metrics", "/report-card": "report", "/export": "export"}[path]
    cli = _refused(live_app.db_path.parent, command, "--dataset", "demo-typo")
    assert cli == f"judge-studio: {missing.json()['detail']}\n"


@pytest.mark.model
def test_judge_without_a_dataset_still_seeds_and_judges_the_demo_on_a_fresh_install(tmp_path: Path) -> None:
    result = _run(tmp_path, "judge", "--limit", "1")
    assert result.returncode == 0, result.stderr
    assert "Judged 1 comparison of" in result.stdout
    with sqlite3.connect(tmp_path / DATABASE) as db:
        assert db.execute("SELECT name FROM datasets").fetchall() == [(DEMO,)]
        assert db.execute("SELECT count(*) FROM judge_verdicts").fetchone()[0] >= 1
