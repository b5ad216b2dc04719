"""The embedded default as a new user meets it: the demo data is seeded by an explicit step, and on a
first start the demo judge judges the demo dataset in the background, with progress the pages show."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from annotation_store import DEMO_DATASET_NAME, open_store
from orchestration import DEMO_GRADING_SESSION, DEMO_SESSION, Settings, Studio, seed_demo


def test_seeding_is_an_explicit_step_and_happens_once(tmp_path: Path) -> None:
    bare = Studio(Settings(home=tmp_path))
    assert bare.store.dataset_names() == []  # constructing a Studio writes nothing
    opened = Studio.open(Settings(home=tmp_path), store=bare.store)
    assert DEMO_DATASET_NAME in opened.store.dataset_names()
    assert {DEMO_SESSION, DEMO_GRADING_SESSION} <= {s.name for s in opened.store.sessions()}
    before = len(opened.store.comparison_table(DEMO_DATASET_NAME))
    seed_demo(opened.store)
    assert len(opened.store.comparison_table(DEMO_DATASET_NAME)) == before
    assert Studio.open(Settings(home=tmp_path / "off", seed_demo=False)).store.dataset_names() == []


@pytest.mark.model
def test_first_start_judges_the_demo_dataset_in_the_background_with_progress(db_path: Path, quick_judge) -> None:
    gate = threading.Event()

    def slow_loader(_spec):
        gate.wait(timeout=60)  # hold the judge back so the "loading" state can be seen
        return quick_judge

    studio = Studio.open(Settings(home=db_path.parent), judge_loader=slow_loader)
    thread = studio.judge_demo_in_background(limit=3)
    assert "loading" in studio.background.message()
    gate.set()
    thread.join(timeout=600)
    assert studio.background.state == "finished", studio.background.error
    assert (studio.background.done, studio.background.total) == (3, 3)
    assert studio.background.message() == ""  # nothing left to report on the pages
    store = open_store(db_path)
    try:
        verdicts = store.verdicts(DEMO_DATASET_NAME)
        assert len(verdicts) == 3  # stored for real, with the demo judge's fingerprint
    finally:
        store.close()
    again = studio.judge_demo_in_background(limit=3)  # a restart carries on: nothing judged twice
    again.join(timeout=600)
    assert len(studio.store.verdicts(DEMO_DATASET_NAME)) == 6


def test_a_failed_background_run_is_reported_not_raised(tmp_path: Path) -> None:
    def broken(_spec):
        raise RuntimeError("no weights here")

    studio = Studio.open(Settings(home=tmp_path), judge_loader=broken)
    studio.judge_demo_in_background().join(timeout=60)
    assert studio.background.state == "failed"
    assert "no weights here" in studio.background.message()
