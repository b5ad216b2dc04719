"""Admin: judge a dataset, with progress a person can see: a bar and "judged N of M" while the judge
loads and runs (the run happens in a worker thread; this generator streams its progress)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from judge_runtime.remote import is_remote_model
from orchestration import AdminDesk, RunSummary
from orchestration.service import batch_note, run_summary_text
from ui.errors import actor_of, noted
from ui.formatting import EMPTY_NUMBER
from ui.pickers import DatasetPickers
from ui.render import inline_text

JUDGE_SLOTS = 1  # shares the "judge" queue with the case study: one generation at a time


@dataclass(frozen=True)
class JudgeSection:
    dataset: gr.Dropdown
    limit: gr.Number
    button: gr.Button
    progress: gr.HTML
    result: gr.Markdown


def progress_html(done: int | None, total: int | None) -> str:
    """The run's progress bar and count. Only integers computed here go into this HTML."""
    if total is None:
        return (
            '<div class="js-run-progress" id="admin-judge-progress-bar"><progress></progress> '
            "<span>Loading the judge… (the first run loads the model)</span></div>"
        )
    total, done = max(int(total), 0), min(int(done or 0), max(int(total), 0))
    state = "done" if done >= total else "running"
    return (
        f'<div class="js-run-progress {state}" id="admin-judge-progress-bar">'
        f'<progress value="{done}" max="{max(total, 1)}"></progress> '
        f"<span>Judged {done} of {total} comparison{'s' if total != 1 else ''}</span></div>"
    )


def judge_section(pickers: DatasetPickers) -> JudgeSection:
    with gr.Accordion("Judge a dataset", open=False, elem_id="admin-judge-section"):
        gr.Markdown(
            "Judges every comparison of the dataset that this judge (same fingerprint) has not judged yet. "
            "The judge loads on first use; the case study waits while a run holds the judge."
        )
        with gr.Row():
            dataset = pickers.add("admin-judge-dataset", allow_custom_value=True, role="admin")
            limit = gr.Number(
                label="At most (empty: all)",
                precision=0,
                minimum=0,
                value=None,
                placeholder="all",
                elem_id="admin-judge-limit",
                elem_classes=EMPTY_NUMBER,  # Gradio's front end shows 0 for an empty box (docs/NOTES.md)
            )
            button = gr.Button("Start judge run", variant="primary", elem_id="admin-judge-run")
        progress = gr.HTML(elem_id="admin-judge-progress")
        result = gr.Markdown(elem_id="admin-judge-result")
    return JudgeSection(dataset, limit, button, progress, result)


def done_markdown(dataset: str | None, summary: RunSummary) -> str:
    """The CLI's summary (``run_summary_text``: each status apart, comparisons refused as too long with
    their keys), escaped: it quotes the dataset name."""
    lines = run_summary_text(summary, dataset or "").split("\n")
    return "**Done.** " + "\n\n".join(inline_text(line) for line in lines)


def wire_judge(section: JudgeSection, desk: AdminDesk) -> Any:
    @noted(section.result)  # a refusal (no dataset, a prompt too long) is a note: no error overlay
    def run_judge(dataset_name: str | None, limit: float | None, request: gr.Request) -> Iterator[dict[Any, Any]]:
        steps: queue.Queue[tuple[int, int] | None] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["summary"] = desk.judge_dataset(
                    actor_of(request), dataset_name, limit=limit, on_progress=lambda d, t: steps.put((d, t))
                )
            except BaseException as exc:  # handed to the page's error boundary below
                outcome["error"] = exc
            finally:
                steps.put(None)

        threading.Thread(target=work, name="admin-judge-run", daemon=True).start()
        remote = is_remote_model(desk.studio.settings.judge_model)  # a server: no batches (batch_note)
        yield {section.progress: progress_html(None, None), section.result: ""}
        first = True
        while (step := steps.get()) is not None:
            note = batch_note(step[1] - step[0], desk.studio.settings.batch_size, remote=remote) if first else None
            yield {section.progress: progress_html(*step)} | ({section.result: inline_text(note)} if note else {})
            first = False
        if "error" in outcome:
            yield {section.progress: ""}
            raise outcome["error"]
        summary: RunSummary = outcome["summary"]
        yield {
            section.progress: progress_html(summary.judged, summary.judged),
            section.result: done_markdown(dataset_name, summary),
        }

    return section.button.click(
        run_judge,
        inputs=[section.dataset, section.limit],
        outputs=[section.progress, section.result],
        api_name="admin_judge_run",
        concurrency_id="judge",
        concurrency_limit=JUDGE_SLOTS,
        show_progress="hidden",  # the bar above is the progress; no overlay hiding it
    )
