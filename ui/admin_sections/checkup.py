"""Admin: the judge checkup. The loaded judge answers public pairs whose better response is known
(EvalBiasBench, HHH alignment), each pair in both orders; the page streams "Judged N of M" while it
runs (in a worker thread, like the judge run) and then shows the figures per category as a table.

The run is ``AdminDesk.checkup`` (admins only, checked there) over ``orchestration.checkup``; the
verdicts are stored as one judge run, so a checkup stopped half-way goes on where it stopped.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from orchestration import AdminDesk
from orchestration.admin import ADMIN, CHECKUP_SUITES
from orchestration.checkup import DEFAULT_DATA_DIR, SUITES, CheckupReport, SuiteCheckup
from ui.admin_sections.judging import JUDGE_SLOTS
from ui.checkup_table import result_table
from ui.errors import actor_of, guarded
from ui.render import code, inline_text

CHECKUP_LIMIT = 10  # pairs: a first look in minutes on a CPU; empty checks every pair


@dataclass(frozen=True)
class CheckupSection:
    suite: gr.Dropdown
    limit: gr.Number
    data_dir: gr.Textbox
    button: gr.Button
    progress: gr.Markdown
    result: gr.Markdown


def checkup_section() -> CheckupSection:
    with gr.Accordion("Judge checkup", open=False, elem_id="admin-checkup-section"):
        gr.Markdown(
            "Runs the loaded judge on public pairs whose better response is known, each pair in both orders: "
            "accuracy, position consistency and ties per category, beside an always-first baseline. "
            "The suite's file is imported from the data folder the first time."
        )
        with gr.Row():
            suite = gr.Dropdown(
                choices=[(SUITES[name].title, name) for name in CHECKUP_SUITES],
                value=CHECKUP_SUITES[0],
                label="Suite",
                elem_id="admin-checkup-suite",
            )
            limit = gr.Number(
                value=CHECKUP_LIMIT,
                precision=0,
                minimum=0,
                label="Pairs (spread over the categories; empty: all)",
                elem_id="admin-checkup-limit",
            )
            data_dir = gr.Textbox(
                label="Data folder (holds the suites' files)",
                placeholder=str(DEFAULT_DATA_DIR),
                elem_id="admin-checkup-data",
            )
            button = gr.Button("Run checkup", variant="primary", elem_id="admin-checkup-run")
        progress = gr.Markdown(elem_id="admin-checkup-progress")
        result = gr.Markdown(elem_id="admin-checkup-result")
    return CheckupSection(suite, limit, data_dir, button, progress, result)


def progress_markdown(done: int | None, total: int | None) -> str:
    if total is None:
        return "Loading the judge… (the first run loads the model)"
    return f"Judged {int(done or 0)} of {int(total)} (each pair in both orders)"


def suite_markdown(suite: SuiteCheckup, judge: str) -> str:
    """One suite's figures as a Markdown table (``ui.checkup_table``, the rows of
    ``analysis.checkup.format_checkup``). Names come from files and settings: shown through ``ui.render``."""
    result = suite.result
    lines = [
        f"**{inline_text(suite.title)}** · judge {code(judge)} · run {suite.run_id} · "
        f"{result.overall.pairs} pairs, both orders · judged now {suite.judged}, already stored {suite.skipped}",
        "",
        *result_table(result, suite.category_name),
    ]
    return "\n".join(lines)


def report_markdown(report: CheckupReport) -> str:
    judge = f"{report.judge} · profile {report.profile}"
    return "\n\n".join(["**Done.**", *(suite_markdown(suite, judge) for suite in report.suites)])


def wire_checkup(section: CheckupSection, desk: AdminDesk) -> Any:
    @guarded
    def run(
        suite: str | None, limit: float | None, data_dir: str | None, request: gr.Request
    ) -> Iterator[dict[Any, Any]]:
        desk.access.require(actor_of(request), ADMIN)  # refused before "Loading the judge" shows
        steps: queue.Queue[tuple[int, int] | None] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["report"] = desk.checkup(
                    actor_of(request),
                    suite,
                    limit=limit,
                    data_dir=data_dir,
                    on_progress=lambda _suite, done, total: steps.put((done, total)),
                )
            except BaseException as exc:  # handed to the page's error boundary below
                outcome["error"] = exc
            finally:
                steps.put(None)

        threading.Thread(target=work, name="admin-checkup-run", daemon=True).start()
        yield {section.progress: progress_markdown(None, None), section.result: ""}
        while (step := steps.get()) is not None:
            yield {section.progress: progress_markdown(*step)}
        if "error" in outcome:
            yield {section.progress: ""}
            raise outcome["error"]
        yield {section.result: report_markdown(outcome["report"])}

    return section.button.click(
        run,
        inputs=[section.suite, section.limit, section.data_dir],
        outputs=[section.progress, section.result],
        api_name="admin_checkup",
        concurrency_id="judge",  # one generation at a time, shared with judge runs and the case study
        concurrency_limit=JUDGE_SLOTS,
        show_progress="hidden",
    )
