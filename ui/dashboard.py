"""The Dashboard page: the lead's live view of human-judge agreement, people, biases and rankings.

Every figure comes from ``Studio.dashboard`` (``orchestration.dashboard.build_dashboard``); this
module only lays them out. A timer refreshes the page every 5 s; when nothing changed since the
last refresh of this tab, the figures are left as they are (no redraw, nothing sent).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import gradio as gr
import pandas as pd

from orchestration import Dashboard, Studio, UserError
from ui.plots import (
    agreement_over_time_figure,
    annotator_table_figure,
    bias_figure,
    bradley_terry_figure,
    category_figure,
    confusion_figure,
    kappa_figure,
    message_figure,
    partial_order_figure,
    rating_scatter_figure,
    win_table_figure,
)
from ui.review import actor_of

ROLE_NOTE = (
    "_The dashboard shows model names, judge verdicts and every annotator's figures: it is for reviewers and admins._"
)

EDGE_LEGEND = (
    "An arrow A → B means A beat B significantly (two-sided exact sign test on decisive outcomes, "
    "p < {alpha:g}); only the Hasse diagram's edges are drawn (A → C is implied by A → B → C). Edge labels: "
    "wins-losses-ties of A against B · p-value. People's graph uses each comparison's majority label. "
    "Differences: a **solid grey** edge is in both graphs (directly or through a path); an **orange dashed** "
    "edge is only in this graph (the other one does not order the two models); a **red dotted** edge is "
    "ordered the opposite way in the other graph."
)
BIAS_NOTE = (
    "Position: share of decisive answers that chose the response shown first (judge) or on the left "
    "(people; imported labels have no recorded order and count as shown in canonical order). Length: share "
    "of decisive verdicts (people: majority labels) that chose the longer response, in characters. Swap "
    "consistency: share of comparisons the judge judged in both orders with the same verdict. 0.5 means no "
    "preference; hover for n and the binomial p-value. Rating correlations (below) compare single-answer "
    "ratings from the Grade page with the judge's 1-10 scores."
)


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def summary_markdown(board: Dashboard) -> str:
    """Numbers only (no names from imported files), with what is missing said in words."""
    c, a = board.counts, board.agreement
    lines = [
        f"**{c['comparisons']}** comparisons · **{c['labels']}** human labels from **{c['annotators']}** "
        f"annotators on **{c['labelled_comparisons']}** comparisons ({c['multi_labelled']} labelled twice or more, "
        f"{c['skipped']} skips) · **{c['verdicts']}** judge verdicts"
        + (f" (run {board.run_id}; {c['both_orders']} also in swapped order)" if board.run_id is not None else "")
        + (f" · {c['gold']} gold comparisons" if c["gold"] else "")
    ]
    if board.run_id is None:
        lines.append(
            "_No judge run on this dataset yet: judge comparisons on the Case study page or with "
            "`judge-studio judge`; the judge's figures appear here as verdicts come in._"
        )
    if c["labels"] == 0:
        lines.append("_No human labels yet: the figures fill in as people label on the Annotate page._")
    lines.append(
        f"Human vs judge over **{a.n}** labels: accuracy **{_fmt(a.accuracy)}**, "
        f"Cohen's κ **{_fmt(a.cohen_kappa)}**, macro F1 **{_fmt(a.macro_f1)}**"
        + (
            f" · {a.judge_unparsed} labels are on comparisons whose judge output has no verdict (left out)"
            if a.judge_unparsed
            else ""
        )
    )
    return "\n\n".join(lines)


def rating_markdown(board: Dashboard) -> str:
    """The rating-correlation table (numbers only), or a one-line empty state."""
    r = board.ratings
    if r is None:
        return "_No single-answer ratings on this dataset yet: they appear as people rate on the Grade page._"
    head = f"**{r.n_ratings}** human ratings on **{r.n_responses}** responses" + (
        f" · judge run {r.judge_run} ({r.judge_unparsed} of its ratings unparsed)" if r.judge_run else ""
    )
    if r.correlations.empty or r.judge_run is None:
        return head + (
            "\n\n_No judge score to correlate with yet: rate the dataset with the judge "
            "(`judge-studio rate --dataset NAME`)._"
        )
    rows = ["| level | Pearson | Spearman | Kendall τ | n |", "|---|---|---|---|---|"]
    for level, row in r.correlations.iterrows():
        cells = [_fmt(None if pd.isna(row[c]) else float(row[c])) for c in ("pearson", "spearman", "kendall")]
        rows.append(f"| {level} | {' | '.join(cells)} | {int(row['n'])} |")
    note = (
        "Item level: per prompt, across its models' responses, averaged over prompts; system level: per-model "
        "means across models. – means undefined (too few or constant ratings)."
    )
    return "\n\n".join([head, "\n".join(rows), note])


def dashboard_outputs(board: Dashboard) -> tuple[Any, ...]:
    """The page's values, in the order of the outputs laid out below (the summary first)."""
    judge_title = f"Judge ({board.judge_name})" if board.judge_name else "Judge (no run yet)"
    edges = board.order_edges
    return (
        summary_markdown(board),
        agreement_over_time_figure(board.over_time),
        confusion_figure(board.agreement.confusion),
        category_figure(board.categories),
        kappa_figure(board.inter_annotator),
        annotator_table_figure(board.annotators),
        bias_figure(board.judge_bias, board.people_bias),
        bradley_terry_figure(board.people.bradley_terry, board.judge.bradley_terry),
        partial_order_figure(board.judge_order, judge_title, board.models, edges[edges["source"] == "judge"]),
        partial_order_figure(
            board.human_order, "People (majority label)", board.models, edges[edges["source"] == "people"]
        ),
        win_table_figure(board.pairs),
        rating_markdown(board),
        rating_scatter_figure(board.ratings),
    )


