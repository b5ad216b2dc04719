"""The Review page: comparisons where people disagree with each other or with the judge; a reviewer
opens one, reads every label and the judge's verdicts in both orders, and sets the final label with
a rationale.

Every handler passes the logged-in account (``request.username``) to ``orchestration.ReviewDesk``,
which checks the reviewer role on the server. Untrusted text (responses, comments, judge reasons,
model and annotator names) goes into ``gr.Markdown`` through ``ui.render`` or into ``gr.Dataframe``
cells, never into ``gr.HTML``. Opening a comparison and saving a final label report mistakes in the
page (``ui.errors.noted``), so a mistyped number never leaves the form blocked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from analysis.label_scope import LabelScope
from orchestration import ReviewDesk, Studio
from orchestration.report_card import label_scopes
from orchestration.review import QUEUE_KINDS, ReviewItem, item_scope_line
from ui.comparison_panel import ComparisonPanel, comparison_header, comparison_panel
from ui.dashboard_layout import labels_from_choices, labels_from_picker
from ui.errors import actor_of, guarded, has_role, noted
from ui.formatting import EMPTY_NUMBER
from ui.pickers import DatasetPickers
from ui.render import inline_text
from ui.review_text import (
    LABEL_HEADERS,
    QUEUE_HEADERS,
    adjudication_markdown,
    gold_note,
    labels_frame,
    opinions_markdown,
    queue_frame,
    saved_note,
)
from ui.tables import plain_table

__all__ = ["actor_of", "comparison_header", "opinions_markdown", "review_tab"]

ALL_DATASETS = "(all datasets)"
FINAL_CHOICES = [("1 · Response 1 is better", "1"), ("2 · Response 2 is better", "2"), ("Tie", "tie")]
INTRO = (
    "Comparisons where annotators disagree with each other or with the judge. Open one (click a row or "
    "enter its number), read every label and the judge's verdicts, then set the final label with a "
    "rationale. For reviewers and admins."
)
ROLE_NOTE = "_The review queue is for reviewers and admins._"
PICK_A_ROW = "⚠ Click a row of the queue."


class RowPick(gr.EventData):
    """A click on a queue row, as ``gr.SelectData`` but read safely: Gradio builds the handler's event argument
    before calling it, and ``gr.SelectData`` with no event data (a hand-made API call) failed there with
    "'NoneType' object is not subscriptable" (s13 redteam finding 7); here ``index`` is then ``None`` and the
    handler answers ``PICK_A_ROW``."""

    def __init__(self, target: Any, data: Any) -> None:
        super().__init__(target, data)
        self.index: Any = data.get("index") if isinstance(data, dict) else None


@dataclass(frozen=True)
class QueueSection:
    dataset: gr.Dropdown
    kind: gr.Radio
    open_only: gr.Checkbox
    refresh: gr.Button
    count: gr.Markdown
    queue: gr.Dataframe
    # whose labels the disagreements read: "all", "imported" or a session (the Dashboard's picker and choices)
    labels_from: gr.Dropdown

    @property
    def filters(self) -> list[Any]:
        return [self.dataset, self.kind, self.open_only, self.labels_from]


@dataclass(frozen=True)
class ItemSection:
    number: gr.Number
    open: gr.Button
    note: gr.Markdown
    panel: ComparisonPanel
    scope: gr.Markdown  # whose labels the table lists (the queue's "Labels from") and how many lie outside it
    labels: gr.Dataframe
    judge: gr.Markdown
    current: gr.Markdown
    final: gr.Radio
    rationale: gr.Textbox
    save: gr.Button
    feedback: gr.Markdown
    opened: gr.State  # the comparison shown (its labels are listed again when "Labels from" changes)

    @property
    def shown(self) -> list[Any]:
        """Everything opening a comparison may change."""
        fixed = [self.number, self.note, self.scope, self.labels, self.judge, self.current, self.final]
        return [*fixed, self.rationale, *self.panel.components, self.feedback, self.opened]


def queue_section(pickers: DatasetPickers) -> QueueSection:
    with gr.Row():
        dataset = pickers.add("review-dataset", extra=(ALL_DATASETS,), scale=2, allow_custom_value=True)
        kind = gr.Radio(choices=list(QUEUE_KINDS), value="any", label="Disagreement", elem_id="review-kind", scale=2)
        labels_from = labels_from_picker("review-labels-from", custom=False)  # typed text is no scope
        open_only = gr.Checkbox(value=True, label="Only not yet adjudicated", elem_id="review-open-only", scale=1)
        refresh = gr.Button("Refresh queue", elem_id="review-refresh", scale=1)
    count = gr.Markdown(elem_id="review-count")
    queue = plain_table(
        headers=QUEUE_HEADERS,
        datatype="str",
        interactive=False,
        wrap=True,
        max_height=360,
        elem_id="review-queue",
        label="Review queue",
    )
    return QueueSection(dataset, kind, open_only, refresh, count, queue, labels_from)


def count_markdown(n: int, scope: LabelScope | None) -> str:
    """How many comparisons the queue lists, and (as the reports say it) whose labels it read: the
    notice that imported labels are mixed in, or the one session's or the imported labels alone."""
    text = f"**{n}** comparison{'s' if n != 1 else ''} to review" if n else "_Nothing to review here._"
    line = scope.line() if scope is not None else None
    return f"{text}\n\n_{inline_text(line)}_" if line else text


