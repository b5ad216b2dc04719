"""What a person sees, in Debian's chromium driven by Playwright."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from _chromium import CHROMIUM, fresh_context
from conftest import serve_app

from annotation_store import NewVerdict, open_store

pytestmark = [pytest.mark.browser, pytest.mark.model]


@contextmanager
def pages_of(url: str) -> Iterator[Any]:
    """``open_as(name, password)``: a chromium page logged in to the app at ``url`` as that account."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with ExitStack() as contexts:  # each page its own browser context of the shared chromium

        def open_as(name: str, password: str):
            context = contexts.enter_context(fresh_context(viewport={"width": 1400, "height": 1000}))
            page = context.new_page()
            page.dialogs = []  # type: ignore[attr-defined]
            page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
            page.goto(url)
            log_in(page, name, password)
            page.get_by_text("Signed in as").wait_for()
            return page

        yield open_as


@pytest.fixture
def open_page(running_app: str):
    """``open_page(name, password)``: a chromium page logged in to the app as that account."""
    with pages_of(running_app) as open_as:
        yield open_as


@pytest.fixture
def open_quick_page(db_path: Path, quick_judge):
    """Like ``open_page``, on an app whose judge writes at most 32 tokens (judge runs in seconds)."""
    with serve_app(db_path, judge_loader=lambda _spec: quick_judge) as app, pages_of(app.url) as open_as:
        yield open_as


@pytest.fixture
def page(open_page):
    """A reviewer's page on the Case study tab."""
    page = open_page("rita", "rita-pass-1")
    page.get_by_role("tab", name="Case study").click()
    return page


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


MODELS = ["atlas-13b-chat", "borealis-7b-dpo", "verbose-7b-sft", "cirrus-3b-base", "drizzle-1b"]


def test_annotator_labels_three_items_with_the_keyboard_blind_to_models_and_judge(
    open_page, db_path: Path, tmp_path: Path
) -> None:
    store = open_store(db_path)  # the judge has an opinion on every comparison: it must stay hidden until submit
    run = store.ensure_judge_run("fp-browser", {"model": "browser-test-judge"})
    for comparison_id in store.comparison_table()["id"].tolist():
        store.save_verdict(run, NewVerdict(int(comparison_id), "1", "ok", reason="JUDGE-REASON"))
    store.close()

    page = open_page("alice", "alice-pass-1")
    tabs = [t.inner_text() for t in page.get_by_role("tab").all()]
    assert tabs == ["Annotate", "Grade"], "an annotator sees no case study, dashboard, review or admin page"
    page.wait_for_function("document.querySelector('#annotate-session input')?.value === 'Demo session'")
    page.locator("#start-labelling").click()
    for key, expected in (("1", "Left is better"), ("2", "Right is better"), ("t", "Tie")):
        page.wait_for_function("document.querySelector('#annotate-header').innerText.includes('Item ')")
        header = page.locator("#annotate-header").inner_text()
        shown = page.locator("#tab-annotate").inner_text()
        assert not [
            m for m in MODELS if m in page.locator("#annotate-response-1, #annotate-response-2").first.inner_text()
        ]
        if key == "1":  # before the first submit nothing of the judge or the models is on the page
            assert "The judge said" not in shown and "JUDGE-REASON" not in shown
            assert not [m for m in MODELS if m in shown], "model names must stay hidden while labelling"
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press(key)
        page.wait_for_function(
            "(v) => [...document.querySelectorAll('#annotate-choice input')].some(i => i.checked && i.value === v)",
            arg={"1": "left", "2": "right", "t": "tie"}[key],
        )
        page.keyboard.press("Enter")
        page.get_by_text(f"Saved {expected}", exact=False).first.wait_for()
        page.wait_for_function(
            "(before) => document.querySelector('#annotate-header').innerText !== before", arg=header
        )
        feedback = page.locator("#annotate-feedback").inner_text()
        assert "The judge said" in feedback  # revealed after the submit (the demo session reveals it)
    page.screenshot(path=str(tmp_path / "annotate.png"), full_page=True)
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT l.verdict, l.presented_swapped, l.time_on_item_ms FROM labels l "
            "JOIN annotators a ON a.id = l.annotator_id WHERE a.name = 'alice' ORDER BY l.id"
        ).fetchall()
    # left/right as seen, mapped back to canonical order with the order shown stored beside it
    assert [(v, bool(sw)) for v, sw, _t in rows] == [
        ("2" if rows[0][1] else "1", bool(rows[0][1])),
        ("1" if rows[1][1] else "2", bool(rows[1][1])),
        ("tie", bool(rows[2][1])),
    ]
    assert all(t is not None and t > 0 for _v, _s, t in rows)


