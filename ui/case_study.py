"""The Case study page: one comparison side by side, the judge run live (streamed), or a pasted pair."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from judge_runtime import PairCase
from orchestration import Studio, UserError
from ui.formatting import _fail, case_header, prompt_markdown, reason_markdown, reference_markdown, verdict_markdown
from ui.render import quote_block

JUDGE_SLOTS = 1  # one generation at a time on one CPU/GPU


def case_study_tab(studio: Studio, demo: gr.Blocks, dataset: gr.Dropdown, default: str | None) -> None:
    choices = studio.comparison_choices(default)
    status = gr.Markdown(studio.judge_status, elem_id="judge-status")
    picker = gr.Dropdown(
        choices=choices, value=choices[0][1] if choices else None, label="Comparison", elem_id="case-picker", scale=4
    )
    dataset.change(
        lambda name: gr.Dropdown(choices=(c := studio.comparison_choices(name)), value=c[0][1] if c else None),
        inputs=dataset,
        outputs=picker,
        api_visibility="private",
    )
    header = gr.Markdown()
    prompt = gr.Markdown(elem_classes=["js-prompt"])
    with gr.Row(equal_height=False):
        with gr.Column():
            left_title = gr.Markdown("### Response 1")
            left = gr.Markdown(elem_id="case-response-1", elem_classes=["js-response"], line_breaks=True)
        with gr.Column():
            right_title = gr.Markdown("### Response 2")
            right = gr.Markdown(elem_id="case-response-2", elem_classes=["js-response"], line_breaks=True)
    run = gr.Button("Run judge", variant="primary", elem_id="run-judge")
    raw = gr.Textbox(
        label="Judge output (streamed, shown as plain text)", lines=6, interactive=False, elem_id="judge-raw"
    )
    verdict = gr.Markdown(elem_id="judge-verdict")
    with gr.Row():
        reason = gr.Markdown(elem_id="judge-reason", line_breaks=True)
        reference = gr.Markdown(elem_id="judge-reference", line_breaks=True)
    with gr.Accordion("Judge your own pair (not stored)", open=False):
        c_instruction = gr.Textbox(label="Instruction", lines=2)
        c_input = gr.Textbox(label="Input (optional)", lines=2)
        with gr.Row():
            c_r1 = gr.Textbox(label="Response 1", lines=5)
            c_r2 = gr.Textbox(label="Response 2", lines=5)
        c_run = gr.Button("Judge this pair")

    def show(comparison_id: int | None) -> tuple[Any, ...]:
        if comparison_id is None:
            return (
                "_No comparison selected._",
                "",
                "### Response 1",
                "",
                "### Response 2",
                "",
                "",
                "",
                "",
                "",
            )
        try:
            c, v = studio.case(int(comparison_id))
        except UserError as exc:
            raise _fail(exc) from exc
        return (
            case_header(c),
            prompt_markdown(c),
            f"### Response 1 · `{c.model1}`",
            quote_block(c.response1),
            f"### Response 2 · `{c.model2}`",
            quote_block(c.response2),
            v.raw_output if v else "",
            verdict_markdown(v),
            reason_markdown(v.reason) if v else "",
            reference_markdown(v.reference) if v else "",
        )

    def run_judge(comparison_id: int | None) -> Iterator[tuple[str, str, str, str, str]]:
        if comparison_id is None:
            raise gr.Error("Pick a comparison first.")
        try:
            for step in studio.stream_comparison(int(comparison_id)):
                if step.verdict is None:
                    yield step.text, "_Judging…_", "", "", studio.judge_status()
                else:
                    v = step.verdict
                    yield (
                        step.text,
                        verdict_markdown(v),
                        reason_markdown(v.reason),
                        reference_markdown(v.reference),
                        studio.judge_status(),
                    )
        except UserError as exc:
            raise _fail(exc) from exc

    def run_custom(instruction: str, input_: str, r1: str, r2: str) -> Iterator[tuple[str, str, str, str]]:
        try:
            for step in studio.stream_custom(PairCase(instruction, r1, r2, input=input_)):
                v = step.verdict
                if v is None:
                    yield step.text, "_Judging…_", "", ""
                else:
                    yield step.text, verdict_markdown(v), reason_markdown(v.reason), reference_markdown(v.reference)
        except UserError as exc:
            raise _fail(exc) from exc

    shown_outputs = [header, prompt, left_title, left, right_title, right, raw, verdict, reason, reference]
    picker.change(show, inputs=picker, outputs=shown_outputs, api_name="show_comparison")
    run.click(
        run_judge,
        inputs=picker,
        outputs=[raw, verdict, reason, reference, status],
        api_name="judge_comparison",
        concurrency_id="judge",
        concurrency_limit=JUDGE_SLOTS,
    )
    c_run.click(
        run_custom,
        inputs=[c_instruction, c_input, c_r1, c_r2],
        outputs=[raw, verdict, reason, reference],
        api_name="judge_custom",
        concurrency_id="judge",
        concurrency_limit=JUDGE_SLOTS,
    )
    demo.load(show, inputs=picker, outputs=shown_outputs, api_visibility="private")
    status_timer = gr.Timer(3.0)
    status_timer.tick(
        studio.judge_status, outputs=status, api_visibility="private", concurrency_limit=None, show_progress="hidden"
    )
