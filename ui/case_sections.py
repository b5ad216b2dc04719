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
from ui.dashboard_layout import labels_from_picker
from ui.formatting import reason_markdown, reference_markdown, verdict_markdown
from ui.pickers import shown_choices
from ui.render import inline_text, plain_text

MIN_NEW_TOKENS, MAX_NEW_TOKENS = 16, 1024
ANY = "(any)"
#: How many comparisons the picker lists before more load as one scrolls (Gradio's ``num_choices_shown``):
#: the filter count says so past it, so "126 match" beside a list that ends at #100 is not a puzzle.
PICKER_SHOWN = 100
#: What the verdict area says from the click on Run until the judgment starts streaming.
PENDING = "_Starting the judge… (the previous result is cleared)_"


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
    # whose labels "People disagree with the judge" reads: "all", "imported" or a session of the dataset (the
    # Dashboard's and the Review page's "Labels from"); not in ``inputs`` (a new dataset sets its choices)
    labels_from: gr.Dropdown

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

    def show(self, v: VerdictView | None, raw: str | None = None, setup: str = "") -> dict[Any, Any]:
        """``setup``: the judge setup the run used, in words (a streamed run's; a stored verdict shows its profile)."""
        return {
            self.raw: plain_text(raw if raw is not None else (v.raw_output if v else "")),
            self.verdict: verdict_markdown(v, setup=setup),
            self.reason: reason_markdown(v) if v else "",
            self.reference: reference_markdown(v) if v else "",
        }

    def progress(self, step: CaseProgress) -> dict[Any, Any]:
        if step.waiting:  # queued behind another use of the judge: say so, and drop the old output
            return {self.raw: "", self.verdict: f"⏳ {inline_text(step.waiting)}", self.reason: "", self.reference: ""}
        if step.verdict is None:
            judging = f"_Judging… ({inline_text(step.setup)}); **Stop** ends it and stores nothing._"
            return {self.raw: plain_text(step.text), self.verdict: judging, self.reason: "", self.reference: ""}
        return self.show(step.verdict, raw=step.text, setup=step.setup)

    def pending(self) -> dict[Any, Any]:
        """Run pressed: the previous output cleared at once, before the run leaves the queue."""
        return {**self.clear(), self.verdict: PENDING}

    def stopped(self, note: str) -> dict[Any, Any]:
        """A stopped run: the output streamed so far stays in the box; ``note`` says nothing was stored."""
        return {self.verdict: note, self.reason: "", self.reference: ""}

    def clear(self) -> dict[Any, Any]:
        return dict.fromkeys(self.components, "")


@dataclass(frozen=True)
class CustomSection:
    instruction: gr.Textbox
    input: gr.Textbox
    response1: gr.Textbox
    response2: gr.Textbox
    run: gr.Button
    stop: gr.Button
    prompt: gr.Dropdown  # this form's own judge prompt (the one above is for "Run judge")
    output: JudgeOutput
    prompt_note: gr.Markdown  # the chosen prompt's warnings (a stored version with ``{{ name }}``)

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
    stop: gr.Button
    preset: gr.Dropdown
    max_tokens: gr.Slider
    judged: JudgeOutput
    orders: gr.Markdown
    custom: CustomSection
    prompt: gr.Dropdown  # the judge's profile, or a saved custom prompt (custom:NAME@HASH12)
    prompt_note: gr.Markdown  # the chosen prompt's warnings (``prompt_note_markdown``)


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
            disagree = gr.Checkbox(label="People disagree with the judge", elem_id="case-filter-disagree", scale=1)
            labels_from = labels_from_picker("case-labels-from", custom=False, scale=2)  # typed text is no scope
        with gr.Row():
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
    return FilterSection(category, pair, disagree, unparsed, low, threshold, apply, count, labels_from)


def judge_output(prefix: str, label: str) -> JudgeOutput:
    raw = gr.Textbox(label=label, lines=6, interactive=False, elem_id=f"{prefix}-raw", elem_classes=["js-raw"])
    verdict = gr.Markdown(elem_id=f"{prefix}-verdict")
    with gr.Row():
        reason = gr.Markdown(elem_id=f"{prefix}-reason", line_breaks=True)
        reference = gr.Markdown(elem_id=f"{prefix}-reference", line_breaks=True)
    return JudgeOutput(raw, verdict, reason, reference)


