"""plotly figures for the dashboard, built from ``orchestration.dashboard`` results (the ``analysis``
report reshaped; no data access here).

Model and annotator names come from imported files: every name put into a figure goes through
``plain`` first, because plotly renders a subset of HTML tags in its text (titles, labels, ticks,
table cells, hover text). Figures without data show a short message instead of an empty axis.
"""

from __future__ import annotations

import dataclasses
import math
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis import (
    BOTH,
    CONFIDENCE,
    ONLY,
    OPPOSITE,
    Bias,
    InterAnnotator,
    PartialOrder,
    RatingSummary,
    model_levels,
    spans_real_time,
)
from analysis.bias import NO_PAIR_TEST, ResponseOneShare
from analysis.partial_order import order_scope
from analysis.report_text import counted

PEOPLE_COLOR, JUDGE_COLOR = "#4f6bed", "#e8833a"
JUDGE_SOURCE = "judge"  # Bias.source of a judge run (analysis.report.JUDGE)
EDGE_STYLES = {  # status of an edge compared with the other graph -> (color, dash, legend text)
    BOTH: ("#444444", "solid", "same order in both graphs"),
    ONLY: ("#e8833a", "dash", "only in this graph (the other does not order the two)"),
    OPPOSITE: ("#d62728", "dot", "the other graph orders the two the opposite way"),
}
MARGIN = dict(l=10, r=10, t=50, b=10)
PHONE_LINE = 42  # characters of a title or a note line that fit a 390 px phone's figure at plotly's sizes
NOTE_LINE = 54  # characters of a 10 px note line (``notes_above``, from the plot's left edge) that fit it
NOTE_PX, TITLE_PAD = 14, 36  # a 10 px note line's height; the space above a title (clear of the block label)


# the empty panels' one sentence: uncertain verdicts are left out of every figure, so labels that all sit on
# uncertain verdicts leave nothing to compare (it said "... the judge has judged", s11 retest B2)
NOTHING_TO_COMPARE = (
    "No labels to compare yet: needs human labels on comparisons with a decisive judge verdict "
    "(uncertain ones are left out; the summary counts them)."
)


