"""The Dashboard page: the lead's live view of human-judge agreement, people, biases and rankings.

Every figure comes from ``Studio.dashboard`` (``orchestration.dashboard.build_dashboard``); this
module only lays them out. A timer refreshes the page every 5 s; when nothing changed since the
last refresh of this tab, the figures are left as they are (no redraw, nothing sent).
"""

from __future__ import annotations

import dataclasses
import shlex
import threading
from collections import OrderedDict
from typing import Any

import gradio as gr
import pandas as pd

from analysis.agreement import accuracy_interval_text
from analysis.borderline import borderline_lines
from analysis.corrected import Interval
from analysis.corrected_ratings import FULLY_RATED, rating_span
from analysis.guideline_versions import VersionAgreement
from analysis.label_scope import ALL
from analysis.rankings import too_few_to_rank
from analysis.report_json import NO_COMPARISONS
from analysis.report_text import (
    NO_POSITION_LABELS,
    counted,
    response_one_text,
    uncertain_left_out,
    unrecorded_order_text,
)
from errors import NotFound
from orchestration import Dashboard, Studio
from orchestration.dashboard import no_judge_yet
from orchestration.report_card import label_scopes
from ui.card_document import judges_compared_markdown
from ui.checkup_table import checkups_markdown
from ui.dashboard_layout import FIGURE_IDS, DashboardPage, dashboard_page, labels_from_choices
from ui.errors import actor_of, has_role
from ui.judge_versions import versions_markdown
from ui.pickers import DatasetPickers, shown_choices
from ui.plots import (
    agreement_over_time_figure,
    annotator_table_figure,
    bias_figure,
    bradley_terry_figure,
    category_figure,
    confusion_figure,
    kappa_figure,
    message_figure,
    note_figure,
    partial_order_figure,
    plain,
    rating_scatter_figure,
    win_table_figure,
)
from ui.render import code, inline_text

ROLE_NOTE = (
    "_The dashboard shows model names, judge verdicts and every annotator's figures: it is for reviewers and admins._"
)


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _or_na(x: float | None) -> str:
    """ "0.412", or "n/a" where the figure has no value (no decisive verdict to compute it over)."""
    return "n/a" if x is None else f"{x:.3f}"


def _bold(n: int, word: str) -> str:
    """ "**1** comparison", "**2** comparisons": ``counted`` with the number in bold."""
    return "**{}** {}".format(*counted(n, word).split(" ", 1))


def summary_markdown(board: Dashboard) -> str:
    """Numbers, with what is missing said in words; model names only in the borderline lines, escaped."""
    c, a = board.counts, board.agreement
    if board.dataset is not None and not c["comparisons"]:  # a grading-only dataset: one line, not empty figures
        return f"**0** comparisons · {NO_COMPARISONS}"
    lines = [
        f"{_bold(c['comparisons'], 'comparison')} · {_bold(c['labels'], 'human label')} from "
        f"{_bold(c['annotators'], 'annotator')} on {_bold(c['labelled_comparisons'], 'comparison')} "
        f"({c['multi_labelled']} labelled twice or more, {counted(c['skipped'], 'skip')}) · "
        f"{_bold(c['verdicts'], 'judge verdict')}"
        + (f" (run {board.run_id}; {c['both_orders']} also in swapped order)" if board.run_id is not None else "")
        + (f" · {counted(c['gold'], 'gold comparison')}" if c["gold"] else "")
        + (f" · {c['adjudicated']} settled by a reviewer's adjudication" if c.get("adjudicated") else "")
    ]
    scope = board.report.label_scope if board.report is not None else None
    if scope is not None and scope.line():  # whose labels these are, or that imported ones are included
        lines.append(f"_{inline_text(scope.line() or '')}_")
    if board.run_id is None and board.dataset is not None:  # the names escaped here, the command a code span
        lines.append(no_judge_yet(board.dataset, name=lambda name: f"'{inline_text(name)}'", command=code))
    if c["labels"] == 0:
        lines.append("_No human labels yet: the figures fill in as people label on the Annotate page._")
    lines += _unparsed_line(c)
    lines.append(
        _headline(board)
        + f"per label (each person's label on its own) over **{a.n}** {'label' if a.n == 1 else 'labels'}"
        f"{uncertain_left_out(a.judge_uncertain)}: accuracy **{_fmt(a.accuracy)}**, Cohen's κ "
        f"**{_fmt(a.cohen_kappa)}**, macro F1 **{_fmt(a.macro_f1)}**"
        + (
            f" · {counted(a.judge_unparsed, 'label')} on comparisons whose judge output has no verdict (left out)"
            if a.judge_unparsed
            else ""
        )
        + (
            " · uncertain: the judge's top two verdict probabilities lie closer than the uncertain margin"
            if a.judge_uncertain
            else ""
        )
    )
    lines += _people_position_line(board)
    lines += _response_one_line(board)
    lines += _borderline_lines(board)
    return "\n\n".join(lines)


