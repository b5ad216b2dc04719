"""``judge-studio rate --rating-profile NAME --session NAME``: the judge rates a grading session's
dataset on the session's scale and against its rubric. The command runs as a user runs it (a
subprocess over a real SQLite file); a profile on the wrong scale is refused before the judge loads."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cli import parse_args, settings_from
from orchestration import AdminDesk, SessionForm, Settings, Studio
from orchestration.service import RATING_PROFILE
from settings.table import BY_NAME, SINGLE_PROFILES

ROOT = Path(__file__).resolve().parent.parent
DEMO = "judge-studio-demo"
RUBRIC = "[Is it right?]\nScore 1: No.\nScore 2: Barely.\nScore 3: Partly.\nScore 4: Mostly.\nScore 5: Yes."


def _run(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def _home_with_a_1_5_session(home: Path) -> None:
    studio = Studio.open(Settings(home=home))  # the demo data and its 1-10 "Demo grading session"
    studio.store.create_annotator("ada", role="admin", password="ada-pass-1")
    AdminDesk(studio).save_session("ada", SessionForm("Five", DEMO, kind="single", scale=5, rubric=RUBRIC))
    studio.store.close()


def test_the_rating_profile_is_a_setting_with_the_single_answer_profiles(monkeypatch: pytest.MonkeyPatch) -> None:
    assert BY_NAME["rating_profile"].value() == RATING_PROFILE == Settings().rating_profile
    assert SINGLE_PROFILES == ("mtbench-single", "prometheus2-absolute", "selene-absolute")
    args = parse_args(["rate", "--rating-profile", "selene-absolute", "--session", "Five"])
    assert (settings_from(args).rating_profile, args.session) == ("selene-absolute", "Five")
    monkeypatch.setenv("JUDGE_STUDIO_RATING_PROFILE", "prometheus2-absolute")
    assert settings_from(parse_args(["rate"])).rating_profile == "prometheus2-absolute"
    assert parse_args(["rate"]).session is None
    with pytest.raises(SystemExit):  # a pairwise profile is not a choice
        parse_args(["rate", "--rating-profile", "pandalm"])


def test_a_profile_on_another_scale_or_an_unknown_session_is_refused_before_the_judge_loads(tmp_path: Path) -> None:
    _home_with_a_1_5_session(tmp_path)
    wrong = _run(tmp_path, "rate", "--rating-profile", "prometheus2-absolute", "--session", "Demo grading session")
    assert wrong.returncode != 0
    assert "Profile 'prometheus2-absolute' rates 1-5 but the session rates 1-10: use mtbench-single." in wrong.stderr
    too_fine = _run(tmp_path, "rate", "--session", "Five")  # mtbench-single (1-10) on a 1-5 session
    assert "rates 1-10 but the session rates 1-5: use prometheus2-absolute or selene-absolute" in too_fine.stderr
    missing = _run(tmp_path, "rate", "--session", "nope")
    assert missing.returncode != 0 and "There is no annotation session 'nope'." in missing.stderr
    for result in (wrong, too_fine, missing):
        assert "Loading" not in result.stderr and "Traceback" not in result.stderr
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM judge_ratings").fetchone() == (0,)


@pytest.mark.model
def test_rate_grades_a_1_5_session_against_its_rubric(tmp_path: Path) -> None:
    """The demo judge (135M) rarely writes a parseable '[RESULT] n': what is checked is that the run is
    the Prometheus 2 profile with the session's rubric in its prompt and the ratings' scale is 5."""
    _home_with_a_1_5_session(tmp_path)
    args = ("rate", "--rating-profile", "prometheus2-absolute", "--session", "Five", "--limit", "1")
    result = _run(tmp_path, *args, "--max-new-tokens", "16", "--no-check")
    assert result.returncode == 0, result.stderr
    assert "profile prometheus2-absolute, grading session 'Five'" in result.stderr
    assert "Rated 1 response (" in result.stdout
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        ((profile, fingerprint),) = db.execute("SELECT profile, fingerprint FROM judge_runs").fetchall()
        ((scale, status, score),) = db.execute("SELECT scale, status, score FROM judge_ratings").fetchall()
    assert profile == "prometheus2-absolute" and scale == 5
    assert (status == "ok") == (score is not None) and (score is None or 1 <= score <= 5)
    from judge_runtime import get_profile, with_rubric
    from judge_runtime.loading import prompt_template_hash

    expected = prompt_template_hash(with_rubric(get_profile("prometheus2-absolute"), RUBRIC))
    assert json.loads(fingerprint)["prompt_template_hash"] == expected  # the session's rubric, not the default