def plain(text: Any) -> str:
    """Text for plotly as it is: escape what plotly would read as markup (``<b>``, ``<a href>``, entities)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _num(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.{digits}f}"


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fitted(text: str, width: int = PHONE_LINE) -> str:
    """Plain plotly text (no tags but ``<br>``) broken into lines of at most ``width`` characters at spaces:
    plotly never wraps a title or an annotation, so on a 390 px phone a long one ran off both sides."""
    parts = str(text).split("<br>")
    lines = [textwrap.wrap(part, width, break_long_words=False, break_on_hyphens=False) or [""] for part in parts]
    return "<br>".join(line for part in lines for line in part)


def message_figure(title: str, message: str, height: int = 320) -> go.Figure:
    """An empty-state figure: the title and a short explanation instead of empty axes, each broken into
    lines that fit a phone (``fitted``)."""
    fig = go.Figure()
    title = fitted(title)
    message = fitted(message)
    fig.update_layout(
        title=title,
        height=height,
        margin={**MARGIN, "t": MARGIN["t"] + 20 * title.count("<br>")},
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        plot_bgcolor="white",
    )
    fig.add_annotation(
        text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font=dict(size=13, color="#555")
    )
    return fig


def note_figure(title: str, note: str, height: int = 320, width: int = PHONE_LINE) -> go.Figure:
    """``message_figure`` for a note that may be long or carry names: plain text, wrapped into lines of
    about ``width`` characters (plotly never wraps an annotation)."""
    lines = textwrap.wrap(str(note), width=width) or [""]
    return message_figure(title, "<br>".join(plain(line) for line in lines), height)


def notes_above(fig: go.Figure, title: str, notes: Sequence[str], title_size: int = 17) -> int:
    """Put ``title`` at the top of ``fig`` and ``notes`` (untrusted plain text, one a paragraph) between it
    and the plot, each broken into lines that fit a phone (``fitted``); returns the top margin they take.
    Why: plotly wraps neither a title nor an annotation, so the Biases note ran off the figure's right edge,
    and the Bradley-Terry notes, set in a multi-line title, grew down over the plot and its top point (s11
    docs tester). Here the title hangs from the top edge and the notes stand on the plot's top edge, and the
    margin between is sized from their line counts, so neither can reach the plot."""
    title = fitted(title, PHONE_LINE if title_size > 13 else 52)
    title_px = round(title_size * 1.45) * (title.count("<br>") + 1)
    text = fitted("<br>".join(plain(note) for note in notes), NOTE_LINE) if notes else ""
    notes_px = NOTE_PX * (text.count("<br>") + 1) if text else 0
    if text:
        fig.add_annotation(
            text=text,
            showarrow=False,
            x=0,
            y=1.0,
            xref="paper",
            yref="paper",
            xanchor="left",
            yanchor="bottom",
            align="left",
            font=dict(size=10, color="#555"),
        )
    top = TITLE_PAD + title_px + 8 + notes_px + 4
    fig.update_layout(
        title=dict(text=title, font=dict(size=title_size), y=1, yref="container", yanchor="top", pad=dict(t=TITLE_PAD)),
        margin={**MARGIN, "t": top},
    )
    return top


# --------------------------------------------------------------------------- agreement


NOT_A_TIME_SERIES_AXIS = "labels compared, in label order (stored at once, e.g. imported: not a time series)"


def agreement_over_time_figure(
    over_time: pd.DataFrame, confidence: float = CONFIDENCE, *, note: str = "", time_series: bool | None = None
) -> go.Figure:
    """Cumulative human-vs-judge accuracy as labels came in, with its Wilson interval as a band.

    Against time only when the labels span real labelling time (``analysis.spans_real_time``; ``time_series``:
    the report's own answer, False when every label is imported); labels stored at once (an import) are
    plotted in label order, and the axis says so. ``note``: a line under the title (the imported labels
    left out, ``Dashboard.over_time_note``)."""
    title = "Human vs judge accuracy over time" + (f"<br><sup>{note}</sup>" if note else "")
    if over_time.empty:
        return message_figure(title, NOTHING_TO_COMPARE)
    times = pd.to_datetime(over_time["time"])
    # labels imported at once have no labelling times worth plotting
    by_time = spans_real_time(times) if time_series is None else time_series
    x = times if by_time else over_time["n"]
    hover = "%{customdata} compared<br>accuracy %{y:.3f}<extra></extra>"
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=x, y=over_time["high"], mode="lines", line=dict(width=0), hoverinfo="skip", showlegend=False)
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=over_time["low"],
            mode="lines",
            line=dict(width=0),
            fill="tonexty",
            fillcolor="rgba(79, 107, 237, 0.2)",
            name=f"{confidence:.0%} interval (Wilson)",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=over_time["accuracy"],
            mode="lines+markers",
            line=dict(color=PEOPLE_COLOR),
            name="accuracy so far",
            customdata=[counted(int(n), "label") for n in over_time["n"]],
            hovertemplate=hover,
        )
    )
    fig.update_layout(
        title=title,
        height=360,
        margin=dict(MARGIN, b=80),
        yaxis=dict(range=[0, 1.02], title="share of labels the judge agrees with"),
        xaxis_title="time of the label (UTC)" if by_time else NOT_A_TIME_SERIES_AXIS,
        legend=dict(orientation="h", y=-0.32, yanchor="top"),
    )
    return fig


def confusion_figure(confusion: pd.DataFrame) -> go.Figure:
    """The Dashboard's per-label confusion matrix: every person's label on its own against the judge's verdict
    (it sums to the labels, not the comparisons; the title says so: s13 tester)."""
    title = "People (rows) vs judge (columns), per label"
    if int(np.asarray(confusion.values).sum()) == 0:
        return message_figure(title, NOTHING_TO_COMPARE)
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
        title=title,
        height=340,
        margin=MARGIN,
        xaxis_title="judge verdict",
        yaxis_title="human label",
        yaxis_autorange="reversed",
    )
    return fig


#: The mark of a category with fewer than ``MIN_GROUP_COMPARISONS`` judged comparisons, and its bar colour.
FEW_COMPARISONS = "few comparisons"
FEW_COLOR = "#b0b0b0"


def category_figure(categories: pd.DataFrame) -> go.Figure:
    """Human-vs-judge accuracy per category with its Wilson interval over the effective number of comparisons
    (``analysis.agreement.clustered_wilson``), n (labels) on each bar; a category
    with few comparisons (``few``) is shown in grey, marked "few comparisons", never hidden."""
    title = "Human vs judge accuracy per category"
    judged = categories[categories["n"] > 0] if not categories.empty else categories
    if judged.empty:
        return message_figure(title, NOTHING_TO_COMPARE)
    names = [plain(c) for c in judged["category"]]
    ticks = [plain(_short(str(c), 40)) for c in judged["category"]]
    few = [bool(f) for f in judged["few"]] if "few" in judged else [False] * len(names)
    fig = go.Figure(
        go.Bar(
            x=names,
            y=judged["accuracy"],
            error_y=dict(
                type="data",
                symmetric=False,
                array=judged["high"] - judged["accuracy"],
                arrayminus=judged["accuracy"] - judged["low"],
            ),
            text=[
                f"n={n} labels" + (f" · {FEW_COMPARISONS}" if few else "")
                for n, few in zip(judged["n"], few, strict=True)
            ],
            textposition="inside",
            insidetextanchor="start",
            marker_color=[FEW_COLOR if f else PEOPLE_COLOR for f in few],
            customdata=np.column_stack(
                [judged["labelled"], judged["comparisons"], judged["judged"] if "judged" in judged else judged["n"]]
            ),
            hovertemplate="%{x}<br>accuracy %{y:.3f} (%{text})<br>"
            "interval: Wilson over the effective number of comparisons (Kish's, from the labels<br>"
            "of each of the %{customdata[2]} judged comparisons), not over the labels<br>"
            "%{customdata[0]} of %{customdata[1]} comparisons labelled<extra></extra>",
        )
    )
    many = len(names) > 12  # plotly's automatic ticks would label only some bars: name every one
    fig.update_layout(
        title=title,
        height=340 + (160 if many else 0),
        margin=MARGIN,
        yaxis=dict(range=[0, 1.05], title="accuracy"),
        xaxis=dict(
            tickmode="array",
            tickvals=names,
            ticktext=ticks,
            tickangle=-90 if many else None,
            tickfont=dict(size=10 if many else 12),
            automargin=True,
        ),
    )
    return fig


def _short(text: str, limit: int) -> str:
    """``text`` (raw, before ``plain``) cut to ``limit`` characters (at least 4) with an ellipsis."""
    limit = max(limit, 4)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kappa_figure(inter: InterAnnotator) -> go.Figure:
    """Pairwise Cohen's kappa between annotators, with Fleiss' kappa and Krippendorff's alpha in the title."""
    basis = f" ({inter.fleiss_basis})" if inter.fleiss_basis else ""  # Fleiss reads only the modal label count
    title = (
        f"Between people: Fleiss' κ {_num(inter.fleiss_kappa, 3)}{basis}<br>Krippendorff's α "
        f"{_num(inter.krippendorff_alpha, 3)} · {counted(inter.multi_labelled, 'comparison')} labelled twice or more"
    )
    kappa = inter.pairwise_kappa
    if inter.multi_labelled == 0 or kappa.empty or len(kappa) < 2:
        return message_figure(
            "Agreement between people", "Needs comparisons labelled by two or more annotators (session overlap ≥ 2)."
        )
    names = [plain(n) for n in kappa.index]
    values = kappa.to_numpy(dtype=float).copy()
    shared = inter.shared.reindex(index=kappa.index, columns=kappa.columns).fillna(0).to_numpy(dtype=int)
    text = _kappa_cells(values, shared)
    hover = [
        [f"{_num(v)} over {counted(int(n), 'shared comparison')}" for v, n in zip(*pair, strict=True)]
        for pair in zip(values, shared, strict=True)
    ]
    for i in range(len(values)):  # a person with themselves: a blank cell, not a dark-blue 1.00
        values[i][i] = float("nan")
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=names,
            y=names,
            text=text,
            texttemplate="%{text}",
            hoverongaps=False,
            customdata=hover,
            hovertemplate="%{y} · %{x}<br>Cohen's κ %{customdata}<extra></extra>",
            colorscale="RdBu",
            zmin=-1,
            zmax=1,
            colorbar=dict(title="κ"),
        )
    )
    # the title hangs from the figure's top edge and the note stands on the plot's: the three-line title, set
    # as plotly's own, grew down over the heatmap's first row (s16 campaign, finding 8)
    top = notes_above(fig, title, [KAPPA_NOTE], title_size=13)
    fig.update_layout(height=360 + top - MARGIN["t"])
    fig.update_yaxes(autorange="reversed")
    return fig


