"""The Dashboard page's layout: pickers, the summary, the figures (each with an ``elem_id``), the notes
that explain them, and the timer. ``FIGURE_IDS`` is the order ``ui.dashboard.dashboard_figures`` fills:
page order, except that a figure added later is appended (callers of ``dashboard_outputs`` index it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from ui.pickers import DatasetPickers
from ui.tables import plain_table

FIGURE_IDS = (
    "dashboard-summary",
    "dashboard-over-time",
    "dashboard-confusion",
    "dashboard-categories",
    "dashboard-kappa",
    "dashboard-annotators",
    "dashboard-bias",
    "dashboard-bradley-terry",
    "dashboard-judge-graph",
    "dashboard-human-graph",
    "dashboard-wins",
    "dashboard-rating-correlations",
    "dashboard-rating-scatter",
    "dashboard-checkup",
    "dashboard-guideline-versions",  # shown under the agreement figures; appended here so indices stay
    "dashboard-rating-means",  # under the rating correlations; appended for the same reason
    "dashboard-graders",  # under the rating means (a table, shown only when people have rated)
    "dashboard-set-aside",  # under the Annotators table: the labels of set-aside accounts, not counted
)

EDGE_LEGEND = (
    "An arrow A → B means A beat B significantly (two-sided exact sign test on decisive outcomes, "
    "Holm-adjusted over N pair tests, adjusted p < {alpha:g}: every pair of models with a decisive outcome is "
    "tested, and each graph's title says its N); only the Hasse diagram's edges are drawn (A → C is implied by "
    "A → B → C). Edge labels: wins-losses-ties of A against B · Holm-adjusted p (the unadjusted p is in "
    "`metrics --json`). People's graph uses each comparison's majority label. "
    "Differences: a **solid grey** edge is in both graphs (directly or through a path); an **orange dashed** "
    "edge is only in this graph (the other one does not order the two models); a **red dotted** edge is "
    "ordered the opposite way in the other graph."
)
BIAS_NOTE = (
    "Position: share of decisive answers that chose the response shown first (judge) or on the left "
    "(people: only labels whose left/right order was recorded; imported labels have none and are left out, "
    "the summary above says how many). Length: share "
    "of decisive verdicts (people: majority labels) that chose the longer response, in characters. Swap "
    "consistency: share of comparisons the judge judged in both orders with the same verdict. Response 1: on the "
    "comparisons where both the judge and people chose a side, the judge's share of 'response 1' (the one it was "
    "shown first) and people's share (the base rate); for a run judged in one order it is evidence of a position "
    "preference, not a swap test. 0.5 means no "
    "preference; hover for n and the binomial p-value. Rating correlations (below) compare single-answer "
    "ratings from the Grade page with the judge's scores on the same scale (1-10 or 1-5; never rescaled)."
)


@dataclass(frozen=True)
class DashboardPage:
    dataset: gr.Dropdown
    judge_run: gr.Dropdown
    figures: list[Any]  # in FIGURE_IDS order
    pairwise: gr.Column  # every pairwise panel, shown only when the dataset has comparisons
    shown: gr.State  # this tab's last Dashboard.key: skip redrawing when nothing changed
    timer: gr.Timer
    # whose labels the people figures read: "all", "imported" or a session of the dataset (orchestration.metrics)
    labels_from: gr.Dropdown
    # "Updating the figures…" while a new "Labels from" scope is read (several seconds on a loaded machine)
    status: gr.Markdown | None = None

    def by_id(self, values: dict[str, Any]) -> dict[Any, Any]:
        """elem_id -> value as component -> value (the form a handler returns)."""
        components = {c.elem_id: c for c in self.figures}
        return {components[key]: value for key, value in values.items()}


#: the "Labels from" picker's fixed choices (label, value); each session of the dataset comes between them
EVERY_LABEL, IMPORTED_LABELS = ("all people", "all"), ("imported labels", "imported")


def labels_from_choices(sessions: list[str]) -> list[tuple[str, str]]:
    """ "all people", each session ("session 'X'"), "imported labels": the Dashboard's and Report card's
    "Labels from" choices. A session named "all" or "imported" is passed as "session:NAME"."""
    named = [(f"session {name!r}", f"session:{name}" if name in ("all", "imported") else name) for name in sessions]
    return [EVERY_LABEL, *named, IMPORTED_LABELS]


def labels_from_picker(elem_id: str, *, custom: bool = True, scale: int = 1) -> gr.Dropdown:
    """Whose labels the people figures read; filled with the dataset's sessions when it is chosen. Wide enough
    for "session 'Expert study'" (it showed "sessio…": s13 newfeat 8). ``custom``: the Dashboard's takes any
    value (a timer tick in flight while the dataset changes sends the last dataset's session); the pages
    without a timer take only their choices (typed text was taken as a session's name)."""
    return gr.Dropdown(
        choices=labels_from_choices([]),
        value="all",
        label="Labels from",
        elem_id=elem_id,
        scale=scale,
        min_width=240,
        allow_custom_value=custom,
    )


def _plot(label: str, elem_id: str) -> gr.Plot:
    return gr.Plot(label=label, elem_id=elem_id)


def dashboard_page(pickers: DatasetPickers) -> DashboardPage:
    with gr.Row(elem_classes="js-stack"):  # stacked on a phone: side by side, both cut the names
        dataset = pickers.add("dashboard-dataset", scale=1)
        # filled on page load for reviewers and admins (run names carry judge model names)
        # allow_custom_value: a timer tick in flight while the dataset changes sends the previous dataset's run,
        # which Gradio refused with a traceback in the server log ("Value: 1 is not in the list of choices:
        # [6]"); the handlers take any run id (``Studio.dashboard``: one of another dataset shows the default run)
        judge_run = gr.Dropdown(
            choices=[], value=None, label="Judge run", elem_id="dashboard-judge", scale=2, allow_custom_value=True
        )
        labels_from = labels_from_picker("dashboard-labels-from")
    status = gr.Markdown(elem_id="dashboard-status")
    summary = gr.Markdown(elem_id="dashboard-summary")
    # the pairwise panels: hidden for a dataset without comparisons (its ratings section comes first)
    with gr.Column(elem_id="dashboard-pairwise") as pairwise:
        with gr.Row():
            over_time = _plot("Agreement over time", "dashboard-over-time")
            confusion = _plot("Confusion matrix", "dashboard-confusion")
        with gr.Row():
            categories = _plot("Agreement per category", "dashboard-categories")
            kappa = _plot("Agreement between people", "dashboard-kappa")
        gr.Markdown("### Agreement per guideline version", elem_id="dashboard-guideline-versions-title")
        guideline_versions = gr.Markdown(elem_id="dashboard-guideline-versions")
        annotators = _plot("Annotators", "dashboard-annotators")
        set_aside = gr.Markdown(elem_id="dashboard-set-aside")  # whose labels are left out of the table
        with gr.Row():
            bias = _plot("Biases", "dashboard-bias")
            ranking = _plot("Bradley-Terry ranking", "dashboard-bradley-terry")
        gr.Markdown(BIAS_NOTE, elem_id="dashboard-bias-note")
        with gr.Row():
            judge_graph = _plot("Judge: partial order of models", "dashboard-judge-graph")
            human_graph = _plot("People: partial order of models", "dashboard-human-graph")
        gr.Markdown(EDGE_LEGEND.format(alpha=0.05), elem_id="dashboard-graph-legend")
        wins = _plot("Wins per model pair", "dashboard-wins")
    gr.Markdown("### Single-answer ratings: people vs judge")
    with gr.Row(elem_classes="js-stack"):
        rating_table = gr.Markdown(elem_id="dashboard-rating-correlations")
        rating_scatter = _plot("Ratings: people vs judge", "dashboard-rating-scatter")
    rating_means = gr.Markdown(elem_id="dashboard-rating-means")
    # names are untrusted: plain-text cells (datatype "str"), never Markdown or HTML
    graders = plain_table(
        label="Graders: ratings and gold checks",
        interactive=False,
        visible=False,
        datatype="str",
        wrap=True,
        elem_id="dashboard-graders",
    )
    gr.Markdown("### Judge checkup: known-better pairs in both orders")
    checkup = gr.Markdown(elem_id="dashboard-checkup")
    figures = [summary, over_time, confusion, categories, kappa, annotators, bias, ranking, judge_graph, human_graph]
    figures += [wins, rating_table, rating_scatter, checkup, guideline_versions, rating_means, graders, set_aside]
    assert [f.elem_id for f in figures] == list(FIGURE_IDS)
    timer = gr.Timer(5.0, active=False)  # started on page load for reviewers and admins
    return DashboardPage(dataset, judge_run, figures, pairwise, gr.State(None), timer, labels_from, status)
