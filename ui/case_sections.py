"""The Case study page's sections as small builders: filters, the comparison shown side by side, the
judge's output for it, and "Judge your own pair" with an output area of its own (so a pasted pair's
verdict can never be mistaken for the shown comparison's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from annotation_store import VerdictView
from errors import Forbidden
from orchestration import CaseProgress, Studio
from orchestration.browse import DEFAULT_LOW_CONFIDENCE
from ui.comparison_panel import ComparisonPanel, comparison_panel
from ui.formatting import reason_markdown, reference_markdown, verdict_markdown
from ui.render import inline_text, plain_text

MIN_NEW_TOKENS, MAX_NEW_TOKENS = 16, 1024
ANY = "(any)"
#: How many comparisons the picker lists before more load as one scrolls (Gradio's ``num_choices_shown``):
#: the filter count says so past it, so "126 match" beside a list that ends at #100 is not a puzzle.
PICKER_SHOWN = 100


@dataclass(frozen=True)
class FilterSection:
    category: gr.Dropdown
    pair: gr.Dropdown
    disagree: gr.Checkbox
    unparsed: gr.Checkbox
    low: gr.Checkbox
    threshold: gr.Slider
    apply: gr.Button
    count: gr.Markdown

    @property
    def inputs(self) -> list[Any]:
        return [self.category, self.pair, self.disagree, self.unparsed, self.low, self.threshold]


@dataclass(frozen=True)
class JudgeOutput:
    """Raw output (streamed), verdict, reason and reference of one judgment."""

    raw: gr.Textbox
    verdict: gr.Markdown
    reason: gr.Markdown
    reference: gr.Markdown

    @property
    def components(self) -> list[Any]:
        return [self.raw, self.verdict, self.reason, self.reference]

    def show(self, v: VerdictView | None, raw: str | None = None) -> dict[Any, Any]:
        return {
            self.raw: plain_text(raw if raw is not None else (v.raw_output if v else "")),
            self.verdict: verdict_markdown(v),
            self.reason: reason_markdown(v.reason) if v else "",
            self.reference: reference_markdown(v.reference) if v else "",
        }

    def progress(self, step: CaseProgress) -> dict[Any, Any]:
        if step.waiting:  # queued behind another use of the judge: say so, and drop the old output
            return {self.raw: "", self.verdict: f"⏳ {inline_text(step.waiting)}", self.reason: "", self.reference: ""}
        if step.verdict is None:
            return {self.raw: plain_text(step.text), self.verdict: "_Judging…_", self.reason: "", self.reference: ""}
        return self.show(step.verdict, raw=step.text)

    def clear(self) -> dict[Any, Any]:
        return dict.fromkeys(self.components, "")


@dataclass(frozen=True)
class CustomSection:
    instruction: gr.Textbox
    input: gr.Textbox
    response1: gr.Textbox
    response2: gr.Textbox
    run: gr.Button
    output: JudgeOutput

    @property
    def inputs(self) -> list[Any]:
        return [self.instruction, self.input, self.response1, self.response2]


@dataclass(frozen=True)
class CaseSections:
    dataset: gr.Dropdown
    status: gr.Markdown
    filters: FilterSection
    picker: gr.Dropdown
    panel: ComparisonPanel
    run: gr.Button
    preset: gr.Dropdown
    max_tokens: gr.Slider
    judged: JudgeOutput
    orders: gr.Markdown
    custom: CustomSection
    prompt: gr.Dropdown  # the judge's profile, or a saved custom prompt (custom:NAME@HASH12)


def filter_section() -> FilterSection:
    with gr.Accordion("Filter comparisons", open=False, elem_id="case-filters"):
        with gr.Row():
            category = gr.Dropdown(
                choices=[ANY], value=ANY, label="Category", elem_id="case-filter-category", allow_custom_value=True
            )
            pair = gr.Dropdown(
                choices=[ANY], value=ANY, label="Model pair", elem_id="case-filter-pair", allow_custom_value=True
            )
        with gr.Row():
            disagree = gr.Checkbox(label="People disagree with the judge", elem_id="case-filter-disagree")
            unparsed = gr.Checkbox(label="Judge output unparsed", elem_id="case-filter-unparsed")
            low = gr.Checkbox(label="Low judge confidence", elem_id="case-filter-low")
            threshold = gr.Slider(
                minimum=0.34,
                maximum=1.0,
                step=0.01,
                value=DEFAULT_LOW_CONFIDENCE,
                label="Low confidence: top verdict probability below",
                elem_id="case-filter-threshold",
            )
        apply = gr.Button("Apply filters", elem_id="case-filter-apply")
    count = gr.Markdown(elem_id="case-filter-count")
    return FilterSection(category, pair, disagree, unparsed, low, threshold, apply, count)


def judge_output(prefix: str, label: str) -> JudgeOutput:
    raw = gr.Textbox(label=label, lines=6, interactive=False, elem_id=f"{prefix}-raw", elem_classes=["js-raw"])
    verdict = gr.Markdown(elem_id=f"{prefix}-verdict")
    with gr.Row():
        reason = gr.Markdown(elem_id=f"{prefix}-reason", line_breaks=True)
        reference = gr.Markdown(elem_id=f"{prefix}-reference", line_breaks=True)
    return JudgeOutput(raw, verdict, reason, reference)


def decoding_controls(studio: Studio) -> tuple[gr.Button, gr.Dropdown, gr.Slider]:
    with gr.Row(equal_height=False):  # the open Decoding accordion must not stretch the button
        run = gr.Button("Run judge", variant="primary", elem_id="run-judge", scale=1)
        with gr.Accordion("Decoding", open=False, elem_id="judge-decoding"), gr.Row():
            preset = gr.Dropdown(
                choices=studio.decoding_choices(),
                value=studio.settings.decoding,
                label="Preset",
                elem_id="judge-decoding-preset",
            )
            max_tokens = gr.Slider(
                minimum=MIN_NEW_TOKENS,
                maximum=MAX_NEW_TOKENS,
                step=1,
                value=min(max(studio.settings.max_new_tokens, MIN_NEW_TOKENS), MAX_NEW_TOKENS),
                label="Max new tokens",
                elem_id="judge-max-new-tokens",
            )
    return run, preset, max_tokens


def prompt_picker(studio: Studio) -> gr.Dropdown:
    """The judge prompt for "Run judge": the settings' profile, or a saved custom prompt version. Built
    once into ``/config``, which every signed-in user reads: no saved prompt here; the picker's focus
    event lists them for a reviewer or admin."""
    return gr.Dropdown(
        choices=prompt_choices(studio, None),
        value="",
        label="Judge prompt",
        elem_id="judge-prompt",
        allow_custom_value=True,
    )


def prompt_choices(studio: Studio, actor: str | None) -> list[tuple[str, str]]:
    """The server's profile, the other built-in pairwise profiles (the same loaded model in another
    prompt format: MT-Bench, Arena-Hard, JudgeLM, ...; no restart), then every saved custom prompt if
    ``actor`` is a reviewer or admin (none for anyone else, or without an actor)."""
    current = studio.settings.judge_profile
    builtin = studio.prompts.builtin_pair_choices(current)
    try:
        saved = studio.prompts.judge_choices(actor) if actor is not None else []
    except Forbidden:
        saved = []
    return [(f"{current} (settings)", ""), *builtin, *saved]


def custom_section() -> CustomSection:
    with gr.Accordion("Judge your own pair (not stored)", open=False, elem_id="custom-section"):
        instruction = gr.Textbox(label="Instruction", lines=2, elem_id="custom-instruction")
        input_ = gr.Textbox(label="Input (optional)", lines=2, elem_id="custom-input")
        with gr.Row():
            r1 = gr.Textbox(label="Response 1", lines=5, elem_id="custom-response-1")
            r2 = gr.Textbox(label="Response 2", lines=5, elem_id="custom-response-2")
        run = gr.Button("Judge this pair", elem_id="judge-custom")
        output = judge_output("custom", "Judge output for your pair (streamed, plain text)")
    return CustomSection(instruction, input_, r1, r2, run, output)


def case_sections(studio: Studio, dataset: gr.Dropdown) -> CaseSections:
    """The whole page, top to bottom."""
    status = gr.Markdown(elem_id="judge-status")
    filters = filter_section()
    # filled per user on page load (the choices name the models); any id may be asked for, the handler checks
    picker = gr.Dropdown(
        choices=[],
        value=None,
        label="Comparison",
        elem_id="case-picker",
        scale=4,
        allow_custom_value=True,
        num_choices_shown=PICKER_SHOWN,
    )
    panel = comparison_panel("case")
    run, preset, max_tokens = decoding_controls(studio)
    prompt = prompt_picker(studio)
    judged = judge_output("judge", "Judge output (streamed, shown as plain text)")
    with gr.Accordion("Every stored judge verdict (both orders)", open=True, elem_id="judge-orders-section"):
        orders = gr.Markdown(elem_id="judge-orders", line_breaks=True)
    custom = custom_section()
    return CaseSections(
        dataset, status, filters, picker, panel, run, preset, max_tokens, judged, orders, custom, prompt
    )
