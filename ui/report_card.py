"""The judge report card page (``report_card_tab``): dataset, judge run and aggregation pickers, the card and
its two figures (``card_view``). The card itself (Markdown, plain text, HTML, figures) is laid out by
``ui.card_document``, which imports no Gradio, so ``judge-studio report`` does not load this page.

Everything shown comes from ``orchestration.report_card`` (the card JSON, built from the same report as
``metrics --json``) through ``ReportCardDesk``, which requires the reviewer role.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import plotly.graph_objects as go

from analysis.defaults import AGGREGATION, AGGREGATIONS
from orchestration import Studio
from orchestration.metrics import PeopleOptions
from orchestration.report_card import ReportCardDesk
from ui.card_document import (
    aggregation_markdown,
    corrected_figure,
    head_markdown,
    judge_markdown,
    judges_compared_markdown,
    ratings_markdown,
    reliability_figure,
    reliability_gap,
)
from ui.dashboard_layout import labels_from_choices, labels_from_picker
from ui.errors import actor_of, guarded, has_role
from ui.pickers import shown_choices


def card_view(
    desk: ReportCardDesk,
    actor: str | None,
    dataset: str | None,
    run_id: int | None,
    aggregation: str | None,
    labels_from: str | None = None,
) -> tuple[str, go.Figure | None, go.Figure | None]:
    """The page's content for one run: Markdown, reliability diagram, win rates three ways. A figure that would
    hold only a message is None and the page hides its frame; the Markdown says the message (a frame holding only
    a message took a plot's height: s16 judgeshopper 9). So: a run without a diagram (no verdict probabilities)
    gets one line at the card's end, above the figures; no dataset chosen, a grading-only dataset and a dataset no
    judge has judged get their sentence in the card and no frame at all (s17 notes, s18 dashclean)."""
    if not dataset:
        return "_Choose a dataset and a judge run._", None, None
    card = desk.card(actor, dataset, run_id, PeopleOptions.given(aggregation), labels_from)
    if card.get("pairwise_note"):  # a grading-only dataset: the head says it has no comparisons, then its ratings
        return head_markdown(card) + "\n" + ratings_markdown(card), None, None
    if not card["judges"]:
        return head_markdown(card) + "\n_No judge has judged this dataset yet._", None, None
    judge = card["judges"][0]
    compared = judges_compared_markdown(card.get("judges_compared"))  # this run paired with the best (or others)
    parts = [head_markdown(card), compared, judge_markdown(judge), aggregation_markdown(card), ratings_markdown(card)]
    gap = reliability_gap(judge)
    if gap:
        parts.append(f"\n_{gap}._")
    markdown = "\n".join(parts)
    return markdown, None if gap else reliability_figure(judge), corrected_figure(judge)


def report_card_tab(studio: Studio, demo: gr.Blocks | None = None) -> None:
    """The page: dataset, judge run and aggregation pickers, the card, and its two figures. Every
    handler passes the signed-in account to ``ReportCardDesk``, which requires the reviewer role."""
    desk = ReportCardDesk(studio)
    with gr.Row():
        dataset = gr.Dropdown(label="Dataset", choices=[], elem_id="card-dataset", scale=2)
        run = gr.Dropdown(label="Judge run", choices=[], elem_id="card-run", scale=3)  # run names are long
        show = gr.Button("Show the report card", variant="primary", elem_id="card-show", scale=1)
    with gr.Row():  # a row of its own: beside three pickers and the button the scope read "sessio…"
        aggregation = gr.Radio(
            choices=list(AGGREGATIONS), value=AGGREGATION, label="People's labels", elem_id="card-aggregation"
        )
        labels_from = labels_from_picker("card-labels-from", custom=False, scale=2)
    card = gr.Markdown(elem_id="card-markdown")
    with gr.Row():  # hidden until the button draws them (two empty frames said nothing)
        reliability = gr.Plot(label="Reliability diagram", elem_id="card-reliability", visible=False)
        corrected = gr.Plot(label="Win rates three ways", elem_id="card-corrected", visible=False)

    @guarded
    def fill_datasets(current: str | None, request: gr.Request) -> dict[Any, Any]:
        names = set(desk.datasets(actor_of(request)))  # the role's datasets, labelled as every picker does
        choices = [choice for choice in studio.dataset_choices() if choice[1] in names]
        default = studio.default_dataset()
        chosen = current if current in names else (default if default in names else None)
        return {dataset: gr.Dropdown(choices=shown_choices(choices), value=chosen)}

    @guarded
    def fill_runs(name: str | None, request: gr.Request) -> dict[Any, Any]:
        runs = desk.runs(actor_of(request), name) if name else []
        ids = [run_id for _label, run_id in runs]
        default = studio.default_run(name) if runs else None
        sessions = desk.label_scopes(actor_of(request), name) if name else []
        return {
            run: gr.Dropdown(
                choices=shown_choices(runs), value=default if default in ids else (ids[-1] if ids else None)
            ),
            labels_from: gr.Dropdown(choices=labels_from_choices(sessions), value="all"),
        }

    @guarded
    def show_card(
        name: str | None, run_id: int | None, method: str | None, request: gr.Request, scope: str | None = None
    ) -> dict[Any, Any]:
        """``scope``: the "Labels from" picker's value (after the request: Gradio passes it in its place)."""
        text, diagram, rates = card_view(desk, actor_of(request), name, run_id, method, scope)
        # None: the card's Markdown says why, in place of a frame holding only that message
        return {
            card: text,
            reliability: gr.Plot(diagram, visible=diagram is not None),
            corrected: gr.Plot(rates, visible=rates is not None),
        }

    def on_page_load(current: str | None, request: gr.Request) -> dict[Any, Any]:
        """Every page loads this tab (hidden unless reviewer): anyone else gets nothing, not a popup."""
        # a non-empty dict: Gradio would read an empty one as the dropdown's value
        return fill_datasets(current, request) if has_role(studio, request, "reviewer") else {dataset: gr.skip()}

    dataset.focus(fill_datasets, inputs=[dataset], outputs=[dataset], api_visibility="private")
    if demo is not None:
        demo.load(on_page_load, inputs=[dataset], outputs=[dataset], api_visibility="private")
    dataset.change(fill_runs, inputs=[dataset], outputs=[run, labels_from], api_visibility="private")
    show.click(
        show_card,
        inputs=[dataset, run, aggregation, labels_from],
        outputs=[card, reliability, corrected],
        api_name="report_card",
    )