def _headline(board: Dashboard) -> str:
    """ "Human vs judge against people's majority label over **999** comparisons: accuracy **0.668** [0.639, 0.697],
    ... · ": the report's headline figure with its interval, the one the report card and ``metrics`` lead with
    (the page showed only the per-label figure, unnamed, beside the card's other number: s13 tester); read from
    the report, never recomputed. "Human vs judge, " alone when the run has no comparison with a people label."""
    judge = board.report.judge(board.run_id) if board.report is not None else None
    # the strict count, not the decisive one: a judge that abstained on every comparison still has a headline
    # (accuracy 0.000), as on the card and in ``metrics`` (s15 reviewB, defect 2)
    if judge is None or not (judge.unparsed_as_wrong.n or judge.against_majority.n):
        return "Human vs judge, "
    versus, people = judge.against_majority, board.report.options.aggregation if board.report else ""
    # the headline counts a judged comparison without a decisive verdict as wrong (as the card and ``metrics``)
    strict, missing = judge.unparsed_as_wrong, max(judge.unparsed_as_wrong.n - versus.n, 0)
    decisive = (
        f" ({missing} judged without a decisive verdict count as wrong; on the {versus.n} decisive alone: accuracy "
        f"{_fmt(versus.accuracy)}{accuracy_interval_text(judge.accuracy_ci)})"
        if missing and versus.n
        else f" ({missing} judged without a decisive verdict count as wrong; none was decisive)"
        if missing
        else ""
    )
    return (
        f"Human vs judge against people's {people} label over **{strict.n}** "
        f"{'comparison' if strict.n == 1 else 'comparisons'}: "
        f"accuracy **{_fmt(strict.accuracy)}**{accuracy_interval_text(judge.strict_accuracy_ci)}{decisive}, Cohen's κ "
        f"**{_or_na(versus.cohen_kappa)}**, macro F1 **{_or_na(versus.macro_f1)}**"
        f"{uncertain_left_out(versus.judge_uncertain)} · "
    )


def _borderline_lines(board: Dashboard) -> list[str]:
    """People's win rates whose interval leaves out 0.5 while the partial order's sign test orders nothing
    (the report's ``people.borderline``), by the text summary's and the card's rule (the pairs significant only
    before Holm's adjustment folded into one sentence, a table under it when many); names escaped."""
    entries = [dataclasses.asdict(entry) for entry in board.people.borderline]
    return borderline_lines(entries, inline_text, table=True)


def set_aside_markdown(board: Dashboard) -> str:
    """The caption under the Annotators table: "Labels set aside (not counted): anna (12 labels), bob (1 label)",
    or nothing. A set-aside account's labels count in no figure, so it is not in the table; without this line it
    simply vanished (s16 notes). Names escaped."""
    if not board.set_aside:
        return ""
    named = ", ".join(f"{inline_text(name)} ({counted(n, 'label')})" for name, n in board.set_aside)
    return f"_Labels set aside (not counted): {named}. `judge-studio users set-aside NAME --undo` counts them again._"


def _unparsed_line(counts: dict[str, Any]) -> list[str]:
    """The judge outputs without a verdict, said before any figure (a run that mostly failed to parse
    showed "accuracy 0.667" with only a side note); the report card's caveat, in the same words."""
    unparsed, total = int(counts.get("unparsed", 0)), int(counts.get("verdicts", 0))
    if not unparsed or not total:
        return []
    line = (
        f"{unparsed} of {counted(total, 'judge output')} ({unparsed / total:.0%}) have no verdict: counted as "
        "wrong in the headline accuracy and the alternative-annotator test, left out of every other figure"
    )
    if unparsed * 2 >= total:
        return [
            f"**Warning: {line}; the judge's figures rest on the other {total - unparsed}.** Check the judge's "
            "profile, its verdict mode (`--verdict-mode constrained`) or `--max-new-tokens`."
        ]
    return [f"_{line}._"]


