"""The Case study and Admin pages in Debian's chromium (s9 tester "judge", findings 2, 13, 14): a 5 MB
response is shown cut (and quickly), the Admin "At most" box is empty, a refused "Judge this pair" shows
a note without Gradio's red error overlay, and the open Decoding accordion does not stretch the Run judge
button. On the app without a judge (``live_app``): no judgment is made."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from test_browser_answers import browser_page

from interchange.importers import import_table

pytestmark = [pytest.mark.browser]

SHOTS = os.environ.get("JUDGE_STUDIO_TEST_SHOTS")  # a folder: screenshots to look at, when set


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _import_big(studio: Any, tmp_path: Path) -> None:
    line = "A long line of the response, with <tags> and `code`.\n"
    path = tmp_path / "big.jsonl"
    row = {"q": "Say a lot.", "a": "short", "b": line * (5_000_000 // len(line))}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    import_table(
        studio.store, path, mapping={"instruction": "q", "response1": "a", "response2": "b"}, model1="A", model2="B"
    )


def _pick(page: Any, selector: str, value: str) -> None:
    box = page.locator(f"{selector} input")
    box.fill(value)
    box.press("Enter")


def test_case_study_shows_a_5_mb_response_cut_and_quickly(live_app: Any, tmp_path: Path) -> None:
    _import_big(live_app.studio, tmp_path)
    with browser_page(live_app.url, "rita", "rita-pass-1") as page:
        page.get_by_role("tab", name="Case study").click()
        _pick(page, "#case-dataset", "big")
        started = time.monotonic()
        page.wait_for_function(
            "document.querySelector('#case-response-2')?.innerText.includes('Shown: the first 100 KB of 5.0 MB')",
            timeout=20_000,
        )
        took = time.monotonic() - started
        _shot(page, "big")
        assert took < 10, f"the page took {took:.1f} s"
        assert page.locator("#case-response-2").inner_text().count("A long line of the response") < 2_000


def test_the_run_button_keeps_its_height_and_a_refusal_is_a_note(live_app: Any) -> None:
    with browser_page(live_app.url, "admin", "admin-pass-1") as page:
        page.get_by_role("tab", name="Case study").click()
        button = page.locator("#run-judge")
        button.wait_for()
        closed = button.bounding_box()["height"]
        page.locator("#judge-decoding").get_by_text("Decoding").click()
        page.locator("#judge-max-new-tokens").wait_for()
        page.wait_for_timeout(300)
        _shot(page, "decoding")
        assert button.bounding_box()["height"] <= closed + 2, "the open accordion stretched the button"

        page.get_by_role("tab", name="Admin").click()
        page.locator("#admin-judge-section").get_by_text("Judge a dataset").click()
        limit = page.locator("#admin-judge-limit input")
        limit.wait_for()
        page.wait_for_timeout(300)
        assert limit.input_value() == "", "the box says 'empty: all', so it starts empty"
        _pick(page, "#admin-judge-dataset", "no-such-data")
        page.locator("#admin-judge-run").click()
        page.locator("#admin-judge-result").get_by_text("There is no dataset named").wait_for(timeout=20_000)
        page.wait_for_timeout(500)
        _shot(page, "refused")
        assert page.locator("span.error:visible").count() == 0, "no red Error badge on the outputs"
