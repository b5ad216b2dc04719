"""How long the next comparison takes to appear after a submit, with 1 and with 20 annotators at once.

Three loads: one client submitting back to back; N clients submitting back to back (the server's
throughput limit); N clients that each read an item for ``--think`` seconds (0.5x-1.5x) before
submitting, which is what a session of N people looks like, with a browser labelling meanwhile.

Runs the real app (``web.server.create_app``: FastAPI + Gradio behind its login, uvicorn) over a fresh
SQLite database seeded with the demo data, in this process. Annotators are Gradio clients
(``gradio_client.Client``, logged in, one per thread), each submitting answers as fast as the server
answers; one submit call returns the next item, so its duration is "submit → next comparison on
screen" minus the browser's rendering. Then a real browser (Debian's chromium via Playwright) logs in
and labels with the keyboard, alone and while the 20 clients work, timing from the Enter key to the
new comparison's header being on screen.

    .venv/bin/python bench/annotation_latency.py [--annotators 20] [--submits 15] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

SESSION = "latency bench"  # overlap 40: the demo session (overlap 3) would run out of items
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def start_server(home: Path, port: int):  # type: ignore[no-untyped-def]
    import uvicorn

    from orchestration import Settings, Studio
    from web.server import create_app

    studio = Studio(Settings(home=home))
    studio.store.save_session(SESSION, "judge-studio-demo", overlap=40, gold_rate=0.1)
    app = create_app(studio)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return studio, server


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def client_annotator(
    url: str, name: str, submits: int, think: float, out: list[float], errors: list[str], ready: threading.Event
) -> None:
    import random

    from gradio_client import Client

    rng = random.Random(name)
    try:
        client = Client(url, auth=(name, f"{name}-pass-1"), verbose=False)
        client.predict(SESSION, api_name="/next_item")
        ready.set()
        for i in range(submits):
            choice = ("left", "right", "tie")[i % 3]
            time.sleep(think * rng.uniform(0.5, 1.5))  # reading the item
            started = time.perf_counter()
            client.predict(SESSION, choice, 0, False, "", api_name="/submit_label")
            out.append(time.perf_counter() - started)
    except Exception as exc:  # reported in the table, never hidden
        errors.append(f"{name}: {type(exc).__name__}: {exc}")


def start_clients(
    url: str, names: list[str], submits: int, think: float
) -> tuple[list[threading.Thread], list[float], list[str], list[threading.Event]]:
    times: list[float] = []
    errors: list[str] = []
    ready = [threading.Event() for _ in names]
    threads = [
        threading.Thread(target=client_annotator, args=(url, n, submits, think, times, errors, r), daemon=True)
        for n, r in zip(names, ready, strict=True)
    ]
    for t in threads:
        t.start()
    return threads, times, errors, ready


def run_clients(url: str, names: list[str], submits: int, think: float) -> tuple[list[float], list[str]]:
    threads, times, errors, _ready = start_clients(url, names, submits, think)
    for t in threads:
        t.join(timeout=900)
    return times, errors


def browser_times(url: str, name: str, submits: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.get_by_label("username").fill(name)
        page.get_by_label("password").fill(f"{name}-pass-1")
        page.get_by_role("button", name="Login").click()
        page.locator("#start-labelling").wait_for()
        page.wait_for_function("document.querySelector('#annotate-session input')?.value?.length > 0")
        page.locator("#annotate-session input").fill(SESSION)
        page.keyboard.press("Enter")
        page.locator("#start-labelling").click()
        page.wait_for_function("document.querySelector('#annotate-header').innerText.includes('Comparison')")
        for _ in range(submits):
            before = page.locator("#annotate-header").inner_text()
            page.locator("body").click(position={"x": 5, "y": 5})
            page.keyboard.press("1")
            page.wait_for_function(
                "document.querySelector('#annotate-choice input[value=left]')?.checked === true", timeout=10000
            )
            started = time.perf_counter()
            page.keyboard.press("Enter")
            page.wait_for_function(
                "(before) => document.querySelector('#annotate-header').innerText !== before", arg=before
            )
            times.append(time.perf_counter() - started)
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--submits", type=int, default=15, help="submits per annotator")
    parser.add_argument(
        "--think", type=float, default=5.0, help="mean seconds an annotator reads before submitting (0.5x-1.5x)"
    )
    parser.add_argument("--port", type=int, default=7893)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="judge-studio-bench-"))
    studio, server = start_server(home, args.port)
    url = f"http://127.0.0.1:{args.port}/"
    names = [f"ann{i:02d}" for i in range(args.annotators + 2)]
    for n in names:
        studio.store.create_annotator(n, password=f"{n}-pass-1")
    results: dict[str, object] = {
        "cpu_count": os.cpu_count(),
        "submits_per_annotator": args.submits,
        "think_s": args.think,
    }
    n = args.annotators
    try:
        one, errors1 = run_clients(url, names[:1], args.submits, 0.0)
        results["clients_1_back_to_back"] = percentiles(one)
        saturated, errors_s = run_clients(url, names[1 : n + 1], args.submits, 0.0)
        results[f"clients_{n}_back_to_back"] = percentiles(saturated)
        for i in range(n):
            studio.store.create_annotator(f"bg{i:02d}", password=f"bg{i:02d}-pass-1")
        threads, thinking, errors_t, ready = start_clients(
            url, [f"bg{i:02d}" for i in range(n)], args.submits, args.think
        )
        for event in ready:
            event.wait(timeout=300)
        if Path(CHROMIUM).exists():  # the browser labels while the n clients work at their pace
            results[f"browser_with_{n}_clients"] = percentiles(browser_times(url, names[-1], 10))
        for t in threads:
            t.join(timeout=900)
        results[f"clients_{n}_with_think_time"] = percentiles(thinking)
        if Path(CHROMIUM).exists():
            results["browser_alone"] = percentiles(browser_times(url, names[-2], 10))
        results["client_errors"] = errors1 + errors_s + errors_t
        labels = studio.store.label_details()
        results["labels_stored"] = len(labels)
        results["duplicate_labels"] = int(labels.duplicated(["comparison_id", "annotator"]).sum())
    finally:
        server.should_exit = True
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
