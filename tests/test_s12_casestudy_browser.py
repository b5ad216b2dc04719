"""Stop on the Case study in Debian's chromium (s12 tester "presenter", finding 2): Run judge streams, Run is
disabled and Stop enabled meanwhile; Stop says nothing was stored, stores nothing, frees the judge (its generation
stops) and enables Run again; the same for "Judge your own pair". A scripted judge streaming a word every 0.2 s
(no model), so the run lasts long enough to be stopped."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import serve_app
from test_browser_answers import browser_page
from test_s12_casestudy import StreamingJudge

pytestmark = [pytest.mark.browser]

SHOTS = os.environ.get("JUDGE_STUDIO_TEST_SHOTS")  # a folder: screenshots to look at, when set


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"s12-{name}.png"), full_page=True)


def _streams(page: Any, raw: str) -> None:
    page.wait_for_function(f"document.querySelector('{raw} textarea')?.value.includes('word3')", timeout=30_000)


def _stopped_and_idle(judge: StreamingJudge) -> None:
    deadline = time.monotonic() + 10
    while judge.busy() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not judge.busy(), "the judge is free again"
    made = judge.generated[0]
    time.sleep(0.5)
    assert judge.generated[0] == made, "no more words generated after Stop"
    assert judge.closed_early == [True]


def test_stop_ends_a_streamed_judgment_stores_nothing_and_frees_the_judge(db_path: Path) -> None:
    judge = StreamingJudge(tokens=300, delay=0.2)
    with (
        serve_app(db_path, judge_loader=lambda _spec: judge) as app,
        browser_page(app.url, "rita", "rita-pass-1") as page,
    ):
        stored_before = len(app.studio.store.verdicts(None))
        page.get_by_role("tab", name="Case study").click()
        page.get_by_text("Comparison #1").first.wait_for(timeout=20_000)
        run, stop = page.locator("#run-judge"), page.locator("#stop-judge")
        assert stop.is_disabled(), "Stop is off while nothing runs"
        run.click()
        _streams(page, "#judge-raw")
        assert run.is_disabled() and stop.is_enabled(), "Run is off and Stop on while the run streams"
        _shot(page, "streaming")
        made = judge.generated[0]
        stop.click(no_wait_after=True)
        verdict = page.locator("#judge-verdict")
        verdict.get_by_text("Stopped: nothing was stored").wait_for(timeout=10_000)
        assert judge.generated[0] - made < 25, "stopped within a few words (5 s)"
        _shot(page, "stopped")
        _stopped_and_idle(judge)
        page.wait_for_timeout(500)
        assert "Stopped: nothing was stored" in verdict.inner_text(), "no late update overwrote the message"
        assert run.is_enabled() and stop.is_disabled()
        assert len(app.studio.store.verdicts(None)) == stored_before, "no partial verdict stored"
        assert app.studio.store.latest_verdict(1) is None

        judge.tokens = 5  # a run to its end: its verdict shows, is stored, and Run is enabled again
        run.click()
        verdict.get_by_text("Uncertain: leaning to Response 1").wait_for(timeout=20_000)
        page.wait_for_function("!document.querySelector('#run-judge').disabled", timeout=10_000)
        assert stop.is_disabled() and app.studio.store.latest_verdict(1) is not None
        stored_before = len(app.studio.store.verdicts(None))
        judge.tokens = 300

        judge.closed_early[0] = False
        page.locator("#custom-section").get_by_text("Judge your own pair").click()
        page.locator("#custom-instruction textarea").fill("Say hello.")
        page.locator("#custom-response-1 textarea").fill("Hello")
        page.locator("#custom-response-2 textarea").fill("Hi")
        page.locator("#judge-custom").click()
        _streams(page, "#custom-raw")
        assert page.locator("#judge-custom").is_disabled()
        page.locator("#stop-custom").click(no_wait_after=True)
        page.locator("#custom-verdict").get_by_text("Stopped: nothing was stored").wait_for(timeout=10_000)
        _stopped_and_idle(judge)
        assert page.locator("#judge-custom").is_enabled() and page.locator("#stop-custom").is_disabled()
        assert len(app.studio.store.verdicts(None)) == stored_before
