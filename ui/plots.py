"""plotly figures for the dashboard, built from the analysis results (no data access here)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from annotation_store import PartialOrder, model_levels


def partial_order_figure(order: PartialOrder, title: str, models: list[str] | None = None) -> go.Figure:
    """Hasse diagram: better models on top; an arrow from winner to loser, labelled wins-losses-ties.

    ``models`` adds the dataset's models that have no outcomes yet, so both graphs show the same nodes.
    """
    if models:
        order = PartialOrder(sorted(set(order.models) | set(models)), order.edges, order.hasse, order.cycles)
    fig = go.Figure()
    fig.update_layout(
        title=title,
        height=420,
        margin=dict(l=10, r=10, t=50, b=10),
        showlegend=False,
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        plot_bgcolor="white",
    )
    if not order.models:
        fig.add_annotation(text="No verdicts yet", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        return fig
    levels = model_levels(order)
    by_level: dict[int, list[str]] = {}
    for model in sorted(order.models):
        by_level.setdefault(levels[model], []).append(model)
    position: dict[str, tuple[float, float]] = {}
    for level, models in by_level.items():
        for i, model in enumerate(models):
            position[model] = ((i + 1) / (len(models) + 1), -float(level))
    stats = {(e.winner, e.loser): e for e in order.edges}
    for winner, loser in order.hasse:
        (x0, y0), (x1, y1) = position[winner], position[loser]
        fig.add_annotation(
            x=x1,
            y=y1,
            ax=x0,
            ay=y0,
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            showarrow=True,
            arrowhead=3,
            arrowsize=1.2,
            arrowwidth=1.5,
            standoff=14,
            startstandoff=14,
        )
        edge = stats.get((winner, loser))
        if edge is not None:
            fig.add_annotation(
                x=(x0 + x1) / 2 - 0.015,
                y=(y0 + y1) / 2,
                xanchor="right",
                showarrow=False,
                font=dict(size=10, color="#555"),
                text=f"{edge.wins}-{edge.losses}-{edge.ties} (p={edge.p_value:.3f})",
                bgcolor="white",
            )
    fig.add_trace(
        go.Scatter(
            x=[position[m][0] for m in position],
            y=[position[m][1] for m in position],
            mode="markers+text",
            text=list(position),
            # alone on its level: name beside the node, clear of the vertical arrows; else above it
            textposition=["middle right" if len(by_level[levels[m]]) == 1 else "top center" for m in position],
            marker=dict(size=16, color="#4f6bed"),
            hoverinfo="text",
        )
    )
    lowest = min(p[1] for p in position.values())
    fig.update_yaxes(range=[lowest - 0.6, 0.6])
    fig.update_xaxes(range=[0, 1])
    if order.cycles:
        fig.add_annotation(
            text="Cycle: " + " → ".join(order.cycles[0]),
            showarrow=False,
            x=0.5,
            y=1.02,
            xref="paper",
            yref="paper",
        )
    return fig


def confusion_figure(confusion: pd.DataFrame) -> go.Figure:
    names = {"1": "Response 1", "2": "Response 2", "tie": "Tie"}
    fig = go.Figure(
        go.Heatmap(
            z=confusion.values,
            x=[names[c] for c in confusion.columns],
            y=[names[r] for r in confusion.index],
            text=confusion.values,
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
        )
    )
    fig.update_layout(
        title="People (rows) vs judge (columns)",
        height=320,
        margin=dict(l=10, r=10, t=50, b=10),
        xaxis_title="judge verdict",
        yaxis_title="human label",
        yaxis_autorange="reversed",
    )
    return fig