def _people_position_line(board: Dashboard) -> list[str]:
    """People's left-position preference and how many decisive labels it leaves out for want of a
    recorded left/right order (imported labels), so the bar in the bias figure is read with its n."""
    bias = board.people_bias
    if not bias.n_decisive and not bias.n_unknown_order:
        return []
    if not bias.n_decisive:  # nothing measured: say so, not "– of 0 decisive labels" (s13 tester)
        return [f"{NO_POSITION_LABELS} {unrecorded_order_text(bias.n_unknown_order)}."]
    line = (
        f"People's position preference: **{_fmt(bias.first_position_rate)}** of **{bias.n_decisive}** decisive "
        "labels with a recorded left/right order chose the left response"
    )
    if bias.n_unknown_order:
        line += f" · {unrecorded_order_text(bias.n_unknown_order)}"
    return [line]


def _response_one_line(board: Dashboard) -> list[str]:
    """The run's share of "response 1" beside people's on the same comparisons (the report's sentence,
    the report card's words): the position evidence a one-order run can give; the bars in the bias
    figure are these two shares."""
    share = board.judge_response_one
    if share is None or (share.n == 0 and share.not_measured is None and not board.counts["labels"]):
        return []
    said = response_one_text(dataclasses.asdict(share), both_orders=board.judged_both_orders)
    return [f"Share of response-1 verdicts, judge vs people: {said}"]


def rate_command(board: Dashboard) -> str:
    """The ``judge-studio rate`` line for this dataset, ready to paste into a shell: its real name and, on
    a 1-5 scale, a real grading session on that scale (the newest; ``NAME`` only when there is none),
    each quoted for the shell (a name may hold spaces or quotes). Placeholders in a code span broke the
    hint's sentence (s10 retest, finding 6)."""
    scale = board.ratings.scale if board.ratings is not None else 10
    words = ["judge-studio", "rate", "--dataset", shlex.quote(board.dataset or "NAME")]
    if scale != 10:
        on_scale = [name for name, s in board.grading_sessions if s == scale]
        session = shlex.quote(on_scale[-1]) if on_scale else "NAME"
        words += ["--rating-profile", "prometheus2-absolute", "--session", session]
    return " ".join(words)


def rating_markdown(board: Dashboard) -> str:
    """The rating-correlation table (numbers only) on one scale, or a one-line empty state; the note of
    ``analysis.ratings`` (ratings on another scale left out, a judge on another scale not compared)."""
    r = board.ratings
    if r is None:
        return "_No single-answer ratings on this dataset yet: they appear as people rate on the Grade page._"
    judge = ""
    if r.judge_run is not None:
        on = f", rating 1-{r.judge_scale}" if r.judge_scale is not None else ""
        judge = f" · judge run {r.judge_run}{on} ({r.judge_unparsed} of its ratings unparsed)"
    rated = f"{_bold(r.n_ratings, 'human rating')} on {_bold(r.n_responses, 'response')}"
    head = f"{rated}{judge} · compared on 1-{r.scale}"
    note = [f"_{inline_text(r.note)}_"] if r.note else []
    if r.judge_run is not None and r.judge_scale is not None and r.judge_scale != r.scale:
        return "\n\n".join([head, *note])  # the note says why a judge on another scale is not compared
    if r.correlations.empty or r.judge_run is None:
        hint = "_No judge score to correlate with yet: rate this dataset with the judge, for example:_"
        return "\n\n".join([head, *note, hint, code(rate_command(board))])
    rows = ["| level | Pearson | Spearman | Kendall τ | n |", "|---|---|---|---|---|"]
    for level, row in r.correlations.iterrows():
        cells = [_fmt(None if pd.isna(row[c]) else float(row[c])) for c in ("pearson", "spearman", "kendall")]
        rows.append(f"| {inline_text(level)} | {' | '.join(cells)} | {int(row['n'])} |")
    explained = (
        "Item level: per prompt, across its models' responses, averaged over prompts; system level: per-model "
        "means across models. – means undefined (too few or constant ratings)."
    )
    return "\n\n".join([head, "\n".join(rows), *note, explained])


def _span(interval: Interval) -> str:
    """A mean rating and its interval by the report's one rule (``analysis.corrected_ratings.rating_span``);
    "–" without an estimate, the page's mark for undefined."""
    return "–" if interval.estimate is None else rating_span(dataclasses.asdict(interval))