KAPPA_NOTE = (
    "Each cell: Cohen's κ of two people (n: comparisons both labelled); "
    "–: undefined (none shared, or one label throughout); the diagonal (each person with themselves) is blank."
)


def _kappa_cells(values: Any, shared: Any) -> list[list[str]]:
    """ "0.42 (n=30)": each pair's κ with the comparisons it rests on (a 1.00 on three items read as perfect
    agreement, s16 campaign finding 8); "–" where undefined; nothing on the diagonal (a person with themselves)."""
    return [
        ["" if i == j else f"{_num(v)} (n={int(n)})" for j, (v, n) in enumerate(zip(row, counts, strict=True))]
        for i, (row, counts) in enumerate(zip(values, shared, strict=True))
    ]


def agreement_cell(share: Any, n: Any, what: str, no_majority: Any = 0) -> str:
    """An Annotators table cell: "1.00 on 5 comparisons", "0.50 on 2 gold checks", or "–" with nothing to compare;
    ``no_majority``: the annotator's labels left out because the others split (no majority to agree with), said
    after it: "1.00 on 5 comparisons (2 more where the others had no majority)"."""
    count = 0 if _is_missing(n) else int(n)
    split = 0 if _is_missing(no_majority) else int(no_majority)
    cell = f"{_num(share)} on {counted(count, what)}" if count else "–"
    if split:
        more = "more " if count else ""
        cell += f" ({split} {more}where the others had no majority)"
    return cell


