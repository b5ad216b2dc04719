"""Take the docs' screenshots of every page with Debian's chromium (``make screenshots``).

Starts the app (``ui.create_app`` with uvicorn) in-process on a throw-away database, judges a few
demo comparisons with the real demo judge, enters labels for two demo annotators (following the
demo dataset's designed quality order, atlas > borealis > verbose > cirrus > drizzle, so the
people's graph has something to show), then logs in as an annotator and as an admin and saves
``docs/screenshots/{login,annotate,grade,grade_rubric,case_study,dashboard,review,report_card,admin,
admin_prompts}.png``.
A short judge checkup (``SHOT_CHECKUP`` EvalBiasBench pairs, both orders) fills the dashboard's checkup
table, a 1-5 grading session with its own rubric is shown on the Grade page, and two graders rate a
few responses in a session with a gold response (the dashboard's graders table).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orchestration import Settings, Studio  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DESIGNED_ORDER = ["atlas-13b-chat", "borealis-7b-dpo", "verbose-7b-sft", "cirrus-3b-base", "drizzle-1b"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


RUBRIC_SESSION = "Rubric grading (1-5)"
RUBRIC = """[Does the response answer the question correctly and completely?]
Score 1: Wrong or off-topic.
Score 2: Mostly wrong, with a correct detail.
Score 3: Partly right; important parts missing or wrong.
Score 4: Right, with minor gaps.
Score 5: Right and complete."""


def designed_label(model1: str, model2: str) -> str:
    return "1" if DESIGNED_ORDER.index(model1) < DESIGNED_ORDER.index(model2) else "2"


GOLD_SESSION = "Graders with gold checks"


def grade_with_gold(studio: Studio) -> None:
    """Two graders rate five responses each in a session with one gold response (right: 1-3 of 10)
    at gold rate 0.25 (one gold in each block of 4 items, at a drawn slot, so each meets it): grader-a rates
    it low (passes), grader-b high (fails)."""
    first = next(r for r in studio.store.responses("judge-studio-demo") if r.model == DESIGNED_ORDER[-1])
    why = "The response does not answer the question asked; a careful grader rates it 1-3."
    studio.store.set_gold_rating(first.id, 10, 1, 3, why)
    studio.store.save_session(GOLD_SESSION, "judge-studio-demo", kind="single", overlap=2, gold_rate=0.25)
    for grader, off in (("grader-a", 0), ("grader-b", 5)):
        studio.store.create_annotator(grader, password=f"{grader}-pass-1")
        for _ in range(5):
            item = studio.grading.next_item(grader, GOLD_SESSION)
            if item is None:
                break
            quality = 9 - 2 * DESIGNED_ORDER.index(item.response.model)
            rating = 2 + off if item.id == first.id else max(1, min(10, quality))
            studio.grading.submit(grader, GOLD_SESSION, item.id, rating)


def prepare(studio: Studio, judged: int, labelled: int) -> None:
    studio.judge_dataset(limit=judged, on_progress=lambda done, total: print(f"judged {done}/{total}", end="\r"))
    table = studio.store.comparison_table().head(labelled)
    split = []
    for row in table.to_dict("records"):
        label = designed_label(str(row["model1"]), str(row["model2"]))
        studio.submit_label(int(row["id"]), "demo-annotator-a", label)
        studio.submit_label(int(row["id"]), "demo-annotator-b", label if int(row["id"]) % 7 else "tie")
        if int(row["id"]) % 7 == 0:
            split.append((int(row["id"]), label))
    studio.store.create_annotator("admin", role="admin", kind="expert", password="admin-pass-1")
    for comparison_id, label in split[:2]:  # a reviewer settles two split comparisons (Review page)
        studio.store.adjudicate(comparison_id, "admin", label, "The first response follows the instruction.")
    from orchestration.checkup import run_checkup

    run_checkup(studio, limit=int(os.environ.get("SHOT_CHECKUP", "12")))
    studio.store.save_session(RUBRIC_SESSION, "judge-studio-demo", kind="single", scale=5, overlap=3, rubric=RUBRIC)
    grade_with_gold(studio)
    studio.dashboard()  # warm up: the statistics' lazy imports happen here, not in concurrent page loads


def serve(studio: Studio, port: int):  # type: ignore[no-untyped-def]
    import threading
    import time

    import uvicorn

    from web import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(studio), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def log_in(page, url: str, name: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.locator("input[type=text]").first.fill(name)
    page.locator("input[type=password]").first.fill(password)
    page.get_by_role("button", name="Login").click()
    page.get_by_text("Signed in as").wait_for()


def case_study(page, judged: int) -> None:  # type: ignore[no-untyped-def]
    """A comparison the judge has not judged yet, judged live (waits for the new verdict)."""
    page.get_by_role("tab", name="Case study").click()
    page.get_by_text("Comparison #1").first.wait_for()
    picker = page.locator("#case-picker input")
    picker.click()
    picker.fill(f"#{judged + 1} ")
    page.get_by_role("option", name=f"#{judged + 1} ·").first.click()
    page.get_by_text("Not judged yet").first.wait_for()
    page.locator("#run-judge").click()
    page.locator("#judge-verdict h3").first.wait_for(timeout=600_000)  # a verdict, or why there is none
    page.wait_for_function("!document.querySelector('#run-judge')?.disabled", timeout=60_000)  # Run back, Stop off
    page.wait_for_timeout(500)
    page.screenshot(path=str(OUT / "case_study.png"), full_page=True)


def review(page) -> None:  # type: ignore[no-untyped-def]
    """The review queue with its first comparison opened (labels, judge verdicts, the final-label form)."""
    page.get_by_role("tab", name="Review").click()
    page.wait_for_function("document.querySelector('#review-count').innerText.trim().length > 0")
    page.locator("#review-queue [data-testid=cell-0-1]").click()
    page.wait_for_function("document.querySelector('#review-header').innerText.includes('Comparison')")
    page.screenshot(path=str(OUT / "review.png"), full_page=True)


def report_card(page) -> None:  # type: ignore[no-untyped-def]
    """The report card of the demo dataset: answer, conclusion, caveats, reliability and win rates."""
    page.get_by_role("tab", name="Report card").click()
    page.wait_for_function("document.querySelector('#card-dataset input')?.value?.length > 0")
    page.locator("#card-show").click()
    page.wait_for_function("document.querySelector('#card-markdown').innerText.trim().length > 40", timeout=120_000)
    page.wait_for_timeout(3000)  # plotly draws after the data arrives
    page.screenshot(path=str(OUT / "report_card.png"), full_page=True)


def admin(page) -> None:  # type: ignore[no-untyped-def]
    """The admin page after a short judge run (its progress bar and summary on screen)."""
    page.get_by_role("tab", name="Admin").click()
    page.locator("#admin-import").wait_for()
    page.locator("#admin-judge-section").get_by_text("Judge a dataset").click()
    page.locator("#admin-judge-limit input").fill("2")
    page.locator("#admin-judge-run").click()
    page.get_by_text("Done.", exact=False).first.wait_for(timeout=600_000)
    page.screenshot(path=str(OUT / "admin.png"), full_page=True)


def admin_prompts(page) -> None:  # type: ignore[no-untyped-def]
    """Admin -> Your own judge prompts: the example prompt saved as version 1 (its hash shown), with a test output."""
    page.locator("#admin-prompts-section").get_by_text("Your own judge prompts").click()
    page.locator("#admin-prompt-name textarea, #admin-prompt-name input").first.fill("careful-judge")
    box = page.locator("#admin-prompt-test-output textarea, #admin-prompt-test-output input").first
    box.fill("Answer B is more precise and cites the source. [[B]]")
    page.locator("#admin-prompt-save").click()
    page.wait_for_function("document.querySelector('#admin-prompt-result').innerText.includes('version')")
    page.locator("#admin-prompts-section").screenshot(path=str(OUT / "admin_prompts.png"))


def grade_with_rubric(page) -> None:  # type: ignore[no-untyped-def]
    """The 1-5 session: five buttons and the session's rubric above the response."""
    page.reload()
    page.get_by_role("tab", name="Grade").click()
    page.locator("#grade-session input").click()
    page.get_by_role("option", name=RUBRIC_SESSION).click()
    page.locator("#start-grading").click()
    page.wait_for_function("document.querySelector('#grade-response').innerText.trim().length > 0")
    page.wait_for_timeout(500)
    page.screenshot(path=str(OUT / "grade_rubric.png"), full_page=True)