def item_section() -> ItemSection:
    with gr.Row():
        number = gr.Number(
            label="Comparison #",
            precision=0,
            placeholder="e.g. 12",
            elem_id="review-id",
            elem_classes=EMPTY_NUMBER,
            scale=1,
        )
        open_button = gr.Button("Open", elem_id="review-open", scale=1)
    note = gr.Markdown(elem_id="review-open-note")
    panel = comparison_panel("review")
    scope = gr.Markdown(elem_id="review-labels-scope")
    labels = plain_table(
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
    opened = gr.State(None)
    return ItemSection(
        number, open_button, note, panel, scope, labels, judge, current, final, rationale, save, feedback, opened
    )


def scope_markdown(found: ReviewItem) -> str:
    """The line above an opened comparison's labels: whose labels it lists (the "Labels from" picker's scope)
    and how many of its labels lie outside it, with how to see them."""
    return f"_{inline_text(item_scope_line(found))}_"


def review_tab(studio: Studio, demo: gr.Blocks | None = None, pickers: DatasetPickers | None = None) -> None:
    """The Review page. ``demo``: when given, the queue loads with the page."""
    gr.Markdown(INTRO)
    queue = queue_section(pickers or DatasetPickers(studio))
    item = item_section()
    wire_review(studio.review, studio, demo, queue, item)


def wire_review(
    desk: ReviewDesk, studio: Studio, demo: gr.Blocks | None, queue: QueueSection, item: ItemSection
) -> None:
    """The page's handlers and events (api_names kept for the tests and scripts that call them)."""

    def listed(
        dataset_name: str | None, kind_name: str, only_open: bool, request: gr.Request, scope: str | None = None
    ) -> dict[Any, Any]:
        """``scope``: the "Labels from" picker's value (after the request: Gradio passes it in its place)."""
        found = desk.queue(
            actor_of(request),
            None if dataset_name in (None, ALL_DATASETS) else dataset_name,
            open_only=bool(only_open),
            kind=kind_name or "any",
            labels_from=scope,
        )
        return {queue.queue: queue_frame(found.rows), queue.count: count_markdown(len(found.rows), found.scope)}

    load_queue = guarded(listed)

    def load_on_page(
        dataset_name: str | None, kind_name: str, only_open: bool, request: gr.Request, scope: str | None = None
    ) -> dict:
        """Like ``load_queue``, but a user without the role gets a note, not an error popup."""
        if not has_role(studio, request, "reviewer"):
            return {queue.queue: pd.DataFrame(columns=QUEUE_HEADERS), queue.count: ROLE_NOTE}
        return load_queue(dataset_name, kind_name, only_open, request, scope)

    def scopes(dataset_name: str | None, request: gr.Request) -> Any:
        """The "Labels from" choices of the dataset (the Dashboard's: all people, each of its sessions,
        imported labels), back at all people; every dataset's queue: all people or imported labels."""
        if not has_role(studio, request, "reviewer"):
            return gr.skip()
        named = None if dataset_name in (None, ALL_DATASETS) else dataset_name
        sessions = label_scopes(studio, actor_of(request), named)
        return gr.Dropdown(choices=labels_from_choices(sessions), value="all")

    @noted(item.note)
    def show(comparison_id: float | None, request: gr.Request, scope: str | None = None) -> dict[Any, Any]:
        """``scope``: the "Labels from" picker's value, as the queue takes it (after the request)."""
        found = desk.item(actor_of(request), comparison_id, labels_from=scope)
        adjudication = found.adjudication
        return {
            **item.panel.show(found.comparison, header_extra=gold_note(found.gold)),
            item.number: found.comparison.id,
            item.note: "",
            item.scope: scope_markdown(found),
            item.labels: labels_frame(found.labels),
            item.judge: opinions_markdown(found.opinions, found.latest),
            item.current: adjudication_markdown(adjudication),
            item.final: adjudication.verdict if adjudication else None,
            item.rationale: adjudication.rationale if adjudication else "",
            item.feedback: "",
            item.opened: found.comparison.id,
        }

    @noted(item.note)
    def relabel(opened: int | None, request: gr.Request, scope: str | None = None) -> dict[Any, Any]:
        """A new "Labels from" scope: the shown comparison's labels in it (the rest of the form, a rationale
        being written included, stays as it is); nothing when no comparison is shown."""
        if opened is None:  # Gradio reads an empty dict as one value: name an output, changed in nothing
            return {item.note: gr.skip()}
        found = desk.item(actor_of(request), opened, labels_from=scope)
        return {item.note: "", item.scope: scope_markdown(found), item.labels: labels_frame(found.labels)}

    def pick(frame: pd.DataFrame, evt: RowPick, request: gr.Request, scope: str | None = None) -> dict[Any, Any]:
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) and evt.index else evt.index
        try:
            comparison_id = int(str(frame.iloc[int(row), 0]))
        except (IndexError, ValueError, TypeError, AttributeError):
            return {item.note: PICK_A_ROW}
        return show(comparison_id, request, scope)

    @noted(item.feedback)
    def adjudicate(
        comparison_id: float | None,
        verdict: str | None,
        why: str,
        dataset_name: str | None,
        kind_name: str,
        only_open: bool,
        request: gr.Request,
        scope: str | None = None,
    ) -> dict[Any, Any]:
        saved = desk.adjudicate(actor_of(request), comparison_id, verdict, why)
        return {
            item.current: adjudication_markdown(saved),
            item.feedback: saved_note(saved),
            **listed(dataset_name, kind_name, only_open, request, scope),
        }

    wire_queue(queue, load_queue, load_on_page, scopes, demo)
    wire_item(queue, item, show, pick, adjudicate, relabel)