def annotator_table_figure(annotators: pd.DataFrame) -> go.Figure:
    """One row per annotator: labels, agreement with the others and with the judge, gold, time. The agreement
    cells say what they count in words, "1.00 on 5 comparisons (2 more where the others had no majority)"
    (it read "= others' majority 1.00 (n=5), 2 split": s16 campaign, finding 8)."""
    title = "Annotators"
    if annotators.empty:
        return message_figure(title, "No labels yet: the table fills in as people label.", height=200)
    header = [
        "annotator",
        "kind",
        "labels",
        "skipped",
        "flagged",
        "agrees with the others' majority",
        "agrees with the judge",
        "gold checks right",
        "median time",
    ]
    cells = [
        [plain(n) for n in annotators["annotator"]],
        [plain(k) for k in annotators["kind"]],
        annotators["labels"].tolist(),
        annotators["skipped"].tolist(),
        annotators["flagged"].tolist(),
        [
            agreement_cell(v, n, "comparison", k)
            for v, n, k in zip(
                annotators["with_others"], annotators["n_with_others"], annotators["others_split"], strict=True
            )
        ],
        [
            agreement_cell(v, n, "comparison")
            for v, n in zip(annotators["with_judge"], annotators["n_with_judge"], strict=True)
        ],
        [
            agreement_cell(v, n, "gold check")
            for v, n in zip(annotators["gold_accuracy"], annotators["n_gold"], strict=True)
        ],
        ["–" if _is_missing(t) else f"{t:.1f} s" for t in annotators["median_time_s"]],
    ]
    fig = go.Figure(
        go.Table(
            header=dict(values=header, fill_color="#eef0fb", align="left", font=dict(size=12), height=26),
            cells=dict(values=cells, align="left", height=26),
            columnwidth=[2, 1, 1, 1, 1, 2.6, 1.8, 1.6, 1.3],
        )
    )
    # plotly tables scroll inside their height: room for every row up to 20, then scroll
    fig.update_layout(title=title, height=140 + 32 * min(len(annotators), 20), margin=MARGIN)
    return fig


# --------------------------------------------------------------------------- biases


NO_PREFERENCE_NOTE = "Dotted line: 0.5, no preference (response 1: compare the judge's bar with people's)."
BIAS_MEASURES = (
    "picks the first / left response",
    "picks the longer response",
    "same verdict in both orders",
    "picks response 1<br>(vs people, same comparisons)",
)


def _response_one_bar(share: ResponseOneShare | None, source: str) -> tuple[float | None, str]:
    """The judge's (original order) or people's share of "response 1" on the comparisons where both
    chose a side, and its hover note: n and the exact McNemar p-value of the difference."""
    if share is None:
        return None, ""
    value = share.judge_rate if source == JUDGE_SOURCE else share.people_rate
    return value, f"n={counted(share.n, 'comparison')} both decided, McNemar p={_num(share.p_value, 3)}"


def bias_figure(judge: Bias | None, people: Bias, response_one: ResponseOneShare | None = None) -> go.Figure:
    """Position preference, length preference and swap consistency of the judge next to people's, and
    the judge's share of "response 1" next to people's on the same comparisons (``response_one``: the
    position evidence of a run judged in one order; people's bar is the base rate to compare with).

    Each bar is a share (0.5 = no preference for the two preference rates); hover gives n and the
    exact binomial (McNemar for response 1) p-value. A source without data for a measure has no bar
    there; a measure with no bar at all is explained in a note above the bars.
    """
    title = "Biases: judge vs people"
    bars = [
        bar
        for bias, color in ((judge, JUDGE_COLOR), (people, PEOPLE_COLOR))
        if (bar := _bias_bar(bias, color, response_one)) is not None
    ]
    if not bars:
        return note_figure(title, _no_bias_reason(judge, people))
    fig = go.Figure(bars)
    # why a measure has no bar (rather than show none), then how to read the line: above the bars, where
    # no label of the line can cover a bar's value
    top = notes_above(fig, title, [*_missing_notes(judge, people, bars), NO_PREFERENCE_NOTE])
    fig.add_hline(y=0.5, line=dict(dash="dot", color="#888"))
    fig.update_layout(
        barmode="group",
        height=320 + top,  # the measures' names take up to five short lines below the bars
        yaxis=dict(range=[0, 1.12], title="share"),
        # the measures' names in short lines, level: slanted, the longest ran off to the right and left the
        # plot a fifth of the panel empty there (tester report s12 "presenter", finding 5)
        xaxis=dict(tickvals=list(BIAS_MEASURES), ticktext=[_tick(m) for m in BIAS_MEASURES], tickangle=0),
        # the legend in the title's row, at the right: below the plot it covered the first measure's name
        legend=dict(orientation="h", x=1, xanchor="right", y=1, yref="container", yanchor="top"),
    )
    return fig


