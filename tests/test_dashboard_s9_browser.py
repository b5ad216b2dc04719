"""The Dashboard's "Judge run" picker in Debian's chromium after a quick dataset switch (s9 tester "lead",
finding 1): the answer about the dataset shown first is made slow on purpose (3 s: PandaLM's first
load took 6 s), the reviewer switches datasets meanwhile, and the picker must end on the new dataset's
runs, with no "not in the list of choices" error. On the app without a judge (``live_app``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_browser_answers import browser_page

from interchange.importers import import_table

pytestmark = [pytest.mark.browser]

FIRST = "first"  # the dataset the pages open on (the newest import)


def _slow_for(studio: Any, dataset: str, seconds: float) -> tuple[list[str], list[str]]:
    """``studio.judge_run_choices`` answers as before, ``seconds`` late for ``dataset`` (a slow first
    load of a large dataset); returns the datasets asked about and those answered, in order."""
    asked: list[str] = []
    answered: list[str] = []
    answer = studio.judge_run_choices

    def late(name: str | None) -> list[tuple[str, int]]:
        asked.append(str(name))
        if name == dataset:
            time.sleep(seconds)
        try:
            return answer(name)
        finally:
            answered.append(str(name))

    studio.judge_run_choices = late
    return asked, answered


def _until(done: Callable[[], bool], page: Any, limit: float = 60.0) -> None:
    """Waits (the page's clock running) until ``done()`` or ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not done():
        page.wait_for_timeout(250)


def _every_answer_given(asked: list[str], answered: list[str], page: Any) -> None:
    """Waits until the new dataset has been asked about and every question (late ones too) is answered:
    on a loaded 2-core machine Gradio's queue may answer the questions one after another."""
    _until(lambda: "other" in asked and len(answered) == len(asked), page)
    page.wait_for_timeout(1500)  # the last answer reaches the page


def test_a_slow_answer_about_the_first_dataset_does_not_take_the_run_picker(live_app: Any, tmp_path: Path) -> None:
    studio = live_app.studio
    rows = [{"q": f"q{i}", "a": f"a{i}", "b": f"b{i}!", "l1": "1", "v": "2"} for i in range(6)]
    path = tmp_path / "other.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    mapping = {"instruction": "q", "response1": "a", "response2": "b", "label:ann1": "l1", "verdict": "v"}
    import_table(studio.store, path, mapping=mapping, model1="A", model2="B", judge="other-judge")
    ((other_label, _other_run),) = studio.judge_run_choices("other")
    first = tmp_path / "first.jsonl"  # imported last: the newest dataset, so the pages open on it
    first.write_text("".join(json.dumps(r) + "\n" for r in rows[:3]), encoding="utf-8")
    import_table(studio.store, first, mapping=mapping, model1="A", model2="B", judge="first-judge")
    assert studio.default_dataset() == FIRST
    with browser_page(live_app.url, "rita", "rita-pass-1") as page:
        page.wait_for_timeout(1500)  # the page's own load events (the first dataset's runs) are answered
        asked, answered = _slow_for(studio, FIRST, 3.0)
        page.get_by_role("tab", name="Dashboard").click()  # tab.select: the first dataset's runs, 3 s late
        _until(lambda: bool(asked), page)  # that question has reached the server before the switch is sent
        picker = page.locator("#dashboard-dataset input")
        picker.fill("other")
        picker.press("Enter")
        page.wait_for_function(  # the run-picker queue answers one at a time: slow on a loaded machine
            "document.querySelector('#dashboard-summary').innerText.includes('6 comparisons')", timeout=90_000
        )
        _every_answer_given(asked, answered, page)  # the late answer about the first dataset has come and gone
        assert asked[:1] == [FIRST] and "other" in asked  # the race happened: the first dataset asked first
        assert picker.input_value() == "other"
        assert page.locator("#dashboard-judge input").input_value() == other_label
        assert "not in the list of choices" not in page.locator("body").inner_text()
        assert "6 comparisons" in page.locator("#dashboard-summary").inner_text()
