"""The Case study page: browse and filter comparisons, read one side by side with every judge verdict
(both presentation orders, probabilities), run the judge live (streamed), or judge a pasted pair.

It shows model names and judge verdicts, which annotators must not see before they label, so every
handler passes the logged-in account to ``orchestration.CaseBrowser``, which requires the reviewer
role on the server. The picker is filled on page load (not baked into the page) for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from judge_runtime import PairCase
from orchestration import CaseBrowser, CaseFilter, Studio, UserError
from orchestration.browse import DEFAULT_LOW_CONFIDENCE
from ui.formatting import _fail, prompt_markdown, reason_markdown, reference_markdown, verdict_markdown
from ui.render import code, quote_block
from ui.review import actor_of, comparison_header, opinions_markdown

JUDGE_SLOTS = 1  # one generation at a time on one CPU/GPU
MIN_NEW_TOKENS, MAX_NEW_TOKENS = 16, 1024
ANY = "(any)"
ROLE_NOTE = "_The case study shows model names and judge verdicts: it is for reviewers and admins._"


def case_study_tab(studio: Studio, demo: gr.Blocks, dataset: gr.Dropdown, default: str | None = None) -> None:
    """``default`` (the initially chosen dataset) is kept for ``ui.layout``; the page follows ``dataset``."""
    browser = CaseBrowser(studio)
    status = gr.Markdown(elem_id="judge-status")
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
    # filled per user on page load (the choices name the models); any id may be asked for, the handler checks
    picker = gr.Dropdown(
        choices=[], value=None, label="Comparison", elem_id="case-picker", scale=4, allow_custom_value=True
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
    with gr.Row(equal_height=True):
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
    raw = gr.Textbox(
        label="Judge output (streamed, shown as plain text)", lines=6, interactive=False, elem_id="judge-raw"
    )
    verdict = gr.Markdown(elem_id="judge-verdict")
    with gr.Row():
        reason = gr.Markdown(elem_id="judge-reason", line_breaks=True)
        reference = gr.Markdown(elem_id="judge-reference", line_breaks=True)
    with gr.Accordion("Every stored judge verdict (both orders)", open=True, elem_id="judge-orders-section"):
        orders = gr.Markdown(elem_id="judge-orders", line_breaks=True)
    with gr.Accordion("Judge your own pair (not stored)", open=False):
        c_instruction = gr.Textbox(label="Instruction", lines=2)
        c_input = gr.Textbox(label="Input (optional)", lines=2)
        with gr.Row():
            c_r1 = gr.Textbox(label="Response 1", lines=5)
            c_r2 = gr.Textbox(label="Response 2", lines=5)
        c_run = gr.Button("Judge this pair", elem_id="judge-custom")

    def wanted(
        dataset_name: str | None,
        category_name: str | None,
        pair_key: str | None,
        against_judge: bool,
        no_verdict: bool,
        low_confidence: bool,
        below: float | None,
    ) -> CaseFilter:
        return CaseFilter(
            dataset=dataset_name or None,
            category=None if category_name in (None, "", ANY) else category_name,
            model_pair=None if pair_key in (None, "", ANY) else pair_key,
            judge_disagrees=bool(against_judge),
            unparsed=bool(no_verdict),
            low_confidence=bool(low_confidence),
            threshold=DEFAULT_LOW_CONFIDENCE if below is None else float(below),
        )

    def listed(choices: list[tuple[str, int]], current: int | None) -> tuple[Any, str]:
        ids = [i for _, i in choices]
        value = current if current in ids else (ids[0] if ids else None)
        n = len(choices)
        note = f"**{n}** comparison{'s' if n != 1 else ''} match." if n else "_No comparison matches the filters._"
        return gr.Dropdown(choices=choices, value=value), note

    def filter_comparisons(
        dataset_name: str | None,
        category_name: str | None,
        pair_key: str | None,
        against_judge: bool,
        no_verdict: bool,
        low_confidence: bool,
        below: float | None,
        current: int | None,
        request: gr.Request,
    ) -> tuple[Any, str]:
        chosen = wanted(dataset_name, category_name, pair_key, against_judge, no_verdict, low_confidence, below)
        try:
            choices = browser.comparisons(actor_of(request), chosen)
        except UserError as exc:
            raise _fail(exc) from exc
        return listed(choices, current)

    def for_dataset(dataset_name: str | None, request: gr.Request) -> tuple[Any, ...]:
        """A new dataset: its categories and model pairs, every comparison (filters reset)."""
        actor = actor_of(request)
        try:
            options = browser.options(actor, dataset_name)
            choices = browser.comparisons(actor, CaseFilter(dataset=dataset_name or None))
        except UserError as exc:
            raise _fail(exc) from exc
        shown, note = listed(choices, None)
        return (
            gr.Dropdown(choices=[ANY, *options.categories], value=ANY),
            gr.Dropdown(choices=[(ANY, ANY), *options.model_pairs], value=ANY),
            False,
            False,
            False,
            shown,
            note,
        )

    def on_page_load(dataset_name: str | None, request: gr.Request) -> tuple[Any, ...]:
        try:
            studio.access.require(actor_of(request), "reviewer")
        except UserError:
            return (gr.Dropdown(), gr.Dropdown(), False, False, False, gr.Dropdown(choices=[], value=None), ROLE_NOTE)
        return for_dataset(dataset_name, request)

    def show(comparison_id: int | None, request: gr.Request) -> tuple[Any, ...]:
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
                "",
            )
        try:
            detail = browser.detail(actor_of(request), int(comparison_id))
        except UserError as exc:
            raise _fail(exc) from exc
        c, v = detail.comparison, detail.latest
        return (
            comparison_header(c),
            prompt_markdown(c),
            f"### Response 1 · {code(c.model1)}",
            quote_block(c.response1),
            f"### Response 2 · {code(c.model2)}",
            quote_block(c.response2),
            v.raw_output if v else "",
            verdict_markdown(v),
            reason_markdown(v.reason) if v else "",
            reference_markdown(v.reference) if v else "",
            opinions_markdown(detail.opinions, v),
        )

    def refresh_orders(comparison_id: int | None, request: gr.Request) -> str:
        if comparison_id is None:
            return ""
        try:
            detail = browser.detail(actor_of(request), int(comparison_id))
        except UserError as exc:
            raise _fail(exc) from exc
        return opinions_markdown(detail.opinions, detail.latest)

    def run_judge(
        comparison_id: int | None,
        decoding: str | None = None,
        new_tokens: float | None = None,
        request: gr.Request | None = None,
    ) -> Iterator[tuple[str, str, str, str, str]]:
        """``decoding`` and ``new_tokens`` may be left out (API callers): the Studio's settings then."""
        if comparison_id is None:
            raise gr.Error("Pick a comparison first.")
        if new_tokens is not None and not MIN_NEW_TOKENS <= new_tokens <= MAX_NEW_TOKENS:
            raise gr.Error(f"Max new tokens must be between {MIN_NEW_TOKENS} and {MAX_NEW_TOKENS}.")
        tokens = None if new_tokens is None else int(new_tokens)
        try:
            for step in browser.stream(
                actor_of(request), int(comparison_id), decoding=decoding or None, max_new_tokens=tokens
            ):
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

    def run_custom(
        instruction: str, input_: str, r1: str, r2: str, request: gr.Request
    ) -> Iterator[tuple[str, str, str, str]]:
        try:
            for step in browser.stream_custom(actor_of(request), PairCase(instruction, r1, r2, input=input_)):
                v = step.verdict
                if v is None:
                    yield step.text, "_Judging…_", "", ""
                else:
                    yield step.text, verdict_markdown(v), reason_markdown(v.reason), reference_markdown(v.reference)
        except UserError as exc:
            raise _fail(exc) from exc

    def judge_status(request: gr.Request) -> str:
        try:
            studio.access.require(actor_of(request), "reviewer")
        except UserError:
            return ""
        return studio.judge_status()

    filter_inputs = [dataset, category, pair, disagree, unparsed, low, threshold, picker]
    dataset_outputs = [category, pair, disagree, unparsed, low, picker, count]
    shown_outputs = [header, prompt, left_title, left, right_title, right, raw, verdict, reason, reference, orders]
    dataset.change(for_dataset, inputs=dataset, outputs=dataset_outputs, api_visibility="private")
    apply.click(
        filter_comparisons,
        inputs=filter_inputs,
        outputs=[picker, count],
        api_name="case_filter",
        concurrency_limit=None,
    )
    picker.change(show, inputs=picker, outputs=shown_outputs, api_name="show_comparison")
    run.click(
        run_judge,
        inputs=[picker, preset, max_tokens],
        outputs=[raw, verdict, reason, reference, status],
        api_name="judge_comparison",
        concurrency_id="judge",
        concurrency_limit=JUDGE_SLOTS,
    ).then(refresh_orders, inputs=picker, outputs=orders, api_visibility="private")
    c_run.click(
        run_custom,
        inputs=[c_instruction, c_input, c_r1, c_r2],
        outputs=[raw, verdict, reason, reference],
        api_name="judge_custom",
        concurrency_id="judge",
        concurrency_limit=JUDGE_SLOTS,
    )
    demo.load(on_page_load, inputs=dataset, outputs=dataset_outputs, api_visibility="private")
    status_timer = gr.Timer(3.0)
    status_timer.tick(
        judge_status, outputs=status, api_visibility="private", concurrency_limit=None, show_progress="hidden"
    )