def _tick(measure: str) -> str:
    """A measure's name broken into lines of at most 12 characters (its own <br> kept): four fit a phone."""
    return fitted(measure, 12)


def _position_note(bias: Bias) -> str:
    """The first-position bar's hover: its n, and the p with the n it was tested over: a judge run in both orders
    is tested by the sign test over its pairs, not over the decisive verdicts; no p where no test ran (no
    comparison judged in both orders), never "p=1.000" as if tested (s15 reviewB, defect 4)."""
    if bias.first_position_p_value is None:
        return f"n={bias.n_decisive}, {NO_PAIR_TEST}" if bias.source == JUDGE_SOURCE else f"n={bias.n_decisive}"
    p_value = f"p={_num(bias.first_position_p_value, 3)}"
    if bias.n_tested is None:
        return f"n={bias.n_decisive}, {p_value}"
    return f"n={bias.n_decisive}, {p_value} (sign test over {counted(bias.n_tested, 'pair')})"


def _bias_bar(bias: Bias | None, color: str, response_one: ResponseOneShare | None) -> go.Bar | None:
    """One source's bars (judge or people): the measures it has a figure for, with n and p on hover."""
    if bias is None:
        return None
    share, share_note = _response_one_bar(response_one, bias.source)
    values = [bias.first_position_rate, bias.length.longer_rate, bias.swap_consistency, share]
    notes = [
        _position_note(bias),
        f"n={bias.length.n}, p={_num(bias.length.p_value, 3)}",
        f"n={bias.swap_pairs}",
        share_note,
    ]
    keep = [i for i, v in enumerate(values) if not _is_missing(v)]
    if not keep:
        return None
    return go.Bar(
        name="judge" if bias.source == JUDGE_SOURCE else "people",
        x=[BIAS_MEASURES[i] for i in keep],
        y=[values[i] for i in keep],
        text=[f"{values[i]:.2f}" for i in keep],
        textposition="outside",
        customdata=[notes[i] for i in keep],
        hovertemplate="%{x}: %{y:.3f} (%{customdata})<extra>%{fullData.name}</extra>",
        marker_color=color,
    )


def _missing_notes(judge: Bias | None, people: Bias, bars: Sequence[go.Bar]) -> list[str]:
    """Why measures are missing from a figure that has bars (``_no_bias_reason``'s reasons, one a line):
    a one-order run now always has its response-1 bars, and the panel must still say why length or
    position has none."""
    shown = {x for bar in bars for x in bar.x}
    notes = []
    if BIAS_MEASURES[1] not in shown:
        notes.append("No comparison has responses of different lengths, so length bias cannot be measured.")
    if judge is not None and judge.note:
        notes.append(f"judge position bias {judge.note.split(' (')[0]}")
    if people.n_unknown_order and not people.n_decisive:
        notes.append("People's labels have no recorded left/right order (imported), so their position is unknown.")
    return notes


def _no_bias_reason(judge: Bias | None, people: Bias) -> str:
    """Why the bias figure has no bar: nothing decisive yet, or, measure by measure, why each one
    could not be measured on the decisive answers there are."""
    sources = [b for b in (judge, people) if b is not None]
    if not any(b.n_decisive or b.n_unknown_order for b in sources):
        return "No decisive labels or judge verdicts yet."
    reasons = ["No comparison has responses of different lengths, so length bias cannot be measured."]
    if judge is None:
        reasons.append("No judge run yet.")
    elif judge.note:
        reasons.append(f"Judge position bias {judge.note.split(' (')[0]}.")
    if people.n_unknown_order and not people.n_decisive:
        reasons.append("People's labels have no recorded left/right order (imported), so their position is unknown.")
    return " ".join(reasons)


# --------------------------------------------------------------------------- rankings