_SHOWN: OrderedDict[str, tuple[Any, ...]] = OrderedDict()  # Dashboard.key -> outputs, shared by every tab
_SHOWN_LOCK = threading.Lock()


def cached_outputs(board: Dashboard) -> tuple[Any, ...]:
    """``dashboard_outputs``, built once per change of the data however many tabs are open (the
    figures depend on the data only, never on who looks; Gradio only reads them)."""
    if not board.key:
        return dashboard_outputs(board)
    with _SHOWN_LOCK:
        if board.key in _SHOWN:
            return _SHOWN[board.key]
    outputs = dashboard_outputs(board)
    with _SHOWN_LOCK:
        _SHOWN[board.key] = outputs
        while len(_SHOWN) > 8:
            _SHOWN.popitem(last=False)
    return outputs


def denied_outputs(message: str) -> tuple[Any, ...]:
    """What a caller without the reviewer role gets: the reason, and no figures."""
    figures = (message_figure("", "Reviewers and admins only.") for _ in range(10))
    return (f"{ROLE_NOTE}\n\n{message}", *figures, "", message_figure("", "Reviewers and admins only."))


def dashboard_tab(studio: Studio, demo: gr.Blocks, dataset_picker: Any) -> None:
    with gr.Row():
        dataset = dataset_picker("dashboard-dataset")
        # filled on page load for reviewers and admins (run names carry judge model names)
        judge_run = gr.Dropdown(choices=[], value=None, label="Judge run", elem_id="dashboard-judge", scale=2)
    summary = gr.Markdown(elem_id="dashboard-summary")
    with gr.Row():
        over_time = gr.Plot(label="Agreement over time", elem_id="dashboard-over-time")
        confusion = gr.Plot(label="Confusion matrix", elem_id="dashboard-confusion")
    with gr.Row():
        categories = gr.Plot(label="Agreement per category", elem_id="dashboard-categories")
        kappa = gr.Plot(label="Agreement between people", elem_id="dashboard-kappa")
    annotators = gr.Plot(label="Annotators", elem_id="dashboard-annotators")
    with gr.Row():
        bias = gr.Plot(label="Biases", elem_id="dashboard-bias")
        ranking = gr.Plot(label="Bradley-Terry ranking", elem_id="dashboard-bradley-terry")
    gr.Markdown(BIAS_NOTE, elem_id="dashboard-bias-note")
    with gr.Row():
        judge_graph = gr.Plot(label="Judge: partial order of models", elem_id="dashboard-judge-graph")
        human_graph = gr.Plot(label="People: partial order of models", elem_id="dashboard-human-graph")
    gr.Markdown(EDGE_LEGEND.format(alpha=0.05), elem_id="dashboard-graph-legend")
    wins = gr.Plot(label="Wins per model pair", elem_id="dashboard-wins")
    gr.Markdown("### Single-answer ratings: people vs judge")
    with gr.Row():
        rating_table = gr.Markdown(elem_id="dashboard-rating-correlations")
        rating_scatter = gr.Plot(label="Ratings: people vs judge", elem_id="dashboard-rating-scatter")
    shown = gr.State(None)  # this tab's last Dashboard.key: skip redrawing when nothing changed
    timer = gr.Timer(5.0, active=False)  # started on page load for reviewers and admins

    def refresh(dataset_name: str | None, run_id: int | None, request: gr.Request) -> tuple[Any, ...]:
        try:
            studio.access.require(actor_of(request), "reviewer")
        except UserError as exc:
            return (*denied_outputs(str(exc)), None)
        board = studio.dashboard(dataset_name, run_id)
        return (*cached_outputs(board), board.key)

    def tick(
        dataset_name: str | None, run_id: int | None, last_key: str | None, request: gr.Request
    ) -> tuple[Any, ...]:
        try:
            studio.access.require(actor_of(request), "reviewer")
        except UserError as exc:
            return (*denied_outputs(str(exc)), None)
        board = studio.dashboard(dataset_name, run_id)
        if board.key == last_key:
            return tuple(gr.skip() for _ in range(len(figures) + 1))
        return (*cached_outputs(board), board.key)

    def start_timer(request: gr.Request) -> gr.Timer:
        try:
            studio.access.require(actor_of(request), "reviewer")
        except UserError:
            return gr.Timer(active=False)
        return gr.Timer(active=True)

    figures = [summary, over_time, confusion, categories, kappa, annotators, bias, ranking, judge_graph, human_graph]
    figures += [wins, rating_table, rating_scatter]
    outputs = [*figures, shown]
    inputs = [dataset, judge_run]
    timer.tick(
        tick,
        inputs=[*inputs, shown],
        outputs=outputs,
        api_visibility="private",
        concurrency_limit=None,
        show_progress="hidden",
    )
    demo.load(refresh, inputs=inputs, outputs=outputs, api_name="dashboard", concurrency_limit=None)
    demo.load(start_timer, outputs=timer, api_visibility="private")
    judge_run.change(refresh, inputs=inputs, outputs=outputs, api_visibility="private", concurrency_limit=None)

    def runs_for(dataset_name: str | None, request: gr.Request) -> gr.Dropdown:
        try:
            studio.access.require(actor_of(request), "reviewer")
        except UserError:
            return gr.Dropdown(choices=[], value=None)
        choices = studio.judge_run_choices(dataset_name)
        return gr.Dropdown(choices=choices, value=choices[0][1] if choices else None)

    dataset.change(runs_for, inputs=dataset, outputs=judge_run, api_visibility="private").then(
        refresh, inputs=inputs, outputs=outputs, api_visibility="private", concurrency_limit=None
    )
    demo.load(runs_for, inputs=dataset, outputs=judge_run, api_visibility="private")