def main() -> None:
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="judge-studio-shots-"))
    studio = Studio.open(Settings(home=home))
    judged = int(os.environ.get("SHOT_JUDGED", "24"))
    prepare(studio, judged=judged, labelled=90)
    studio.store.create_annotator("alice", password="alice-pass-1")
    port = 7870
    server = serve(studio, port)
    url = f"http://127.0.0.1:{port}/"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.get_by_role("button", name="Login").wait_for()
        page.screenshot(path=str(OUT / "login.png"))
        # an annotator's session: blind, keyboard, the judge revealed after the submit
        log_in(page, url, "alice", "alice-pass-1")
        page.wait_for_function("document.querySelector('#annotate-session input')?.value?.length > 0")
        page.locator("#start-labelling").click()
        page.wait_for_function("document.querySelector('#annotate-header').innerText.includes('Item ')")
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("1")
        page.wait_for_function("document.querySelector('#annotate-choice input[value=left]')?.checked === true")
        page.keyboard.press("Enter")
        page.get_by_text("Saved", exact=False).first.wait_for()
        page.screenshot(path=str(OUT / "annotate.png"), full_page=True)
        page.get_by_role("tab", name="Grade").click()
        page.wait_for_function("document.querySelector('#grade-session input')?.value?.length > 0")
        page.locator("#grade-session input").click()  # the picker starts on a session an admin made
        page.get_by_role("option", name="Demo grading session").click()
        page.locator("#start-grading").click()
        page.wait_for_function("document.querySelector('#grade-response').innerText.trim().length > 0")
        page.locator("#grade-rating label").nth(7).click()
        page.locator("#submit-rating").click()
        page.wait_for_function("document.querySelector('#grade-feedback').innerText.includes('Rated')")
        page.screenshot(path=str(OUT / "grade.png"), full_page=True)
        grade_with_rubric(page)
        page.context.clear_cookies()
        # an admin sees every page
        log_in(page, url, "admin", "admin-pass-1")
        case_study(page, judged)
        page.get_by_role("tab", name="Dashboard").click()
        page.wait_for_function("document.querySelector('#dashboard-summary').innerText.includes('human labels')")
        page.wait_for_timeout(4000)  # plotly draws after the data arrives
        page.screenshot(path=str(OUT / "dashboard.png"), full_page=True)
        review(page)
        report_card(page)
        admin(page)
        admin_prompts(page)
        browser.close()
    server.should_exit = True
    print(f"\nScreenshots in {OUT}")


if __name__ == "__main__":
    main()