def bradley_terry_figure(people: pd.DataFrame, judge: pd.DataFrame, notes: Sequence[str] = ()) -> go.Figure:
    """Bradley-Terry strengths with 95% bootstrap intervals, people's and the judge's, per model; ``notes``
    (untrusted text, e.g. why strengths are not estimable) are shown under the title."""
    title = "Bradley-Terry strength (log-odds, mean 0) with 95% bootstrap intervals"
    if people.empty and judge.empty:
        return message_figure("Bradley-Terry ranking", "No outcomes yet: needs human labels or judge verdicts.")
    order = list(people["model"]) + [m for m in judge["model"] if m not in set(people["model"])]
    names = {m: plain(m) for m in order}
    fig = go.Figure()
    for frame, name, color in ((people, "people (majority label)", PEOPLE_COLOR), (judge, "judge", JUDGE_COLOR)):
        if frame.empty:
            continue
        rows = frame.set_index("model").reindex(order).dropna(subset=["strength"])
        upper = (rows["ci_high"] - rows["strength"]).fillna(0).clip(lower=0)
        lower = (rows["strength"] - rows["ci_low"]).fillna(0).clip(lower=0)
        fig.add_trace(
            go.Scatter(
                x=[names[m] for m in rows.index],
                y=rows["strength"],
                mode="markers",
                name=name,
                marker=dict(size=10, color=color),
                error_y=dict(type="data", symmetric=False, array=upper, arrayminus=lower),
                hovertemplate="%{x}: %{y:.2f}<extra>" + name + "</extra>",
            )
        )
    top = notes_above(fig, title, notes, title_size=13)
    fig.update_layout(
        height=310 + top,
        scattermode="group",
        yaxis_title="strength",
        legend=dict(orientation="h", y=-0.2),
    )
    return fig


def win_table_figure(pairs: pd.DataFrame) -> go.Figure:
    """Win / lose / tie per model pair from people (majority labels) and from the judge."""
    title = "Wins-losses-ties per model pair (A vs B)"
    if pairs.empty:
        return message_figure("Wins per model pair", "No outcomes yet: needs human labels or judge verdicts.", 200)

    def wlt(prefix: str) -> list[str]:
        a, b, t = (pairs[f"{prefix}_{c}"] for c in ("wins_a", "wins_b", "ties"))
        return [f"{x}-{y}-{z}" if x + y + z else "–" for x, y, z in zip(a, b, t, strict=True)]

    def leader(prefix: str) -> pd.Series:
        a, b = pairs[f"{prefix}_wins_a"], pairs[f"{prefix}_wins_b"]
        return (a > b).astype(int) - (a < b).astype(int)

    people, judge = leader("people"), leader("judge")
    # a leader can only be the same when both sources have outcomes on the pair (people's: majority labels)
    both = (pairs[["people_wins_a", "people_wins_b", "people_ties"]].sum(axis=1) > 0) & (
        pairs[["judge_wins_a", "judge_wins_b", "judge_ties"]].sum(axis=1) > 0
    )
    same = ["–" if not ok else "✓" if p == j else "✗" for p, j, ok in zip(people, judge, both, strict=True)]
    fig = go.Figure(
        go.Table(
            header=dict(
                values=["model A", "model B", "people", "judge", "same leader"],
                fill_color="#eef0fb",
                align="left",
            ),
            cells=dict(
                values=[[plain(m) for m in pairs["model_a"]], [plain(m) for m in pairs["model_b"]]]
                + [wlt("people"), wlt("judge"), same],
                align="left",
                height=24,
            ),
            columnwidth=[2, 2, 1.2, 1.2, 1],
        )
    )
    fig.update_layout(title=dict(text=title, font=dict(size=13)), height=100 + 30 * min(len(pairs), 20), margin=MARGIN)
    return fig


def _layout(order: PartialOrder, levels: dict[str, int]) -> tuple[dict[int, list[str]], dict[str, tuple[float, float]]]:
    """Models per level and each model's (x, y): better models on top, each level spread over the width."""
    by_level: dict[int, list[str]] = {}
    for model in sorted(order.models):
        by_level.setdefault(levels[model], []).append(model)
    position: dict[str, tuple[float, float]] = {}
    for level, names in by_level.items():
        for i, model in enumerate(names):  # spread over the width: edge labels then stay apart
            position[model] = (0.1 + 0.8 * i / (len(names) - 1) if len(names) > 1 else 0.5, -float(level))
    return by_level, position


GRAPH_PX, CHAR_PX = 450.0, 6.5  # a graph's plot width in its half-page column; one character of a label


