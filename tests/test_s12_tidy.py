"""Session 12, task "tidy": four read-through findings of session 11, mended.

* ``rate``'s bar and the run read one plan (``Studio.plan_rating``): when the judge that loads is not the one
  planned for (a grading session's judge), the run says its new total before its first rating, and "skipped"
  counts this dataset's responses only (it counted every response the judge's run ever rated).
* The judge status says "loading" only while the model loads, not while a rater or variant lookup holds the
  judge's lock; a retry after a failed load says "loading" too.
* The web and UI layers ask orchestration, not ``studio.store``, whether a session exists, for an API token,
  whether an account is active and for a page's open sessions.

Real SQLite files and the real demo judge where a judge rates; no mocks."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from test_s11_cli import GRADE, GRADING, _grading_dataset

from annotation_store import NewJudgeRating
from errors import NotFound
from judge_runtime import JudgeLoadError
from judge_runtime.factory import planned_fingerprint_key
from orchestration import Settings, Studio

ROOT = Path(__file__).resolve().parent.parent
DEMO = "judge-studio-demo"


def _settings(db_path: Path) -> Settings:
    return Settings(home=db_path.parent, judge_demo_on_start=False)


# ------------------------------------------------------------------ 1: one rating plan


def test_the_plan_skips_only_this_datasets_rated_responses(db_path: Path, tmp_path: Path) -> None:
    studio = Studio.open(_settings(db_path))
    responses = _grading_dataset(studio, tmp_path)
    key = planned_fingerprint_key(studio.rating_spec)
    assert key is not None
    run = studio.store.ensure_judge_run(key, {"model": "demo", "profile": "mtbench-single"})
    for response in studio.store.responses(DEMO)[:2]:  # the same judge rated two responses of another dataset
        studio.store.save_judge_rating(run, NewJudgeRating(response.id, 5.0, "ok"))
    plan = studio.plan_rating(GRADE)
    assert (plan.total, plan.skipped, plan.key) == (3, 0, key)
    studio.store.save_judge_rating(run, NewJudgeRating(responses[1], 7.0, "ok"))
    plan = studio.plan_rating(GRADE, 1)
    assert (plan.skipped, [r.id for r in plan.todo]) == (1, [responses[0]])
    assert studio.plan_rating(DEMO).skipped == 2
    session_plan = studio.plan_rating(GRADE, session=GRADING)  # a session's judge is known once it loads
    assert (session_plan.key, session_plan.total, session_plan.skipped) == (None, 3, 0)
    assert studio._judge is None  # nothing was loaded to plan


@pytest.mark.model
def test_the_bar_and_the_run_count_one_plan_when_the_session_judge_loads(
    db_path: Path, tmp_path: Path, quick_judge: object
) -> None:
    """A grading session's judge is planned only once it loads: the plan had every response (the bar read
    "0/3") while the run rated the two left, and the run's "skipped" counted another dataset's ratings."""
    settings = _settings(db_path)
    first = Studio.open(settings, judge_loader=lambda _spec: quick_judge)  # type: ignore[arg-type,return-value]
    responses = _grading_dataset(first, tmp_path)
    rater = first.rater("mtbench-single", GRADING)
    run = first.store.ensure_judge_run(rater.fingerprint_key, rater.fingerprint)
    for response_id in [r.id for r in first.store.responses(DEMO)[:2]] + responses[:1]:
        first.store.save_judge_rating(run, NewJudgeRating(response_id, 5.0, "ok"))  # 2 demo responses, 1 here

    studio = Studio.open(settings, judge_loader=lambda _spec: quick_judge)  # type: ignore[arg-type,return-value]
    plan = studio.plan_rating(GRADE, session=GRADING)
    assert plan.total == 3 and studio._judge is None  # what the bar starts with, before the judge loads
    seen: list[tuple[int, int]] = []
    summary = studio.rate_planned(plan, on_progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 2) and seen[-1] == (2, 2), seen  # the new total before the first rating
    assert (summary.rated, summary.skipped) == (2, 1)
    rated = studio.store.rated_response_ids(summary.run_id)
    assert rated >= {int(r.id) for r in studio.store.responses(GRADE)}


# ------------------------------------------------------------------ 2: "loading" only while the model loads


def test_the_judge_status_says_loading_only_while_the_model_loads(db_path: Path) -> None:
    started, release = threading.Event(), threading.Event()

    def loader(_spec: object) -> object:
        started.set()
        release.wait(30)
        raise JudgeLoadError("no weights here")

    studio = Studio.open(_settings(db_path), judge_loader=loader)  # type: ignore[arg-type]
    first_use = studio.judge_status()
    assert first_use.endswith("loads at its first use.")
    with studio._judge_lock:  # a rater or variant lookup holds the lock a moment: nothing loads
        assert studio.judge_status() == first_use

    def load() -> None:
        with pytest.raises(JudgeLoadError):
            studio.judge()

    for _attempt in range(2):  # the first load, and a retry after it failed
        started.clear()
        release.clear()
        thread = threading.Thread(target=load)
        thread.start()
        assert started.wait(30)
        assert studio.judge_status().startswith("Judge loading: ")
        release.set()
        thread.join(30)
        assert studio.judge_status() == "Judge failed to load: no weights here"


# ------------------------------------------------------------------ 3: web and UI ask orchestration


def test_an_unknown_session_is_said_by_the_answer_desks(db_path: Path) -> None:
    studio = Studio.open(_settings(db_path))
    for desk in (studio.desk, studio.grading):
        with pytest.raises(NotFound, match="'nope'"):
            desk.require_session("nope")
    for session in studio.store.sessions():
        studio.desk.require_session(session.name)  # any kind: no error
    names = {s.name for s in studio.grading.open_sessions()}
    assert names and all(s.kind == "single" for s in studio.grading.open_sessions())
    assert names.isdisjoint(s.name for s in studio.desk.open_sessions())


@pytest.mark.parametrize(
    "path", ["web/routes/common.py", "web/routes/tokens.py", "web/context.py", "ui/answer_page.py"]
)
def test_these_web_and_ui_modules_do_not_reach_the_store(path: str) -> None:
    assert "studio.store" not in (ROOT / path).read_text(encoding="utf-8")
