"""The Annotate page: blind pairwise labelling, written to the store on every submit."""

from __future__ import annotations

import uuid
from typing import Any

import gradio as gr

from orchestration import Studio, UserError
from ui.formatting import VERDICT_NAMES, _fail, prompt_markdown
from ui.render import quote_block


def annotate_tab(studio: Studio, dataset_picker: Any) -> None:
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