def _node_labels(
    by_level: dict[int, list[str]], position: dict[str, tuple[float, float]]
) -> dict[str, tuple[str, str]]:
    """Each model's label and its place, so that names never run into each other: alone on its level,
    beside the node (clear of the vertical arrows); else above it while the names fit between their
    neighbours, otherwise alternately above and below (twice the room). A name longer than its room is
    cut short with "…" (the hover text has it whole). Lengths are of the raw names (before ``plain``)."""
    px = GRAPH_PX / 1.1  # pixels per x unit: the x axis spans [-0.05, 1.05]
    labels: dict[str, tuple[str, str]] = {}
    for names in by_level.values():
        if len(names) == 1:
            labels[names[0]] = (
                _short(names[0], int((1.05 - position[names[0]][0]) * px / CHAR_PX) - 3),
                "middle right",
            )
            continue
        gap = (position[names[1]][0] - position[names[0]][0]) * px
        edge = [2 * min(position[m][0] + 0.05, 1.05 - position[m][0]) * px for m in names]
        alternate = any(len(m) * CHAR_PX > min(gap, e) for m, e in zip(names, edge, strict=True))
        room = [min(2 * gap if alternate else gap, e) for e in edge]
        for i, (m, r) in enumerate(zip(names, room, strict=True)):
            place = "bottom center" if alternate and i % 2 else "top center"
            labels[m] = (_short(m, int(r / CHAR_PX) - 1), place)
    return labels


def _draw_edges(
    fig: go.Figure,
    order: PartialOrder,
    position: dict[str, tuple[float, float]],
    edges: pd.DataFrame | None,
    lowest: float,
) -> None:
    """One arrow per Hasse edge, styled by its status against the other graph, labelled with its counts."""
    # pixels per data unit: the plot area is about 560 x 380 px; x spans [-0.05, 1.05], y [lowest - 0.6, 0.6]
    scale = (560.0 / 1.1, 380.0 / (1.2 - lowest))
    stats = {(e.winner, e.loser): e for e in order.edges}
    status = {}
    if edges is not None and not edges.empty:
        status = {(str(r.winner), str(r.loser)): str(r.status) for r in edges.itertuples(index=False)}
    shown: set[str] = set()
    for winner, loser in order.hasse:
        (x0, y0), (x1, y1) = position[winner], position[loser]
        kind = status.get((winner, loser), BOTH)
        color, dash, legend = EDGE_STYLES.get(kind, EDGE_STYLES[BOTH])
        # shorten both ends so the line stops short of the node markers; the arrowhead marks the loser
        (sx, sy), (ex, ey) = _shorten(x0, y0, x1, y1, scale)
        fig.add_trace(
            go.Scatter(
                x=[sx, ex],
                y=[sy, ey],
                mode="lines+markers",
                line=dict(color=color, dash=dash, width=2),
                marker=dict(symbol="arrow", size=[0, 13], angleref="previous", color=color),
                name=legend,
                legendgroup=kind,
                showlegend=status != {} and kind not in shown,
                hoverinfo="skip",
            )
        )
        shown.add(kind)
        edge = stats.get((winner, loser))
        if edge is not None:
            # half a level below the winner: between levels, clear of the node names on a level
            t = 0.5 / max(abs(y0 - y1), 1.0)
            fig.add_annotation(
                x=x0 + (x1 - x0) * t,
                y=y0 + (y1 - y0) * t,
                showarrow=False,
                font=dict(size=10, color=color if kind != BOTH else "#555"),
                text=f"{edge.wins}-{edge.losses}-{edge.ties} · p={_edge_p(edge):.3g}",
                bgcolor="rgba(255,255,255,0.85)",
            )


def _edge_p(edge: Any) -> float:
    """An edge's p as drawn: Holm-adjusted where the order adjusted it, else its own."""
    adjusted = getattr(edge, "p_adjusted", None)
    return float(edge.p_value if adjusted is None or pd.isna(adjusted) else adjusted)


