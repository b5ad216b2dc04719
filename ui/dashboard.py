"""The Dashboard page: human-judge agreement and the models' partial orders, refreshed live."""

from __future__ import annotations

from typing import Any

import gradio as gr

from orchestration import Studio
from ui.plots import confusion_figure, partial_order_figure


def dashboard_tab(studio: Studio, demo: gr.Blocks, dataset_picker: Any) -> None:
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