@dataclass(frozen=True)
class RunControls:
    run: gr.Button
    stop: gr.Button
    preset: gr.Dropdown
    max_tokens: gr.Slider


def decoding_controls(studio: Studio) -> RunControls:
    with gr.Row(equal_height=False):  # the open Decoding accordion must not stretch the buttons
        run = gr.Button("Run judge", variant="primary", elem_id="run-judge", scale=1)
        stop = stop_button("stop-judge")
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
    return RunControls(run, stop, preset, max_tokens)


def stop_button(elem_id: str) -> gr.Button:
    """Stop: enabled only while a run streams (its Run button is disabled meanwhile)."""
    return gr.Button("Stop", variant="stop", elem_id=elem_id, scale=0, min_width=90, interactive=False)


def prompt_picker(
    studio: Studio, label: str = "Judge prompt (for Run judge)", elem_id: str = "judge-prompt"
) -> gr.Dropdown:
    """A judge prompt: the settings' profile, another built-in pairwise profile or a saved custom prompt
    version. Built once into ``/config``, which every signed-in user reads: no saved prompt here; the
    picker's focus event lists them for a reviewer or admin."""
    return gr.Dropdown(
        choices=prompt_choices(studio, None),
        value="",
        label=label,
        elem_id=elem_id,
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
    return shown_choices([(f"{current} (settings)", ""), *builtin, *saved])


def prompt_note_markdown(studio: Studio, actor: str | None, profile: str | None) -> str:
    """What the note under a judge prompt picker says of the chosen prompt ("": the settings' profile): the
    warnings of a stored version (``PromptDesk.prompt_notes``: it writes ``{{ name }}``, which the judge reads
    literally), escaped; "" when it has none or the caller may not pick prompts."""
    try:
        notes = studio.prompts.prompt_notes(actor, profile or studio.settings.judge_profile)
    except Forbidden:
        return ""
    return "\n\n".join(f"⚠ **Warning:** {inline_text(note)}" for note in notes)


def custom_section(studio: Studio) -> CustomSection:
    with gr.Accordion("Judge your own pair (not stored)", open=False, elem_id="custom-section"):
        instruction = gr.Textbox(label="Instruction", lines=2, elem_id="custom-instruction")
        input_ = gr.Textbox(label="Input (optional)", lines=2, elem_id="custom-input")
        with gr.Row():
            r1 = gr.Textbox(label="Response 1", lines=5, elem_id="custom-response-1")
            r2 = gr.Textbox(label="Response 2", lines=5, elem_id="custom-response-2")
        prompt = prompt_picker(
            studio, "Judge prompt for this pair (its own: the one above is for Run judge)", "custom-prompt"
        )
        prompt_note = gr.Markdown(elem_id="custom-prompt-note")
        with gr.Row(equal_height=False):
            run = gr.Button("Judge this pair", elem_id="judge-custom", scale=1)
            stop = stop_button("stop-custom")
        output = judge_output("custom", "Judge output for your pair (streamed, plain text)")
    return CustomSection(instruction, input_, r1, r2, run, stop, prompt, output, prompt_note)


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
    panel = comparison_panel("case", with_reference=True)
    controls = decoding_controls(studio)
    prompt = prompt_picker(studio)
    prompt_note = gr.Markdown(elem_id="judge-prompt-note")
    judged = judge_output("judge", "Judge output (streamed, shown as plain text)")
    with gr.Accordion(
        "Every stored judge verdict, by run (a swapped-order verdict too where the run stored one)",
        open=True,
        elem_id="judge-orders-section",
    ):
        orders = gr.Markdown(elem_id="judge-orders", line_breaks=True)
    custom = custom_section(studio)
    return CaseSections(
        dataset,
        status,
        filters,
        picker,
        panel,
        controls.run,
        controls.stop,
        controls.preset,
        controls.max_tokens,
        judged,
        orders,
        custom,
        prompt,
        prompt_note,
    )