def partial_order_figure(
    order: PartialOrder,
    title: str,
    models: list[str] | None = None,
    edges: pd.DataFrame | None = None,
) -> go.Figure:
    """Hasse diagram: better models on top; an arrow from winner to loser, labelled wins-losses-ties and p.

    ``models`` adds the dataset's models that have no outcomes yet, so both graphs show the same nodes.
    ``edges``: this graph's rows of ``Dashboard.order_edges`` (winner, loser, status); an edge whose
    status is not "both" is drawn dashed / dotted in its status colour, with a legend entry.
    """
    if models:
        order = dataclasses.replace(order, models=sorted(set(order.models) | set(models)))
    scope = order_scope(order) if order.edges or order.tests else ""
    fig = go.Figure()
    fig.update_layout(
        # the correction on a line of its own, smaller: on one line it ran past a phone's figure (s15)
        title=dict(text=plain(title) + (f"<br><sup>{scope}</sup>" if scope else ""), font=dict(size=14)),
        height=440,
        margin=dict(l=10, r=10, t=66 if scope else 50, b=10),
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        plot_bgcolor="white",
        legend=dict(orientation="h", y=-0.02, yanchor="top", font=dict(size=11)),
    )
    if not order.models:
        fig.add_annotation(text="No verdicts yet", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        return fig
    levels = model_levels(order)
    by_level, position = _layout(order, levels)
    lowest = min(p[1] for p in position.values())
    _draw_edges(fig, order, position, edges, lowest)
    labels = _node_labels(by_level, position)
    fig.add_trace(
        go.Scatter(
            x=[position[m][0] for m in position],
            y=[position[m][1] for m in position],
            mode="markers+text",
            text=[plain(labels[m][0]) for m in position],
            textposition=[labels[m][1] for m in position],
            hovertext=[plain(m) for m in position],  # the full name, also where the label is cut short
            marker=dict(size=16, color=PEOPLE_COLOR),
            hoverinfo="text",
            showlegend=False,
            cliponaxis=False,
        )
    )
    fig.update_yaxes(range=[lowest - 0.6, 0.6])
    fig.update_xaxes(range=[-0.05, 1.05])
    if order.cycles:
        fig.add_annotation(
            text="Cycle: " + " → ".join(plain(m) for m in order.cycles[0]),
            showarrow=False,
            x=0.5,
            y=1.02,
            xref="paper",
            yref="paper",
        )
    return fig


Point = tuple[float, float]


def _shorten(
    x0: float, y0: float, x1: float, y1: float, scale: tuple[float, float], gap_px: float = 15.0
) -> tuple[Point, Point]:
    """The segment from (x0, y0) to (x1, y1) with about ``gap_px`` pixels cut off each end: its two ends.

    ``scale``: pixels per data unit along x and y (estimated from the figure's size and axis ranges).
    """
    dx, dy = (x1 - x0) * scale[0], (y1 - y0) * scale[1]
    length = math.hypot(dx, dy)
    if length <= 2 * gap_px:
        return (x0, y0), (x1, y1)
    f = gap_px / length
    return (x0 + (x1 - x0) * f, y0 + (y1 - y0) * f), (x1 - (x1 - x0) * f, y1 - (y1 - y0) * f)


# --------------------------------------------------------------------------- single-answer ratings


def rating_scatter_figure(ratings: RatingSummary | None) -> go.Figure:
    """Mean human rating vs the judge's score, one point per response, both on the same scale (1-10 or
    1-5: ``analysis.ratings`` never plots a 1-5 judge against 1-10 people, its note says why)."""
    if ratings is None:
        return message_figure("Ratings: people vs judge", "No human ratings on this dataset yet (Grade page).")
    top = int(ratings.scale)
    title = f"Ratings: people vs judge (1-{top})"
    points = ratings.points.dropna(subset=["judge"])
    if points.empty:
        if ratings.judge_scale is not None and ratings.judge_scale != top:
            title = f"Ratings: people (1-{top}) vs judge (1-{ratings.judge_scale}): not compared"
            why = f"the judge rates 1-{ratings.judge_scale}, people 1-{top}; scales are not rescaled"
        elif ratings.judge_run is None:
            why = "the judge has not rated this dataset"
        else:
            why = "no judge rating parsed"
        return message_figure(title, f"{counted(ratings.n_responses, 'response')} rated by people; {why}.")
    fig = go.Figure()
    for model, group in points.groupby("model", sort=True):
        fig.add_trace(
            go.Scatter(
                x=group["judge"],
                y=group["human"],
                mode="markers",
                name=str(model),
                customdata=np.column_stack([group["response_id"], group["n_ratings"]]),
                hovertemplate="response #%{customdata[0]}<br>judge %{x:g} · people %{y:.2f} "
                "(n=%{customdata[1]})<extra>%{fullData.name}</extra>",
            )
        )
    diagonal = go.Scatter(x=[1, top], y=[1, top], mode="lines", line=dict(color="#bbb", dash="dot"), showlegend=False)
    fig.add_trace(diagonal)
    fig.update_layout(
        title=title,
        height=380,
        margin=MARGIN,
        xaxis=dict(title=f"judge score (1-{top})", range=[0.5, top + 0.5]),
        yaxis=dict(title=f"mean human rating (1-{top})", range=[0.5, top + 0.5]),
        plot_bgcolor="white",
    )
    return fig