def wire_queue(queue: QueueSection, load_queue: Any, load_on_page: Any, scopes: Any, demo: gr.Blocks | None) -> None:
    fast: dict[str, Any] = {"concurrency_limit": None, "api_visibility": "private"}
    lists = [queue.queue, queue.count]
    queue.refresh.click(
        load_queue, inputs=queue.filters, outputs=lists, api_name="review_queue", concurrency_limit=None
    )
    for control in (queue.kind, queue.open_only):
        control.change(load_queue, inputs=queue.filters, outputs=lists, **fast)
    # a new dataset has other sessions: the picker goes back to all people before the queue is read
    # (as on the Dashboard); only a person's own pick of the picker (``input``) reads the queue again
    queue.dataset.change(scopes, inputs=queue.dataset, outputs=queue.labels_from, **fast).then(
        load_queue, inputs=queue.filters, outputs=lists, **fast
    )
    queue.labels_from.input(load_queue, inputs=queue.filters, outputs=lists, **fast)
    if demo is not None:
        demo.load(load_on_page, inputs=queue.filters, outputs=lists, **fast)
        demo.load(scopes, inputs=queue.dataset, outputs=queue.labels_from, **fast)


def wire_item(queue: QueueSection, item: ItemSection, show: Any, pick: Any, adjudicate: Any, relabel: Any) -> None:
    fast: dict[str, Any] = {"concurrency_limit": None}
    shown = item.shown
    opening = [item.number, queue.labels_from]  # the item lists the labels of the queue's scope
    item.open.click(show, inputs=opening, outputs=shown, api_name="review_item", **fast)
    item.number.submit(show, inputs=opening, outputs=shown, api_visibility="private", **fast)
    queue.queue.select(pick, inputs=[queue.queue, queue.labels_from], outputs=shown, api_visibility="private", **fast)
    # the picker's every change (a person's pick, or back to all people for a new dataset) relists the shown labels
    relisted = [item.note, item.scope, item.labels]
    queue.labels_from.change(
        relabel, inputs=[item.opened, queue.labels_from], outputs=relisted, api_visibility="private", **fast
    )
    item.save.click(
        adjudicate,
        inputs=[item.number, item.final, item.rationale, *queue.filters],
        outputs=[item.current, item.feedback, queue.queue, queue.count],
        api_name="adjudicate",
    )