def test_going_back_with_the_arrow_key_edits_the_earlier_label(open_page, db_path: Path) -> None:
    store = open_store(db_path)  # nothing is shown after an answer and no gold check comes: edits stay open
    store.save_session("Demo session", "judge-studio-demo", reveal_judge=False, gold_rate=0)
    store.close()
    page = open_page("bob", "bob-pass-1")
    page.wait_for_function("document.querySelector('#annotate-session input')?.value === 'Demo session'")
    page.locator("#start-labelling").click()
    page.wait_for_function("document.querySelector('#annotate-header').innerText.includes('Item ')")
    first = page.locator("#annotate-header").inner_text()
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("1")
    page.wait_for_function("document.querySelector('#annotate-choice input[value=left]')?.checked === true")
    page.keyboard.press("Enter")
    page.get_by_text("Saved Left is better", exact=False).first.wait_for()
    page.keyboard.press("ArrowLeft")
    page.get_by_text("editing your earlier answer (version 1)", exact=False).wait_for()
    assert page.locator("#annotate-header").inner_text().split(" · ")[0] == first.split(" · ")[0]
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("t")
    page.wait_for_function("document.querySelector('#annotate-choice input[value=tie]')?.checked === true")
    page.keyboard.press("Enter")
    page.get_by_text("(version 2)", exact=False).first.wait_for()
    with sqlite3.connect(db_path) as db:
        assert db.execute(
            "SELECT l.verdict, l.version FROM labels l JOIN annotators a ON a.id = l.annotator_id WHERE a.name = 'bob'"
        ).fetchall() == [("tie", 2)]


def test_an_admin_sees_the_admin_page_and_a_reviewer_does_not(open_page) -> None:
    admin = open_page("admin", "admin-pass-1")
    assert [t.inner_text() for t in admin.get_by_role("tab").all()] == [
        "Annotate",
        "Grade",
        "Case study",
        "Dashboard",
        "Review",
        "Report card",
        "Admin",
    ]
    reviewer = open_page("rita", "rita-pass-1")
    assert "Admin" not in [t.inner_text() for t in reviewer.get_by_role("tab").all()]


def test_an_annotator_rates_a_single_response_and_submits_with_enter(open_page, db_path: Path) -> None:
    page = open_page("alice", "alice-pass-1")
    page.get_by_role("tab", name="Grade").click()
    page.wait_for_function("document.querySelector('#grade-session input')?.value?.length > 0")
    page.locator("#start-grading").click()
    page.wait_for_function("document.querySelector('#grade-response').innerText.trim().length > 0")
    assert not [m for m in MODELS if m in page.locator("#tab-grade, [id^=grade-]").first.inner_text()]
    page.locator("#grade-rating label").nth(6).click()  # 7
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#grade-feedback').innerText.includes('Rated')")
    with sqlite3.connect(db_path) as db:
        assert db.execute(
            "SELECT r.rating, r.version FROM ratings r JOIN annotators a ON a.id = r.annotator_id "
            "WHERE a.name = 'alice'"
        ).fetchall() == [(7, 1)]