def rating_means_markdown(board: Dashboard) -> str:
    """Each model's mean rating three ways (people only, judge only, corrected with PPI++: the report's
    ``ratings.corrected_means``), or why there are none. Model names are untrusted: escaped."""
    r = board.ratings
    corrected = r.corrected if r is not None else None
    if corrected is None:
        return ""
    if not corrected.means:
        return f"_Mean rating per model: {inline_text(corrected.note)}._" if corrected.note else ""
    level = f"{1 - corrected.alpha:.0%}"
    rows = [
        "| model | people only | judge only | corrected | λ | people-rated (n) | judge-rated (n) | effective labels |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in corrected.means:
        lam = "–" if m.power is None else f"{m.power:.2f}"
        worth = "–" if m.effective_labels is None else f"{m.effective_labels:.0f}"
        cells = [inline_text(m.model), _span(m.people), _span(m.judge), _span(m.corrected), lam]
        rows.append("| " + " | ".join([*cells, str(m.n_people), str(m.n_judge), worth]) + " |")
    notes = [f"_{inline_text(m.model)}: {inline_text(m.note)}_" for m in corrected.means if m.note]
    notes += [f"_{inline_text(corrected.note)}._"] if corrected.note else []  # e.g. no judge: people only
    notes += [f"_{FULLY_RATED}._"] if corrected.fully_rated else []  # corrected = people-only: say why
    weighted = (
        " People were sent to the responses the judge was least sure of first, so each rating is weighted by its "
        "draw probability (1/π rated, 1/(1 - π) not rated)."
        if corrected.weighted
        else ""
    )
    explained = (
        f"Mean rating per model on 1-{r.scale if r is not None else 10}, {level} intervals. Corrected: the judge's "
        "score on every response it rated, with its error measured on the responses people rated "
        "(prediction-powered inference, PPI++); λ is how much of the judge it uses (0: people only). Effective "
        f"labels: how many people-rated responses a people-only interval would need to be as narrow.{weighted}"
    )
    return "\n\n".join(["\n".join(rows), *notes, explained])


GRADER_HEADERS = {
    "annotator": "grader",
    "ratings": "ratings",
    "skipped": "skipped",
    "n_gold": "gold checks",
    "gold_accuracy": "gold right",
}


def graders_table(board: Dashboard) -> pd.DataFrame | None:
    """The report's per-grader table (``ratings.graders``) with readable headers, None when nobody has
    rated. Gold checks: ratings of gold responses on the gold's scale; gold right: the share in the known
    range ("–" without a check). Names stay plain cells of a ``gr.Dataframe`` (never Markdown or HTML)."""
    r = board.ratings
    if r is None or r.graders.empty:
        return None
    table = r.graders.assign(gold_accuracy=["–" if pd.isna(a) else f"{a:.0%}" for a in r.graders["gold_accuracy"]])
    return table.rename(columns=GRADER_HEADERS)[list(GRADER_HEADERS.values())]


def _graders_update(board: Dashboard) -> dict[str, Any]:
    """The per-grader table, shown only when people have rated (a pairwise dataset has no graders)."""
    table = graders_table(board)
    return gr.update(value=table, visible=table is not None)


def guideline_versions_markdown(board: Dashboard) -> str:
    """Agreement per guideline version of the dataset's pairwise sessions (the report's
    "guideline_versions" section) as one small table: a row per session and version, people's agreement
    within it, and the judge run chosen at the top against that version's labels (the other runs are in
    ``metrics --json``). Session and account names are untrusted: escaped."""
    versions = board.report.guideline_versions if board.report is not None else []
    if board.dataset is not None and not board.counts["comparisons"]:
        return "_Guideline versions are measured on pairwise labels: this dataset has no comparisons._"
    if not versions:
        return "_No annotation session on this dataset yet: guideline versions appear once one is saved._"
    header = "| session | version | saved | labels | people agree (pairs) | Krippendorff α | judge: acc. · κ (n) |"
    rows = [header, "|---|---|---|---|---|---|---|"]
    for v in versions:
        judged = next((j for j in v.judges if j["run_id"] == board.run_id), None)
        judge = "–" if judged is None else f"{_fmt(judged['accuracy'])} · {_fmt(judged['cohen_kappa'])} ({judged['n']})"
        cells = [inline_text(v.session), "unknown" if v.version is None else f"v{v.version}", _saved(v)]
        cells += [str(v.labels), f"{_fmt(v.people_agreement)} ({v.people_pairs})", _fmt(v.krippendorff_alpha), judge]
        rows.append("| " + " | ".join(cells) + " |")
    explained = (
        "Each label records the guidelines version in force when it was submitted. People agree: the share of "
        "agreeing label pairs on the same comparison within the version; judge: the run chosen at the top, every "
        "label of the version against its verdict. If agreement moves between versions while the judge stayed "
        "the same, the guidelines changed what people were asked. – means undefined (too few labels, no run)."
    )
    return "\n\n".join(["\n".join(rows), explained])


def _saved(version: VersionAgreement) -> str:
    """When (date, UTC) and by whom a guideline version was saved; – when not recorded."""
    when = (
        ""
        if version.created_at is None or pd.isna(version.created_at)
        else f"{pd.Timestamp(version.created_at):%Y-%m-%d}"
    )
    by = version.created_by  # None, or NaN from a frame, when not recorded (versions backfilled by 0009)
    who = f" by {inline_text(by)}" if isinstance(by, str) and by else ""
    return (when + who).strip() or "–"


def checkup_markdown(board: Dashboard) -> str:
    """The stored judge checkups of the chosen run's judge (the report's "checkup" section), as tables."""
    checkups = board.report.checkups if board.report is not None else []
    return checkups_markdown(checkups, board.run_id)


def _strength_notes(board: Dashboard) -> list[str]:
    """Why people's or the judge's Bradley-Terry strengths are not estimable (the report's note)."""
    sources: tuple[tuple[str, str | None], ...] = (
        ("People", board.people.bradley_terry_note),
        ("Judge", board.judge.bradley_terry_note),
    )
    sources += tuple(
        (who, too_few_to_rank(table))
        for who, table in (("People", board.people.bradley_terry), ("Judge", board.judge.bradley_terry))
    )
    return [f"{who}: {note}" for who, note in sources if note]


def judge_graph(board: Dashboard, edges: pd.DataFrame) -> Any:
    """The judge's partial order beside people's; with no judge run, only that sentence and what to do
    (``no_judge_yet``), never people's "Holm-adjusted over N pair tests" (s16)."""
    if board.judge_name is None:
        told = no_judge_yet(board.dataset, command=str) if board.dataset else "No judge run yet."
        return message_figure("Judge (no run yet)", plain(told), 440)  # lines broken at spaces only
    # the judge's name is untrusted: partial_order_figure makes it plain text (escaped once, there)
    return partial_order_figure(board.judge_order, f"Judge ({board.judge_name})", board.models, edges)


def ranking_figures(board: Dashboard) -> dict[str, Any]:
    """Bradley-Terry, the judge's and people's partial orders and the win table, by elem_id; when the
    report did not rank the sides (its ``ranking_note``, e.g. LLMBar's response positions), its note in
    each, in the CLI's words, and no graph of the pseudo-models."""
    note = board.people.not_ranked or board.judge.not_ranked
    if note:
        said = f"Rankings {note}"
        return {
            "dashboard-bradley-terry": note_figure("Bradley-Terry ranking", said),
            "dashboard-judge-graph": note_figure("Judge: partial order of models", said),
            "dashboard-human-graph": note_figure("People: partial order of models", said),
            "dashboard-wins": note_figure("Wins per model pair", said, 200),
        }
    edges = board.order_edges
    people = edges[edges["source"] == "people"]
    return {
        "dashboard-bradley-terry": bradley_terry_figure(
            board.people.bradley_terry, board.judge.bradley_terry, _strength_notes(board)
        ),
        "dashboard-judge-graph": judge_graph(board, edges[edges["source"] == "judge"]),
        "dashboard-human-graph": partial_order_figure(
            board.human_order, "People (majority label)", board.models, people
        ),
        "dashboard-wins": win_table_figure(board.pairs),
    }


def dashboard_figures(board: Dashboard) -> dict[str, Any]:
    """The page's values by elem_id (``FIGURE_IDS``, in page order, the summary first)."""
    values = {
        "dashboard-summary": summary_markdown(board),
        "dashboard-over-time": agreement_over_time_figure(
            board.over_time, note=board.over_time_note, time_series=board.over_time_is_time_series
        ),
        "dashboard-confusion": confusion_figure(board.agreement.confusion),
        "dashboard-categories": category_figure(board.categories),
        "dashboard-kappa": kappa_figure(board.inter_annotator),
        "dashboard-annotators": annotator_table_figure(board.annotators),
        "dashboard-bias": bias_figure(board.judge_bias, board.people_bias, board.judge_response_one),
        **ranking_figures(board),
        "dashboard-rating-correlations": rating_markdown(board),
        "dashboard-rating-scatter": rating_scatter_figure(board.ratings),
        "dashboard-checkup": checkup_markdown(board),
        "dashboard-guideline-versions": guideline_versions_markdown(board),
        "dashboard-rating-means": rating_means_markdown(board),
        "dashboard-graders": _graders_update(board),
        "dashboard-set-aside": set_aside_markdown(board),
    }
    assert set(values) == set(FIGURE_IDS)
    return {key: values[key] for key in FIGURE_IDS}


def dashboard_outputs(board: Dashboard) -> tuple[Any, ...]:
    """``dashboard_figures`` as a tuple in page order (for callers that predate the dict)."""
    return tuple(dashboard_figures(board).values())


class ShownCache:
    """The built figures per ``Dashboard.key``, shared by every open tab (the figures depend on the
    data only, never on who looks; Gradio only reads them). One object, so tests can ``reset`` it."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._shown: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def figures(self, board: Dashboard) -> dict[str, Any]:
        if not board.key:
            return dashboard_figures(board)
        with self._lock:
            if board.key in self._shown:
                return self._shown[board.key]
        built = dashboard_figures(board)
        with self._lock:
            self._shown[board.key] = built
            while len(self._shown) > self.size:
                self._shown.popitem(last=False)
        return built

    def reset(self) -> None:
        with self._lock:
            self._shown.clear()


SHOWN = ShownCache()


def denied_figures() -> dict[str, Any]:
    """What a caller without the reviewer role gets: the reason, and no figures."""
    out: dict[str, Any] = {i: message_figure("", "Reviewers and admins only.") for i in FIGURE_IDS}
    out["dashboard-summary"] = ROLE_NOTE
    out["dashboard-rating-correlations"] = ""
    out["dashboard-checkup"] = ""
    out["dashboard-guideline-versions"] = ""
    out["dashboard-rating-means"] = ""
    out["dashboard-graders"] = gr.update(value=None, visible=False)
    out["dashboard-set-aside"] = ""
    return out


def runs_markdown(board: Dashboard) -> str:
    """The "Judges compared" and "Judge versions" blocks under the summary: every run of the dataset, paired and
    by version, from the rows the board was built from (one read), against the majority of the labels in the
    page's "Labels from" scope, as every other figure on the page and as ``metrics --labels-from`` and REST
    ``/metrics?labels_from=`` compute them (review17, finding 7). A line above them names the scope when it is
    not every label; "" with fewer than two runs."""
    compared = judges_compared_markdown(board.run_rows.judges_compared(), heading="**Judges compared**")
    blocks = [block for block in (compared, versions_markdown(board.run_rows.judge_versions())) if block]
    scope = board.report.label_scope if board.report is not None else None
    if blocks and scope is not None and scope.kind != ALL:
        blocks.insert(
            0, f'_The runs below are compared with the majority of {inline_text(scope.what())} ("Labels from")._'
        )
    return "\n\n".join(blocks)


class PickedDatasets:
    """The dataset each browser tab (Gradio session) last switched its Dashboard picker to.

    Why: an answer computed for the dataset a tab showed before (a slow first load, a tab.select)
    can reach the browser after the answer for the dataset chosen since, and would put the old
    dataset's runs in the "Judge run" picker (then Gradio rejects the run chosen for the new one).
    Handlers ask ``stale`` once their answer is computed and send nothing when it is. Bounded: the
    oldest tabs are forgotten (a forgotten tab's answers are simply never stale)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._picked: OrderedDict[str, str | None] = OrderedDict()
        self._lock = threading.Lock()

    def choose(self, request: gr.Request | None, dataset_name: str | None) -> None:
        tab = getattr(request, "session_hash", None)
        if tab is None:
            return
        with self._lock:
            self._picked[tab] = dataset_name
            self._picked.move_to_end(tab)
            while len(self._picked) > self.size:
                self._picked.popitem(last=False)

    def stale(self, request: gr.Request | None, dataset_name: str | None) -> bool:
        """True when this tab has switched to another dataset than ``dataset_name`` since."""
        tab = getattr(request, "session_hash", None)
        with self._lock:
            return tab is not None and tab in self._picked and self._picked[tab] != dataset_name


class DashboardHandlers:
    """The page's handlers: every one checks the reviewer role (a user without it gets a note)."""

    def __init__(self, studio: Studio, page: DashboardPage) -> None:
        self.studio, self.page = studio, page
        self.picked = PickedDatasets()

    def allowed(self, request: gr.Request | None) -> bool:
        return has_role(self.studio, request, "reviewer")

    def figures(self, dataset_name: str | None, run_id: int | None, last_key: str | None, request: gr.Request) -> dict:
        """The figures of every person's labels; see ``tick``."""
        return self.tick(dataset_name, run_id, None, last_key, request)

    def tick(
        self,
        dataset_name: str | None,
        run_id: int | None,
        labels_from: str | None,
        last_key: str | None,
        request: gr.Request,
    ) -> dict:
        """The figures; when nothing changed since ``last_key`` (this tab's last view), nothing is sent.
        ``labels_from``: whose labels the people figures read ("all", "imported" or a session's name)."""
        page = self.page
        if not self.allowed(request):
            return {**page.by_id(denied_figures()), page.pairwise: gr.Column(visible=True), page.shown: None}
        try:
            board = self.studio.dashboard(dataset_name, run_id, labels_from=labels_from)
        except NotFound:  # a tick in flight while the dataset changed: the last dataset's session
            return {page.shown: gr.skip()}
        if (last_key is not None and board.key == last_key) or self.picked.stale(request, dataset_name):
            return {page.shown: gr.skip()}  # a non-empty dict: Gradio reads an empty one as one value
        shown = dict(SHOWN.figures(board))
        blocks = runs_markdown(board)  # every run, paired and by version: from the rows the board was built from
        if blocks:
            shown["dashboard-summary"] = f"{shown['dashboard-summary']}\n\n{blocks}"
        background = self.studio.background.message()  # first start: the demo judge at work
        if background:
            shown["dashboard-summary"] = f"_{inline_text(background)}_\n\n{shown['dashboard-summary']}"
        if self.picked.stale(request, dataset_name):  # asked again: the blocks above take a while (a bootstrap)
            return {page.shown: gr.skip()}
        # a dataset without comparisons: no empty pairwise panels above its ratings (they return with one that has)
        # nothing judged nor labelled: no dozen empty frames either, the summary says what to run (s15 novice, 5)
        return {**page.by_id(shown), page.pairwise: gr.Column(visible=board.shows_pairwise), page.shown: board.key}

    def refresh(self, dataset_name: str | None, run_id: int | None, request: gr.Request) -> dict[Any, Any]:
        """Every figure, of every person's labels (the page's load: its "Labels from" starts at all people)."""
        return self.tick(dataset_name, run_id, None, None, request)

    def refresh_scoped(
        self, dataset_name: str | None, run_id: int | None, labels_from: str | None, request: gr.Request
    ) -> dict[Any, Any]:
        """Every figure, people's labels kept to ``labels_from``."""
        return self.tick(dataset_name, run_id, labels_from, None, request)

    @staticmethod
    def updating(labels_from: str | None) -> str:
        """The line shown while the figures of a newly chosen "Labels from" scope are read."""
        return "_Updating the figures for the chosen labels…_"

    def updated(self, dataset_name: str | None, labels_from: str | None, request: gr.Request) -> str:
        """The line after the figures were read: nothing, or that a typed scope is none of the picker's
        (the figures then still show the last scope, which the tick keeps)."""
        if not self.allowed(request) or labels_from in (None, "", "all", "imported"):
            return ""
        sessions = label_scopes(self.studio, actor_of(request), dataset_name or self.studio.default_dataset())
        if str(labels_from).removeprefix("session:") in sessions:
            return ""
        return f"⚠ {inline_text(labels_from)} is none of the choices: the figures still show the last one."

    def scopes(self, dataset_name: str | None, request: gr.Request) -> Any:
        """The "Labels from" choices of the dataset (all people, each of its sessions, imported labels),
        back at "all people" (a new dataset's sessions are others)."""
        if not self.allowed(request) or self.picked.stale(request, dataset_name):
            return gr.skip()
        sessions = label_scopes(self.studio, actor_of(request), dataset_name or self.studio.default_dataset())
        return gr.Dropdown(choices=labels_from_choices(sessions), value="all")

    def start_timer(self, request: gr.Request) -> gr.Timer:
        return gr.Timer(active=self.allowed(request))

    def runs(self, dataset_name: str | None, current: int | None, request: gr.Request) -> Any:
        """The dataset's judge runs in run-id order; the chosen one is kept while it exists, else the page opens on
        ``default_run`` (the configured judge's run, or the one with the most verdicts). Nothing
        (``gr.skip()``) when the tab has switched to another dataset meanwhile: a late answer about
        the old dataset must not replace the new one's runs."""
        if not self.allowed(request):
            return gr.Dropdown(choices=[], value=None)
        choices = self.studio.judge_run_choices(dataset_name)
        if self.picked.stale(request, dataset_name):
            return gr.skip()
        ids = [run for _label, run in choices]
        default = self.studio.default_run(dataset_name) if current not in ids else current
        return gr.Dropdown(
            choices=shown_choices(choices), value=default if default in ids else (ids[0] if ids else None)
        )

    def runs_of_new_dataset(self, dataset_name: str | None, request: gr.Request) -> Any:
        self.picked.choose(request, dataset_name)
        return self.runs(dataset_name, None, request)

    def chose(self, dataset_name: str | None, request: gr.Request) -> None:
        """Note the tab's new dataset at once, outside the run picker's one-at-a-time queue: figures computed for the
        dataset shown before (a timer tick begun before the switch) are then stale when they are done, even while
        that queue still answers a slow question about the old dataset (seen in CI: the summary went back to the
        old dataset's figures after the new one's were shown)."""
        if self.allowed(request):  # as every handler: a lower role's tab has no figures to mark stale
            self.picked.choose(request, dataset_name)


def dashboard_tab(studio: Studio, demo: gr.Blocks, pickers: DatasetPickers, tab: gr.Tab | None = None) -> None:
    """The page; ``tab``: when given, opening it refreshes the judge-run picker (new runs appear)."""
    page = dashboard_page(pickers)
    on = DashboardHandlers(studio, page)
    outputs = [*page.figures, page.pairwise, page.shown]
    inputs = [page.dataset, page.judge_run, page.labels_from]
    quiet: dict[str, Any] = {"api_visibility": "private", "concurrency_limit": None}
    # Every event that writes the run picker runs in one queue, one at a time and in the order the
    # browser sent them (a quick query each): an answer about the dataset shown before then reaches the
    # browser before the answer about the one chosen since. ``PickedDatasets`` covers the rest (events
    # that reach the server out of order, and the figures, which are too slow to queue one at a time).
    picker: dict[str, Any] = {"api_visibility": "private", "concurrency_id": "dashboard-run-picker"}
    picker["concurrency_limit"] = 1
    page.timer.tick(on.tick, inputs=[*inputs, page.shown], outputs=outputs, show_progress="hidden", **quiet)
    demo.load(on.refresh, inputs=inputs[:2], outputs=outputs, api_name="dashboard", concurrency_limit=None)
    demo.load(on.start_timer, outputs=page.timer, api_visibility="private")
    page.judge_run.change(on.refresh_scoped, inputs=inputs, outputs=outputs, **quiet)
    # a new scope takes seconds to read (over 6 s on a loaded 2-core machine, s13 newfeat 8) and the timer's
    # hidden ticks hid the figures' spinner: a line says so first, the figures show Gradio's progress, the
    # line goes (or says the scope is unknown: a typed value never changes the figures silently)
    page.labels_from.input(
        on.updating, inputs=page.labels_from, outputs=page.status, show_progress="hidden", **quiet
    ).then(on.refresh_scoped, inputs=inputs, outputs=outputs, show_progress="full", **quiet).then(
        on.updated, inputs=inputs[::2], outputs=page.status, show_progress="hidden", **quiet
    )
    page.dataset.change(on.chose, inputs=page.dataset, outputs=None, show_progress="hidden", **quiet)
    page.dataset.change(on.runs_of_new_dataset, inputs=page.dataset, outputs=page.judge_run, **picker).then(
        on.scopes, inputs=page.dataset, outputs=page.labels_from, **quiet
    ).then(on.refresh_scoped, inputs=inputs, outputs=outputs, **quiet)
    demo.load(on.runs, inputs=inputs[:2], outputs=page.judge_run, **picker)
    demo.load(on.scopes, inputs=page.dataset, outputs=page.labels_from, **quiet)
    if tab is not None:
        tab.select(on.runs, inputs=inputs[:2], outputs=page.judge_run, **picker)
