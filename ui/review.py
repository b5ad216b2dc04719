"""The Review page: comparisons where people disagree with each other or with the judge; a reviewer
opens one, reads every label and the judge's verdicts in both orders, and sets the final label with
a rationale.

Every handler passes the logged-in account (``request.username``) to ``orchestration.ReviewDesk``,
which checks the reviewer role on the server. Untrusted text (responses, comments, judge reasons,
model and annotator names) goes into ``gr.Markdown`` through ``safe_markdown``/``quote_block`` or
into ``gr.Dataframe`` cells, never into ``gr.HTML``.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from annotation_store import AdjudicationView, ComparisonView, VerdictView
from orchestration import JudgeOpinion, ReviewDesk, Studio, UserError
from orchestration.review import QUEUE_KINDS
from ui.formatting import VERDICT_NAMES, _fail, prompt_markdown
from ui.render import code, quote_block, safe_markdown

ALL_DATASETS = "(all datasets)"
QUEUE_HEADERS = ["#", "dataset", "category", "model 1", "model 2", "labels", "judge", "why", "final"]
LABEL_HEADERS = ["annotator", "kind", "verdict", "confidence", "flagged", "comment", "version", "updated"]
FINAL_CHOICES = [("1 · Response 1 is better", "1"), ("2 · Response 2 is better", "2"), ("Tie", "tie")]


def comparison_header(c: ComparisonView) -> str:
    category = f" · {safe_markdown(c.category)}" if c.category else ""
    return f"Comparison **#{c.id}** · {code(c.prompt_key)}{category} · dataset {code(c.dataset)}"


def actor_of(request: gr.Request | None) -> str | None:
    """The logged-in account of a request (None when there is no login)."""
    return getattr(request, "username", None) if request is not None else None


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, (str, dict, list)) and bool(pd.isna(value)))


def verdict_word(verdict: Any) -> str:
    if _missing(verdict):
        return "–"
    return {"1": "1", "2": "2", "tie": "tie"}.get(str(verdict), str(verdict))


def queue_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The review queue as the page shows it (all cells plain text)."""
    rows = []
    for row in frame.to_dict("records"):
        labels: dict[str, Any] = row["labels"] if isinstance(row["labels"], dict) else {}
        reasons = (("people disagree", row["annotators_disagree"]), ("judge disagrees", row["judge_disagrees"]))
        rows.append(
            [
                int(row["comparison_id"]),
                str(row["dataset"]),
                str(row["category"] or ""),
                str(row["model1"]),
                str(row["model2"]),
                " · ".join(f"{name}: {verdict_word(v)}" for name, v in labels.items()),
                verdict_word(row["judge_verdict"]),
                ", ".join(w for w, on in reasons if bool(on)),
                verdict_word(row["adjudication"]),
            ]
        )
    return pd.DataFrame(rows, columns=QUEUE_HEADERS)