def test_admin_judge_run_shows_a_progress_bar_with_a_count(open_quick_page, db_path: Path) -> None:
    """Issue 14 #4: while the judge runs, a bar and "judged N of M" are on screen (not 0 px tall)."""
    import re

    page = open_quick_page("admin", "admin-pass-1")
    page.get_by_role("tab", name="Admin").click()
    page.locator("#admin-judge-section").get_by_text("Judge a dataset").click()
    page.locator("#admin-judge-limit input").fill("2")
    page.locator("#admin-judge-run").click()
    count = page.get_by_text(re.compile(r"\b[0-2] ?(of|/) ?2\b")).first
    count.wait_for(state="visible", timeout=30_000)
    running = page.locator("#admin-judge-result").inner_text()
    box = page.locator("#admin-judge-progress progress").bounding_box()
    assert box is not None and box.get("height", 0) > 4 and box.get("width", 0) > 50
    assert "Loading the judge" not in page.locator("#admin-judge-progress").inner_text()
    assert "Done" not in running, "the count must be visible while the run is still going"
    page.get_by_text("Done.", exact=False).first.wait_for(timeout=180_000)
    assert "Judged 2 of 2" in page.locator("#admin-judge-progress").inner_text()
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT count(DISTINCT comparison_id) FROM judge_verdicts").fetchone() == (2,)


def test_review_a_mistyped_number_says_so_and_leaves_the_form_usable(open_page) -> None:
    """Issue 14 #7: no error overlay that intercepts clicks; the next number opens normally."""
    page = open_page("rita", "rita-pass-1")
    page.get_by_role("tab", name="Review").click()
    number = page.locator("#review-id input")
    number.fill("99999")
    page.locator("#review-open").click()
    page.get_by_text("There is no comparison with id 99999", exact=False).first.wait_for(timeout=15_000)
    page.locator("#review-rationale textarea").click(timeout=5_000)  # would hit an error overlay
    page.locator("#review-rationale textarea").fill("still usable")
    page.locator("#review-verdict label").first.click(timeout=5_000)
    number.fill("2")
    page.locator("#review-open").click(timeout=5_000)
    page.wait_for_function("document.querySelector('#review-header').innerText.includes('Comparison #2')")
    assert "There is no comparison" not in page.locator("#review-open-note").inner_text()


def test_a_dataset_imported_after_start_appears_and_its_names_show_as_text(
    open_page, db_path: Path, tmp_path: Path
) -> None:
    """Issue 13 #7 and #6: imported with the CLI's code after the page loaded, the dataset is in the
    Case study picker once the tab is opened; its model and dataset names (a backtick and an
    ``<img src=x>``) show as text, and nothing is fetched or run."""
    import json

    from orchestration import ImportOptions, import_file

    page = open_page("rita", "rita-pass-1")
    evil = "x`<img src=x>"
    rows = [
        {"instruction": f"Q{i}?", "response1": "a", "response2": "b", "model1": f"m {evil}", "model2": "plain"}
        for i in range(2)
    ]
    source = tmp_path / "late.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    mapping = {k: k for k in ("instruction", "response1", "response2", "model1", "model2")}
    store = open_store(db_path)
    import_file(store, source, "jsonl", ImportOptions(dataset=f"late {evil}", mapping=mapping))
    store.close()
    page.get_by_role("tab", name="Case study").click()
    picker = page.locator("#case-dataset input")
    picker.click()
    page.get_by_role("option", name=f"late {evil}").click(timeout=15_000)
    page.wait_for_function("document.querySelector('#case-header').innerText.includes('late')")
    header = page.locator("#case-header").inner_text()
    title = page.locator("#case-response-1-title, #case-response-2-title").all_inner_texts()
    assert "<img src=x>" in header and any("<img src=x>" in t for t in title)
    assert page.locator("#case-header img, #case-response-1-title img, #case-response-2-title img").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]
