"""A judge run whose outputs mostly have no verdict is said before any figure on the Dashboard (it showed
"accuracy 0.667" with a side note about left-out labels), as the report card's caveat says it."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
from gradio_ids import by_id, handler

from annotation_store import NewVerdict
from orchestration import Settings, Studio

DEMO = "judge-studio-demo"


def _summary(db_path: Path, parsed: int, unparsed: int) -> str:
    studio = Studio.open(Settings(home=db_path.parent))
    studio.store.create_annotator("rita", role="reviewer", password="rita-pass-1")
    run = studio.store.ensure_judge_run("flaky-judge", {"model": "flaky-judge", "profile": "pandalm"})
    ids = [int(i) for i in studio.store.comparison_table(DEMO)["id"]][: parsed + unparsed]
    for k, comparison in enumerate(ids):
        verdict = NewVerdict(comparison, "1", "ok") if k < parsed else NewVerdict(comparison, None, "unparsed")
        studio.store.save_verdict(run, verdict)
    from ui import build_ui

    shown = by_id(handler(build_ui(studio), "dashboard")(DEMO, run, gr.Request(username="rita")))
    return str(shown["dashboard-summary"])


def test_a_run_that_mostly_failed_to_parse_is_a_warning_first(db_path: Path) -> None:
    summary = _summary(db_path, parsed=5, unparsed=45)
    warning = (
        "**Warning: 45 of 50 judge outputs (90%) have no verdict: counted as wrong in the headline accuracy and the "
        "alternative-annotator test, left out of every other figure; the judge's "
        "figures rest on the other 5.**"
    )
    assert warning in summary and summary.index(warning) < summary.index("Human vs judge")


def test_a_few_unparsed_outputs_are_a_quiet_note(db_path: Path) -> None:
    summary = _summary(db_path, parsed=18, unparsed=2)
    assert (
        "_2 of 20 judge outputs (10%) have no verdict: counted as wrong in the headline accuracy and the "
        "alternative-annotator test, left out of every other figure._"
    ) in summary
    assert "Warning" not in summary
