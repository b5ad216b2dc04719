"""The Gradio interface: Case study, Annotate and Dashboard tabs.

Handlers only lay out what ``orchestration.Studio`` returns; errors the user can fix arrive as
``UserError`` and are shown with ``gr.Error``. Untrusted text goes through ``safe_markdown`` into
``gr.Markdown`` (sanitizing on) or into read-only text boxes, never into ``gr.HTML``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from annotation_store import ComparisonView, VerdictView
from judge_runtime import PairCase
from orchestration import Studio, UserError
from ui.plots import confusion_figure, partial_order_figure
from ui.render import quote_block, safe_markdown

STATIC = Path(__file__).resolve().parent.parent / "static"
VERDICT_NAMES = {"1": "Response 1 is better", "2": "Response 2 is better", "tie": "Tie"}
JUDGE_SLOTS = 1  # one generation at a time on one CPU/GPU


def _fail(exc: Exception) -> gr.Error:
    return gr.Error(str(exc), print_exception=False)


# ----------------------------------------------------------------------------------- formatting
def prompt_markdown(c: ComparisonView) -> str:
    parts = [f"**Instruction**\n\n{safe_markdown(c.instruction)}"]
    if c.input.strip():
        parts.append(f"**Input**\n\n{safe_markdown(c.input)}")
    return "\n\n".join(parts)


def case_header(c: ComparisonView) -> str:
    return f"Comparison **#{c.id}** · `{c.prompt_key}` · {c.category} · dataset `{c.dataset}`"


def verdict_markdown(v: VerdictView | None) -> str:
    if v is None:
        return "_Not judged yet: press **Run judge**._"
    if v.status != "ok":
        shown = {
            "unparsed": "Unparsed: the judge's output has no verdict in its format",
            "truncated": "Truncated: the output hit the token limit before a verdict",
        }
        return f"### ⚠ {shown.get(v.status, v.status)}\n\nJudge: {safe_markdown(v.judge_model)} · {v.profile}"
    probs = ""
    if v.probabilities:
        p = v.probabilities
        probs = f" · p(1) {p['1']:.2f} · p(2) {p['2']:.2f} · p(tie) {p['tie']:.2f}"
    return (
        f"### Verdict: {VERDICT_NAMES[str(v.verdict)]}\n\n"
        f"Judge: {safe_markdown(v.judge_model)} · profile `{v.profile}` · {v.latency_s:.1f} s{probs}"
    )


def reason_markdown(text: str) -> str:
    return f"**Reason**\n\n{quote_block(text, '_(none given)_')}"


def reference_markdown(text: str) -> str:
    return f"**Reference answer**\n\n{quote_block(text, '_(none given)_')}"


# ----------------------------------------------------------------------------------- the app
def build_ui(studio: Studio) -> gr.Blocks:
    datasets = studio.dataset_names()
    default = studio.default_dataset()

    def dataset_picker(elem_id: str) -> gr.Dropdown:
        return gr.Dropdown(choices=datasets, value=default, label="Dataset", elem_id=elem_id, scale=1)

    with gr.Blocks(title="Judge Studio") as demo:
        gr.Markdown("# Judge Studio\nJudge LLM responses with a local judge model, and check the judge against people.")
        with gr.Tabs():
            with gr.Tab("Case study", id="case", elem_id="tab-case"):
                _case_study_tab(studio, demo, dataset_picker("case-dataset"), default)
            with gr.Tab("Annotate", id="annotate", elem_id="tab-annotate"):
                _annotate_tab(studio, dataset_picker)
            with gr.Tab("Dashboard", id="dashboard", elem_id="tab-dashboard"):
                _dashboard_tab(studio, demo, dataset_picker)
    return demo


def _case_study_tab(studio: Studio, demo: gr.Blocks, dataset: gr.Dropdown, default: str | None) -> None:
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


def _annotate_tab(studio: Studio, dataset_picker: Any) -> None:
    gr.Markdown(
        "Label which response answers the instruction better. Model names and the judge's verdict are "
        "hidden until you submit. Keys: **1**, **2**, **T** (tie) when not typing in a text box."
    )
    with gr.Row():
        name = gr.Textbox(label="Your annotator name", placeholder="e.g. alice", elem_id="annotator-name", scale=3)
        dataset = dataset_picker("annotate-dataset")
        start = gr.Button("Start labelling", elem_id="start-labelling", scale=1)
    comparison = gr.Number(label="Comparison #", precision=0, interactive=False, elem_id="annotate-id")
    prompt = gr.Markdown()
    with gr.Row(equal_height=False):
        with gr.Column():
            gr.Markdown("### Response 1")
            left = gr.Markdown(elem_id="annotate-response-1", elem_classes=["js-response"], line_breaks=True)
        with gr.Column():
            gr.Markdown("### Response 2")
            right = gr.Markdown(elem_id="annotate-response-2", elem_classes=["js-response"], line_breaks=True)
    with gr.Row():
        b1 = gr.Button("1 · Response 1 is better", elem_id="label-1")
        bt = gr.Button("T · Tie", elem_id="label-tie")
        b2 = gr.Button("2 · Response 2 is better", elem_id="label-2")
    feedback = gr.Markdown(elem_id="annotate-feedback")
    idempotency = gr.State(lambda: uuid.uuid4().hex)

    def present(annotator: str, dataset_name: str | None, note: str = "") -> tuple[Any, ...]:
        try:
            item = studio.next_for(annotator, dataset_name)
        except UserError as exc:
            raise _fail(exc) from exc
        key = uuid.uuid4().hex
        if item is None:
            return None, "_You have labelled every comparison. Thank you!_", "", "", note, key
        return (
            item.id,
            prompt_markdown(item),
            quote_block(item.response1),
            quote_block(item.response2),
            note,
            key,
        )

    def submit(
        verdict: str, annotator: str, comparison_id: float | None, key: str, dataset_name: str | None
    ) -> tuple[Any, ...]:
        if comparison_id is None:
            raise gr.Error("Press “Start labelling” first: there is no comparison on screen.")
        try:
            saved = studio.submit_label(int(comparison_id), annotator, verdict, idempotency_key=key)
        except UserError as exc:
            raise _fail(exc) from exc
        judged = studio.latest_verdict(saved.comparison_id)
        reveal = f" The judge said: **{VERDICT_NAMES[judged.verdict]}**." if judged and judged.verdict else ""
        note = f"Saved **{VERDICT_NAMES[verdict]}** on #{saved.comparison_id} (version {saved.version}).{reveal}"
        return present(annotator, dataset_name, note)

    outputs = [comparison, prompt, left, right, feedback, idempotency]
    start.click(lambda n, d: present(n, d), inputs=[name, dataset], outputs=outputs, api_name="next_item")
    name.submit(lambda n, d: present(n, d), inputs=[name, dataset], outputs=outputs, api_visibility="private")
    for button, verdict in ((b1, "1"), (b2, "2"), (bt, "tie")):
        button.click(
            lambda n, c, k, d, v=verdict: submit(v, n, c, k, d),
            inputs=[name, comparison, idempotency, dataset],
            outputs=outputs,
            api_name=f"label_{verdict}",
            concurrency_id="labels",
            concurrency_limit=8,
        )


def _dashboard_tab(studio: Studio, demo: gr.Blocks, dataset_picker: Any) -> None:
    with gr.Row():
        dataset = dataset_picker("dashboard-dataset")
        runs = studio.judge_run_choices(studio.default_dataset())
        judge_run = gr.Dropdown(
            choices=runs, value=runs[0][1] if runs else None, label="Judge run", elem_id="dashboard-judge", scale=2
        )
    summary = gr.Markdown(elem_id="dashboard-summary")
    confusion = gr.Plot(label="Confusion matrix")
    with gr.Row():
        judge_graph = gr.Plot(label="Judge: partial order of models")
        human_graph = gr.Plot(label="People: partial order of models")
    gr.Markdown(
        "An arrow A → B means A beat B significantly (two-sided sign test on decisive outcomes, p < 0.05); "
        "labels are wins-losses-ties. People's graph uses each comparison's majority label."
    )
    timer = gr.Timer(5.0)

    def refresh(dataset_name: str | None, run_id: int | None) -> tuple[Any, ...]:
        board = studio.dashboard(dataset_name, run_id)
        a = board.agreement
        c = board.counts
        fmt = lambda x: "–" if x is None else f"{x:.3f}"  # noqa: E731
        text = (
            f"**{c['comparisons']}** comparisons · **{c['labels']}** human labels from **{c['annotators']}** "
            f"annotators · **{c['verdicts']}** judge verdicts\n\n"
            f"Human vs judge over **{a.n}** labels: accuracy **{fmt(a.accuracy)}**, "
            f"Cohen's κ **{fmt(a.cohen_kappa)}**, macro F1 **{fmt(a.macro_f1)}**"
            + (
                f" · {a.judge_unparsed} labelled comparisons have an unparsed judge output (left out)"
                if a.judge_unparsed
                else ""
            )
        )
        judge_title = f"Judge ({board.judge_name})" if board.judge_name else "Judge"
        return (
            text,
            confusion_figure(a.confusion),
            partial_order_figure(board.judge_order, judge_title, board.models),
            partial_order_figure(board.human_order, "People (majority label)", board.models),
        )

    outputs = [summary, confusion, judge_graph, human_graph]
    inputs = [dataset, judge_run]
    timer.tick(
        refresh,
        inputs=inputs,
        outputs=outputs,
        api_visibility="private",
        concurrency_limit=None,
        show_progress="hidden",
    )
    demo.load(refresh, inputs=inputs, outputs=outputs, api_name="dashboard", concurrency_limit=None)
    judge_run.change(refresh, inputs=inputs, outputs=outputs, api_visibility="private", concurrency_limit=None)

    def runs_for(dataset_name: str | None) -> gr.Dropdown:
        choices = studio.judge_run_choices(dataset_name)
        return gr.Dropdown(choices=choices, value=choices[0][1] if choices else None)

    dataset.change(runs_for, inputs=dataset, outputs=judge_run, api_visibility="private").then(
        refresh, inputs=inputs, outputs=outputs, api_visibility="private", concurrency_limit=None
    )


def head_html() -> str:
    """Keyboard shortcuts for the Annotate tab (ignored while typing in a text field)."""
    return f"<script>{(STATIC / 'shortcuts.js').read_text(encoding='utf-8')}</script>"


def css_paths() -> list[Path]:
    return [STATIC / "judge_studio.css"]
