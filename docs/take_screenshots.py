"""Take the README's screenshots of the three pages with Debian's chromium (``make screenshots``).

Starts the app in-process on a throw-away database, judges a few demo comparisons with the real
demo judge, enters labels for two demo annotators (following the demo dataset's designed quality
order, atlas > borealis > verbose > cirrus > drizzle, so the people's graph has something to show),
and saves ``docs/screenshots/{case_study,annotate,dashboard}.png``.
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
from ui import build_ui, css_paths, head_html  # noqa: E402

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


def designed_label(model1: str, model2: str) -> str:
    return "1" if DESIGNED_ORDER.index(model1) < DESIGNED_ORDER.index(model2) else "2"


def prepare(studio: Studio, judged: int, labelled: int) -> None:
    studio.judge_dataset(limit=judged, on_progress=lambda done, total: print(f"judged {done}/{total}", end="\r"))
    table = studio.store.comparison_table().head(labelled)
    for row in table.to_dict("records"):
        label = designed_label(str(row["model1"]), str(row["model2"]))
        studio.submit_label(int(row["id"]), "demo-annotator-a", label)
        studio.submit_label(int(row["id"]), "demo-annotator-b", label if int(row["id"]) % 7 else "tie")


def main() -> None:
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="judge-studio-shots-"))
    studio = Studio(Settings(home=home))
    prepare(studio, judged=int(os.environ.get("SHOT_JUDGED", "24")), labelled=90)
    demo = build_ui(studio)
    demo.queue().launch(server_port=7870, prevent_thread_lock=True, quiet=True, head=head_html(), css_paths=css_paths())
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto("http://127.0.0.1:7870/")
        page.get_by_text("Comparison #1").first.wait_for()
        page.locator("#run-judge").click()
        page.get_by_text("Verdict:").or_(page.get_by_text("Unparsed")).or_(
            page.get_by_text("Truncated")
        ).first.wait_for(timeout=120_000)
        page.screenshot(path=str(OUT / "case_study.png"), full_page=True)
        page.get_by_role("tab", name="Annotate").click()
        page.locator("#annotator-name textarea, #annotator-name input").first.fill("alice")
        page.locator("#start-labelling").click()
        page.wait_for_function("document.querySelector('#annotate-response-1').innerText.trim().length > 0")
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("1")
        page.get_by_text("Saved", exact=False).first.wait_for()
        page.screenshot(path=str(OUT / "annotate.png"), full_page=True)
        page.get_by_role("tab", name="Dashboard").click()
        page.wait_for_timeout(6000)
        page.screenshot(path=str(OUT / "dashboard.png"), full_page=True)
        browser.close()
    demo.close()
    print(f"\nScreenshots in {OUT}")


if __name__ == "__main__":
    main()
