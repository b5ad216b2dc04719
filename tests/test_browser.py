"""What a person sees, in Debian's chromium driven by Playwright."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.model]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page(running_app: str):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.dialogs = []  # type: ignore[attr-defined]
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
        page.goto(running_app)
        log_in(page, "rita", "rita-pass-1")  # a reviewer: sees the case study, the dashboard and Annotate
        page.get_by_text("Judge LLM responses with a local judge model").wait_for()
        yield page
        browser.close()


def log_in(page, name: str, password: str) -> None:
    """Gradio's login page (every page of the app is behind it)."""
    page.locator("input[type=text]").first.fill(name)
    page.locator("input[type=password]").first.fill(password)
    page.get_by_role("button", name="Login").click()


def _pick_comparison(page, text: str) -> None:
    picker = page.locator("#case-picker input")
    picker.click()
    picker.fill(text)
    page.get_by_role("option", name=text, exact=False).first.click()


def test_case_study_shows_demo_data_side_by_side(page) -> None:
    page.get_by_text("Comparison #1").first.wait_for()
    assert "atlas-13b-chat" in page.locator("body").inner_text()
    assert page.locator("#case-response-1").inner_text().strip()
    assert page.locator("#case-response-2").inner_text().strip()


def test_html_in_a_response_shows_as_text_and_runs_nothing(page) -> None:
    _pick_comparison(page, "coding-03")
    response = page.locator("#case-response-1")
    page.wait_for_function("document.querySelector('#case-response-1').innerText.includes('alert(1)')")
    text = response.inner_text()
    assert "<script>alert(1)</script>" in text or "<img src=x onerror=alert(1)>" in text
    assert page.locator("#case-response-1 img, #case-response-2 img").count() == 0
    assert page.locator("#case-response-1 script, #case-response-2 script").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_annotator_labels_with_the_keyboard_blind_to_models(page, db_path: Path) -> None:
    page.get_by_role("tab", name="Annotate").click()
    page.locator("#annotator-name textarea, #annotator-name input").first.fill("erin")
    page.locator("#start-labelling").click()
    page.wait_for_function("document.querySelector('#annotate-response-1').innerText.trim().length > 0")
    annotate_text = page.locator("#tab-annotate").inner_text()
    models = ["atlas-13b-chat", "borealis-7b-dpo", "verbose-7b-sft", "cirrus-3b-base", "drizzle-1b"]
    assert not [m for m in models if m in annotate_text], "model names must stay hidden while labelling"
    assert "Verdict" not in annotate_text and "The judge said" not in annotate_text
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("2")
    page.get_by_text("Saved **Response 2 is better**", exact=False).or_(
        page.get_by_text("Saved Response 2 is better", exact=False)
    ).first.wait_for()
    page.keyboard.press("t")
    page.get_by_text("Saved Tie", exact=False).first.wait_for()
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT l.verdict FROM labels l JOIN annotators a ON a.id = l.annotator_id WHERE a.name = 'erin' "
            "ORDER BY l.id"
        ).fetchall()
    assert rows == [("2",), ("tie",)]