def labels_frame(labels: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for row in labels.to_dict("records"):
        verdict = "skipped" if bool(row["skipped"]) else verdict_word(row["verdict"])
        confidence = "" if _missing(row["confidence"]) else str(int(row["confidence"]))
        updated = "" if _missing(row["updated_at"]) else str(row["updated_at"])[:19]
        rows.append(
            [
                str(row["annotator"]),
                str(row["kind"]),
                verdict,
                confidence,
                "yes" if bool(row["flagged"]) else "",
                str(row["comment"] or ""),
                int(row["version"]),
                updated,
            ]
        )
    return pd.DataFrame(rows, columns=LABEL_HEADERS)


def probabilities_text(verdict: VerdictView | None) -> str:
    if verdict is None or not verdict.probabilities:
        return ""
    p = verdict.probabilities
    return f"p(1) {p.get('1', 0.0):.2f} · p(2) {p.get('2', 0.0):.2f} · p(tie) {p.get('tie', 0.0):.2f}"


def opinions_markdown(opinions: tuple[JudgeOpinion, ...], latest: VerdictView | None) -> str:
    """Every judge run's verdict in the original and the swapped order, with its reason."""
    if not opinions:
        return "_No judge verdict stored for this comparison._"
    parts = []
    for run_id in dict.fromkeys(o.run_id for o in opinions):
        mine = [o for o in opinions if o.run_id == run_id]
        head = mine[0]
        lines = [f"#### Judge {code(head.judge)} · profile {code(head.profile)} · run {run_id}"]
        for o in mine:
            order = "swapped order (response 2 shown first)" if o.swapped else "original order"
            if o.status == "ok":
                shown = VERDICT_NAMES.get(str(o.verdict), str(o.verdict))
            else:
                shown = f"⚠ {o.status} (no verdict)"
            probs = ""
            if latest is not None and latest.run_id == run_id and not o.swapped and latest.probabilities:
                probs = f" · {probabilities_text(latest)}"
            lines.append(f"- **{order}**: {shown}{probs}")
            if o.reason.strip():
                lines.append(f"\n{quote_block(o.reason)}\n")
        verdicts = {o.verdict for o in mine if o.status == "ok"}
        if len(mine) > 1 and len(verdicts) > 1:
            lines.append("\n_The two orders disagree (position bias)._")
        elif len(mine) > 1 and len(verdicts) == 1:
            lines.append("\n_Both orders agree._")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def adjudication_markdown(adjudication: AdjudicationView | None) -> str:
    if adjudication is None:
        return "_Not adjudicated yet._"
    when = adjudication.updated_at.strftime("%Y-%m-%d %H:%M")
    return (
        f"**Final label: {VERDICT_NAMES.get(adjudication.verdict, adjudication.verdict)}** · by "
        f"{code(adjudication.reviewer)} · {when} UTC\n\n{quote_block(adjudication.rationale)}"
    )


def review_tab(studio: Studio, demo: gr.Blocks | None = None) -> None:
    """The Review page. ``demo``: when given, the queue loads with the page."""
    desk = ReviewDesk(studio.store, studio.access)
    gr.Markdown(
        "Comparisons where annotators disagree with each other or with the judge. Open one (click a row or "
        "enter its number), read every label and the judge's verdicts, then set the final label with a "
        "rationale. For reviewers and admins."
    )
    with gr.Row():
        dataset = gr.Dropdown(
            choices=[ALL_DATASETS, *studio.dataset_names()],
            value=studio.default_dataset() or ALL_DATASETS,
            label="Dataset",
            elem_id="review-dataset",
            scale=2,
            allow_custom_value=True,
        )
        kind = gr.Radio(choices=list(QUEUE_KINDS), value="any", label="Disagreement", elem_id="review-kind", scale=2)
        open_only = gr.Checkbox(value=True, label="Only not yet adjudicated", elem_id="review-open-only", scale=1)
        refresh = gr.Button("Refresh queue", elem_id="review-refresh", scale=1)
    count = gr.Markdown(elem_id="review-count")
    queue = gr.Dataframe(
        headers=QUEUE_HEADERS,
        datatype="str",
        interactive=False,
        wrap=True,
        max_height=360,
        elem_id="review-queue",
        label="Review queue",
    )
    with gr.Row():
        number = gr.Number(label="Comparison #", precision=0, elem_id="review-id", scale=1)
        open_button = gr.Button("Open", elem_id="review-open", scale=1)
    header = gr.Markdown(elem_id="review-header")
    prompt = gr.Markdown(elem_classes=["js-prompt"])
    with gr.Row(equal_height=False):
        with gr.Column():
            left_title = gr.Markdown("### Response 1")
            left = gr.Markdown(elem_id="review-response-1", elem_classes=["js-response"], line_breaks=True)
        with gr.Column():
            right_title = gr.Markdown("### Response 2")
            right = gr.Markdown(elem_id="review-response-2", elem_classes=["js-response"], line_breaks=True)
    labels = gr.Dataframe(
        headers=LABEL_HEADERS, datatype="str", interactive=False, wrap=True, label="Labels", elem_id="review-labels"
    )
    judge = gr.Markdown(elem_id="review-judge", line_breaks=True)
    current = gr.Markdown(elem_id="review-adjudication")
    with gr.Row():
        final = gr.Radio(choices=FINAL_CHOICES, label="Final label", elem_id="review-verdict", scale=1)
        rationale = gr.Textbox(
            label="Rationale (required)", lines=3, elem_id="review-rationale", scale=3, max_length=10_000
        )
    save = gr.Button("Save final label", variant="primary", elem_id="review-save")
    feedback = gr.Markdown(elem_id="review-feedback")

    def load_queue(
        dataset_name: str | None, kind_name: str, only_open: bool, request: gr.Request
    ) -> tuple[pd.DataFrame, str]:
        try:
            frame = desk.queue(
                actor_of(request),
                None if dataset_name in (None, ALL_DATASETS) else dataset_name,
                open_only=bool(only_open),
                kind=kind_name or "any",
            )
        except UserError as exc:
            raise _fail(exc) from exc
        n = len(frame)
        text = f"**{n}** comparison{'s' if n != 1 else ''} to review" if n else "_Nothing to review here._"
        return queue_frame(frame), text

    def load_on_page(dataset_name: str | None, kind_name: str, only_open: bool, request: gr.Request) -> tuple[Any, str]:
        """On page load: like ``load_queue``, but a user without the role gets a note, not an error popup."""
        try:
            studio.access.require(actor_of(request), "reviewer")
        except UserError:
            return pd.DataFrame(columns=QUEUE_HEADERS), "_The review queue is for reviewers and admins._"
        return load_queue(dataset_name, kind_name, only_open, request)

    def show(comparison_id: float | None, request: gr.Request) -> tuple[Any, ...]:
        if comparison_id is None:
            raise gr.Error("Enter a comparison number or click a row of the queue.", print_exception=False)
        try:
            item = desk.item(actor_of(request), int(comparison_id))
        except UserError as exc:
            raise _fail(exc) from exc
        c = item.comparison
        gold = ""
        if item.gold is not None:
            gold = f"\n\n**Gold item**: answer {VERDICT_NAMES.get(item.gold[0], item.gold[0])}"
        return (
            c.id,
            comparison_header(c) + gold,
            prompt_markdown(c),
            f"### Response 1 · {code(c.model1)}",
            quote_block(c.response1),
            f"### Response 2 · {code(c.model2)}",
            quote_block(c.response2),
            labels_frame(item.labels),
            opinions_markdown(item.opinions, item.latest),
            adjudication_markdown(item.adjudication),
            item.adjudication.verdict if item.adjudication else None,
            item.adjudication.rationale if item.adjudication else "",
            "",
        )

    def pick(frame: pd.DataFrame, evt: gr.SelectData, request: gr.Request) -> tuple[Any, ...]:
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        try:
            comparison_id = int(str(frame.iloc[int(row), 0]))
        except (IndexError, ValueError, TypeError) as exc:
            raise gr.Error("Click a row of the queue.", print_exception=False) from exc
        return show(comparison_id, request)

    def adjudicate(
        comparison_id: float | None,
        verdict: str | None,
        why: str,
        dataset_name: str | None,
        kind_name: str,
        only_open: bool,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        try:
            saved = desk.adjudicate(
                actor_of(request), None if comparison_id is None else int(comparison_id), verdict, why
            )
        except UserError as exc:
            raise _fail(exc) from exc
        frame, text = load_queue(dataset_name, kind_name, only_open, request)
        note = (
            f"Saved the final label **{VERDICT_NAMES[saved.verdict]}** on #{saved.comparison_id} "
            f"(by {code(saved.reviewer)})."
        )
        return adjudication_markdown(saved), note, frame, text

    queue_inputs = [dataset, kind, open_only]
    shown = [number, header, prompt, left_title, left, right_title, right, labels, judge, current, final, rationale]
    shown_all = [*shown, feedback]
    refresh.click(
        load_queue, inputs=queue_inputs, outputs=[queue, count], api_name="review_queue", concurrency_limit=None
    )
    for control in (dataset, kind, open_only):
        control.change(
            load_queue, inputs=queue_inputs, outputs=[queue, count], api_visibility="private", concurrency_limit=None
        )
    open_button.click(show, inputs=number, outputs=shown_all, api_name="review_item", concurrency_limit=None)
    number.submit(show, inputs=number, outputs=shown_all, api_visibility="private", concurrency_limit=None)
    queue.select(pick, inputs=queue, outputs=shown_all, api_visibility="private", concurrency_limit=None)
    save.click(
        adjudicate,
        inputs=[number, final, rationale, *queue_inputs],
        outputs=[current, feedback, queue, count],
        api_name="adjudicate",
    )
    if demo is not None:
        demo.load(
            load_on_page, inputs=queue_inputs, outputs=[queue, count], api_visibility="private", concurrency_limit=None
        )
