"""The judge report card's document: its Markdown, its plain text for a terminal (``card_text``), its
self-contained HTML (``judge-studio report``) and its two figures: the reliability diagram and the win rates
three ways. The page that shows it (``report_card_tab``, ``card_view``) is ``ui.report_card``.

This module imports no Gradio (nor ``ui.layout``), so ``judge-studio report`` in Markdown, text or HTML starts
without it (s14; ``tests/test_s14_reportfast.py``). Everything shown comes from ``orchestration.report_card``
(the card JSON, built from the same report as ``metrics --json``); this module only lays it out. Names from
imported files go through ``ui.render.inline_text`` in Markdown (``ui.render.terminal_text`` in the terminal's
plain text, ``card_text``) and ``ui.plots.plain`` in figures; the HTML file is rendered from that Markdown by
markdown-it with raw HTML off, and embeds plotly.js inline (no network).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from analysis.agreement import accuracy_interval_text, interval_level
from analysis.alt_test import notes
from analysis.bias import NO_PAIR_TEST
from analysis.borderline import borderline_lines
from analysis.corrected_ratings import FULLY_RATED, rating_span
from analysis.judges_compared import difference_text, p_text
from analysis.report_text import (
    ALL_LABELLED,
    NO_ESTIMATE_REASON,
    all_labelled,
    counted,
    empty_responses_text,
    has_people_labels,
    no_people_text,
    paired_length_text,
    response_one_text,
    uncertain_left_out,
)
from ui.plots import JUDGE_COLOR, MARGIN, PEOPLE_COLOR, message_figure, notes_above, plain
from ui.render import inline_text, terminal_text

CORRECTED_COLOR = "#2ca02c"
SOURCES = (
    ("people", "people only", PEOPLE_COLOR),
    ("judge", "judge only", JUDGE_COLOR),
    ("corrected", "corrected (PPI)", CORRECTED_COLOR),
)
#: How untrusted text is placed in a line of the card: ``inline_text`` for Markdown, ``terminal_text`` for a terminal.
Escape = Callable[[object], str]
HTML_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
    "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem}"
    "th{background:#f3f3f3}"
)


def _num(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _interval(part: Mapping[str, Any]) -> str:
    if part["estimate"] is None:
        return f"n/a ({NO_ESTIMATE_REASON})"
    if part["low"] is None or part["high"] is None:
        return f"{part['estimate']:.3f} (no interval)"
    return f"{part['estimate']:.3f} [{part['low']:.3f}, {part['high']:.3f}]"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows] + [""]


# --------------------------------------------------------------------------------------- Markdown


def _scope_lines(card: Mapping[str, Any], text: Escape) -> list[str]:
    """Whose labels the card counts (a session's, the imported ones), or that imported labels are included."""
    scope = card.get("labels_from") or {}
    return [f"_{text(str(scope['line']))}_", ""] if scope.get("line") else []


def _fleiss_basis(inter: Mapping[str, Any]) -> str:
    """ " (48 comparisons with 5 labels each; Krippendorff's α uses all 60)": what Fleiss' kappa read."""
    basis = inter.get("fleiss_basis")
    return f" ({basis})" if basis else ""


def head_markdown(card: Mapping[str, Any], text: Escape = inline_text) -> str:
    counts, inter = card["counts"], card["inter_annotator"]
    if card.get("pairwise_note"):  # a grading-only dataset: one line for the pairwise parts, not empty figures
        return "\n".join([f"# Judge report card: {text(card['dataset'])}", "", card["pairwise_note"], ""])
    if not has_people_labels(counts):  # one line, not "0 labels ... Fleiss' κ n/a"
        return "\n".join(
            [
                f"# Judge report card: {text(card['dataset'])}",
                "",
                f"**{card['question']}**",
                "",
                f"{counted(counts['comparisons'], 'comparison')}. {text(no_people_text(card.get('labels_from')))}",
                "",
                *_scope_lines(card, text),  # whose labels (none here), as the Dashboard says it
            ]
        )
    settled = card.get("adjudications") or {}
    adjudicated = (
        f"{settled['note']} (their verdict is the people's label there; never used for agreement between people). "
        if settled.get("n")
        else ""
    )
    return "\n".join(
        [
            f"# Judge report card: {text(card['dataset'])}",
            "",
            f"**{card['question']}**",
            "",
            f"{counted(counts['comparisons'], 'comparison')}, {counted(counts['labels'], 'label')} from "
            f"{counted(counts['annotators'], 'annotator')} ({counted(counts['labelled_comparisons'], 'comparison')} "
            f"labelled). People's labels: **{card['people_labels']}** "
            f"(one label per comparison). {adjudicated}People agree with each other: "
            f"Fleiss' κ {_num(inter['fleiss_kappa'])}{_fleiss_basis(inter)}, "
            f"Krippendorff's α {_num(inter['krippendorff_alpha'])}.",
            "",
            *_scope_lines(card, text),
            *[f"{line}.\n" for line in [empty_responses_text(counts, text)] if line],
            *[f"{line}\n" for line in borderline_lines(card.get("borderline") or [], text)],
        ]
    )


def _alt_test_lines(judge: Mapping[str, Any], text: Escape) -> list[str]:
    lines = ["### Alternative annotator test", ""]
    if not judge["alt_test"]:
        return [*lines, "_No people's labels to test against._", ""]
    rows = [
        [
            text(t["group"]),
            f"{t['epsilon']:g}",
            str(len(t["annotators"])),
            str(t["n_items"]),
            _num(t["winning_rate"], 2),
            _num(t["advantage_probability"], 2),
            {True: "passed", False: "failed", None: "not testable"}[t["passed"]],
        ]
        for t in judge["alt_test"]
    ]
    lines += _table(["annotators", "ε", "tested", "items", "winning rate ω", "advantage ρ", "result"], rows)
    for test in judge["alt_test"]:
        trials = [
            [
                text(a["annotator"]),
                str(a["n_items"]),
                _num(a["judge_alignment"]),
                _num(a["human_alignment"]),
                f"{a['p_value']:.3g}",
                "yes" if a["judge_wins"] else "no",
            ]
            for a in test["annotators"]
        ]
        if trials:
            lines.append(f"Leave-one-out, {text(test['group'])} annotators:")
            lines.append("")
            header = ["left out", "items", "judge alignment", "annotator alignment", "p-value", "judge wins"]
            lines += _table(header, trials)
    lines += [f"- {text(note)}" for note in notes(judge["alt_test"])]  # each problem once, "left out"
    return [*lines, ""]


def _agreement_lines(judge: Mapping[str, Any]) -> list[str]:
    if not judge.get("people_labelled", True):  # the head said it: no section of empty figures
        return []
    agreement = judge["agreement"]
    # a bootstrap, or Wilson's named as such; none in a report saved before s15 (its "interval_note" says so)
    ci = accuracy_interval_text(agreement["accuracy_ci95"]) or agreement.get("interval_note", "")
    decisive, missing = agreement.get("decisive"), int(agreement.get("no_verdict") or 0)
    wrong = f" ({missing} judged without a decisive verdict count as wrong)" if missing else ""
    alone = (
        f"; on the {counted(decisive['n'], 'decisive verdict')} alone: accuracy {_num(decisive['accuracy'])}"
        f"{accuracy_interval_text(decisive['accuracy_ci95'])}"
        if decisive and missing
        else ""
    )
    return [
        "### Agreement with people",
        "",
        f"Against people's {agreement['people_labels']} label on {counted(agreement['n'], 'comparison')}: accuracy "
        f"{_num(agreement['accuracy'])}{ci}{wrong}{alone}, Cohen's κ {_num(agreement['cohen_kappa'])}, macro F1 "
        f"{_num(agreement['macro_f1'])}{uncertain_left_out(agreement.get('uncertain_left_out', 0))}; per label "
        f"(each person's label on its own) {_num(agreement['per_vote_accuracy'])}; "
        f"outputs without a verdict: {_not_parsed(agreement)}.",
        "",
    ]


def _not_parsed(agreement: Mapping[str, Any]) -> str:
    """ "0 unparsed, 2 truncated" (the card's ``not_parsed``), or the plain count of older cards."""
    named = agreement.get("not_parsed")
    if not named:
        return f"{agreement['unparsed']} unparsed"
    return ", ".join(f"{n} {name}" for name, n in named.items())


# why this accuracy differs from the agreement line's: calibration judges the probabilities themselves
UNCERTAIN_COUNTED = (
    " (uncertain verdicts count here by where they lean, since calibration measures the probabilities "
    "themselves; the agreement above leaves them out)."
)


def _calibration_lines(judge: Mapping[str, Any], text: Escape) -> list[str]:
    calibration = judge["calibration"]
    lines = ["### Calibration", ""]
    if calibration is None:
        return [*lines, f"_{text(judge['calibration_note'] or 'not measured')}_", ""]
    lines += [
        f"Over {counted(calibration['n'], 'labelled comparison')} with probabilities "
        f"(people: {calibration['people_labels']}): "
        f"expected calibration error {_num(calibration['ece'])}, Brier score {_num(calibration['brier'])}, "
        f"accuracy {_num(calibration['accuracy'])} at mean confidence {_num(calibration['mean_confidence'])}"
        + (UNCERTAIN_COUNTED if judge["agreement"].get("uncertain") else "."),
        "",
    ]
    rows = [
        [text(name), str(c["n"]), _num(c["ece"]), _num(c["brier"]), _num(c["accuracy"])]
        for name, c in calibration["by_category"].items()
    ]
    return lines + (_table(["category", "n", "ECE", "Brier", "accuracy"], rows) if rows else [])


def _position_p(position: Mapping[str, Any]) -> str:
    """ "; p = 0.031 (exact sign test on the 66 pairs ...)": the p beside the test and the n it ran over, not
    beside the decisive verdicts' count; "; no position test: ..." where none ran (s15 reviewB, defect 4)."""
    p_value = position.get("first_position_p_value")
    if p_value is None:
        return f"; {NO_PAIR_TEST}" if position.get("n_decisive") else ""
    test = position.get("test")
    return f"; p = {_num(p_value)} ({test})" if test else f" (p = {_num(p_value)})"


def _bias_lines(judge: Mapping[str, Any], text: Escape) -> list[str]:
    position, length = judge["position_bias"], judge["length_bias"]
    lines = ["### Position and length bias", ""]
    if position["not_measured"]:
        lines.append(f"Position bias {text(position['not_measured'])}.")
    else:
        lines.append(
            f"Both orders: the same verdict in {_num(position['consistency'])} of "
            f"{counted(position['n_pairs'], 'pair')}; "
            f"the response shown first wins {_num(position['first_position_rate'])} of "
            f"{counted(position['n_decisive'], 'decisive verdict')}{_position_p(position)}."
        )
    longer = (
        f"The judge prefers the longer response in {_num(length['judge']['longer_rate'])} of "
        f"{counted(length['judge']['n'], 'decisive verdict')}"
    )
    if not judge.get("people_labelled", True):  # nothing of people's to set beside the judge's
        return [*lines, "", f"{longer}.", ""]
    # its own paragraph; our own numbers and words only (no name from a file): nothing to escape
    lines += ["", response_one_text(judge["response_1_share"], both_orders=not position["not_measured"]), ""]
    lines.append(f"{longer}; people in {_num(length['people']['longer_rate'])}.")
    if length.get("paired"):  # the comparison that counts: both shares on the same comparisons
        said = paired_length_text(length["paired"])
        lines += ["", f"{said[0].upper()}{said[1:]}."]
    return [*lines, ""]


def _ranking_lines(judge: Mapping[str, Any], text: Escape) -> list[str]:
    corrected, ranking = judge["corrected"], judge["ranking"]
    lines = ["### Corrected vs naive rankings", ""]
    if corrected is None or ranking is None:
        return [*lines, "_Not ranked: the two sides of each comparison are not models._", ""]
    against = ranking["against"]
    what = f"against {text(against)}" if against else "against every model it met"
    rows = corrected["against_baseline"] or corrected["against_all"]
    if not judge.get("people_labelled", True):  # the judge's own win rates only: the other columns would be empty
        level = interval_level(corrected.get("confidence"))
        lines = ["### Win rates, judge only", "", f"Win rate {what} (ties count half; {level}):", ""]
        table = [[text(r["model"]), _interval(r["judge"]), str(r["n_unlabelled"])] for r in rows]
        return lines + _table(["model", "judge only", "comparisons"], table)
    level = interval_level(corrected.get("confidence"))  # "95% CI": the intervals' level, 1 - alpha
    lines += [f"Win rate {what} (ties count half; people: {corrected['people_labels']}; {level}):", ""]
    table = [
        [
            text(r["model"]),
            _interval(r["people"]),
            _interval(r["judge"]),
            _interval(r["corrected"]),
            str(r["n_labelled"]),
            str(r["n_unlabelled"]),
            _num(r["effective_labels"], 0),
        ]
        for r in rows
    ]
    header = ["model", "people only", "judge only", "corrected", "labelled", "unlabelled", "effective labels"]
    lines += _table(header, table)
    if all_labelled(corrected):  # corrected = people-only: say why (s16 judgeshopper 8)
        lines += [f"{ALL_LABELLED}.", ""]
    apart = ranking.get("not_separated") or {}
    for source in ("corrected", "judge", "people"):
        order = " > ".join(text(m) for m in ranking[source]) or "n/a"
        lines.append(f"- {source} order: {order}{_not_separated(apart.get(source), text)}")
    if any(apart.values()):
        lines.append(f"- {NOT_SEPARATED_MEANS}")
    tests = ranking.get("order_tests") or {}
    said = [f"{source}: {tests[source]}" for source in ("people", "judge") if tests.get(source)]
    if said:
        lines.append(f"- partial orders (exact sign tests on each pair of models): {'; '.join(said)}")
    return [*lines, f"- {_order_comparison(ranking, text)}", ""]


#: What "not separated" beside an order means (the card's ``ranking.not_separated``, ``analysis.report_card.rankings``).
NOT_SEPARATED_MEANS = (
    "not separated: two models whose win-rate intervals overlap and that the partial order (the people's for the "
    "people and corrected orders, the judge's for the judge order) leaves unordered; their places in the order "
    "above could as well be the other way round"
)


def _pairs_text(pairs: Sequence[Sequence[str]], text: Escape) -> str:
    return ", ".join(f"{text(a)} and {text(b)}" for a, b in pairs)


def _not_separated(pairs: Sequence[Sequence[str]] | None, text: Escape) -> str:
    """ " (not separated: bloom-7b and pythia-6.9b, ...)" after an order printed as a chain, or ""."""
    return f" (not separated: {_pairs_text(pairs, text)})" if pairs else ""


def _order_comparison(ranking: Mapping[str, Any], text: Escape) -> str:
    """The judge's order against the corrected one, said only where the data separate the models: a swap of two
    models neither order tells apart is no difference (s13 tester: bloom-7b and pythia-6.9b, p = 0.92)."""
    matches = ranking["judge_matches_corrected"]
    if matches is None:  # an order is missing: nothing to compare
        return "no order to compare the judge's with the corrected one"
    if matches:
        return "the judge alone ranks the models in the same order as the corrected one"
    swaps = ranking.get("swaps")
    if swaps is None:  # a card from before the partial orders were read: the plain comparison
        return "the judge alone ranks the models in an order different from the corrected one"
    loose = [(s["judge_above"], s["corrected_above"]) for s in swaps if not s["separated"]]
    real = [s for s in swaps if s["separated"]]
    apart = f"models neither can tell apart ({_pairs_text(loose, text)})"
    if not real:
        return f"the judge's order and the corrected order differ only between {apart}"
    where = "; ".join(
        f"it puts {text(s['judge_above'])} above {text(s['corrected_above'])}, the corrected order the other way round"
        for s in real
    )
    sentence = f"the judge's order differs from the corrected one where they separate the models: {where}"
    return sentence + (f"; elsewhere only between {apart}" if loose else "")


def judge_markdown(judge: Mapping[str, Any], text: Escape = inline_text) -> str:
    """One run's card: answer and conclusion, then the figures it rests on, then the caveats."""
    lines = [
        f"## Run {judge['run_id']}: {text(judge['model'])} (profile {text(judge['profile'])})",
        "",
        f"**Answer: {judge['answer']}.** {text(judge['conclusion'])}",
        "",
    ]
    lines += _alt_test_lines(judge, text) + _agreement_lines(judge) + _calibration_lines(judge, text)
    lines += _bias_lines(judge, text) + _ranking_lines(judge, text)
    lines += ["### Caveats", ""] + ([f"- {text(c)}" for c in judge["caveats"]] or ["- none"])
    return "\n".join([*lines, ""])


def aggregation_markdown(card: Mapping[str, Any], text: Escape = inline_text) -> str:
    """Majority vs Dawid-Skene: how often they differ and each annotator's estimated quality."""
    aggregation = card["aggregation"]
    if not aggregation:
        return ""
    methods = aggregation["methods"]
    names = sorted({a["annotator"] for m in methods.values() for a in m["annotators"]})
    quality = {m: {a["annotator"]: a["accuracy"] for a in v["annotators"]} for m, v in methods.items()}
    rows = [[text(n), *(_num(quality[m].get(n)) for m in methods)] for n in names]
    lines = [
        "## People's labels: aggregation side by side",
        "",
        f"Used for every people figure: **{aggregation['used']}**. The methods give different labels on "
        f"{aggregation['n_differ']} of {counted(aggregation['n_comparisons'], 'comparison')}. "
        "Estimated annotator quality:",
        "",
        *_table(["annotator", *methods], rows),
    ]
    lines += [f"- {m}: {v['quality']}" for m, v in methods.items()]  # the report's own wording, no names
    lines += [  # why a quality is n/a (a single annotator under Dawid-Skene; nobody to compare with)
        f"- {m} n/a for {text(a['annotator'])}: {a['note']}"
        for m, v in methods.items()
        for a in v["annotators"]
        if a.get("note") and a.get("accuracy") is None
    ]
    return "\n".join([*lines, ""])


def ratings_markdown(card: Mapping[str, Any], text: Escape = inline_text) -> str:
    """The single-answer ratings of the report (its ``ratings`` section, as ``metrics --json`` has it): each
    grader's ratings, skips and gold checks, each model's mean rating (people only, judge only, corrected)
    and the correlations with the judge's scores. Empty when nobody has rated."""
    ratings = card.get("ratings") or {}
    graders = ratings.get("graders") or []
    if not graders:
        return "_Nobody has rated a response of this dataset yet._\n" if card.get("pairwise_note") else ""
    lines = [
        "## Single-answer ratings",
        "",
        f"{counted(ratings['n_ratings'], 'rating')} of {counted(ratings['n_responses'], 'response')}, "
        f"compared on 1-{ratings['scale']}.",
        "",
    ]
    rows = [
        [text(g["annotator"]), str(g["ratings"]), str(g["skipped"]), str(g["n_gold"])]
        + ["–" if g["gold_accuracy"] is None else f"{g['gold_accuracy']:.0%}"]
        for g in graders
    ]
    lines += _table(["grader", "ratings", "skipped", "gold checks", "gold right"], rows)
    means = [
        [text(m["model"]), *(rating_span(m[part]) for part in ("people", "judge", "corrected")), str(m["n_people"])]
        + [str(m["n_judge"])]
        for m in ratings.get("corrected_means") or []
    ]
    if means:
        header = ["model", "people only", "judge only", "corrected", "people-rated", "judge-rated"]
        lines += ["Mean rating per model:", "", *_table(header, means)]
        if ratings.get("corrected_fully_rated"):  # corrected = people-only: say why (s18 dashclean)
            lines += [f"{FULLY_RATED}.", ""]
    if ratings.get("corrected_note"):
        lines += [f"_{text(ratings['corrected_note'])}._", ""]
    correlations = ratings.get("correlations") or {}
    if correlations:
        rows = [
            [text(level), *(_num(c[k]) for k in ("pearson", "spearman", "kendall")), str(c["n"])]
            for level, c in correlations.items()
        ]
        lines += [f"Ratings vs judge run {ratings['judge_run']}:", ""]
        lines += _table(["level", "Pearson", "Spearman", "Kendall τ", "n"], rows)
    if ratings.get("note"):
        lines += [f"_{text(ratings['note'])}_", ""]
    return "\n".join(lines)


def judges_compared_markdown(
    section: Mapping[str, Any] | None, text: Escape = inline_text, heading: str = "## Judges compared"
) -> str:
    """ "Judges compared": each run against the best by headline accuracy on the comparisons both judged
    (``analysis.judges_compared``), a small table and one sentence per pair; "" without a pair. The report card
    and the Dashboard show it; model names from files pass through ``text``."""
    if not section or not section.get("pairs"):
        return ""
    rows = [
        [
            f"{text(p['reference']['model'])} (run {p['reference']['run_id']}) vs "
            f"{text(p['other']['model'])} (run {p['other']['run_id']})",
            str(p["n"]),
            f"{_num(p['accuracy_reference'])} vs {_num(p['accuracy_other'])}",
            difference_text(p),
            f"{p_text(p)} ({p['only_reference_right']} vs {p['only_other_right']})",
            "n/a" if p["kappa_difference"] is None else f"{p['kappa_difference']:+.3f}",
            "n/a" if p["macro_f1_difference"] is None else f"{p['macro_f1_difference']:+.3f}",
        ]
        for p in section["pairs"]
    ]
    header = ["judges", "n (shared)", "accuracy", "difference", "exact McNemar p (discordant)", "Δκ", "Δ macro F1"]
    lines = [
        heading,
        "",
        "Paired on the comparisons both runs judged; accuracy: no verdict counts as wrong; κ and macro F1 over "
        "decisive verdicts; differences: first run minus second.",
        "",
        *_table(header, rows),
    ]
    lines += [f"- {text(p['sentence'])}" for p in section["pairs"]]
    return "\n".join([*lines, ""])


def card_markdown(card: Mapping[str, Any], text: Escape = inline_text) -> str:
    """The whole card as Markdown: names from imported files escaped (``inline_text``), so the file
    stays safe wherever it is rendered later."""
    parts = [
        head_markdown(card, text),
        judges_compared_markdown(card.get("judges_compared"), text),
        *(judge_markdown(j, text) for j in card["judges"]),
        aggregation_markdown(card, text),
        ratings_markdown(card, text),
    ]
    return "\n".join(parts)


def card_text(card: Mapping[str, Any]) -> str:
    """The card for a terminal: the same lines as ``card_markdown`` (its headings and tables read as
    plain text), but names shown as they are, not Markdown-escaped (``pandalm-testset-v1``, not
    ``pandalm\\-testset\\-v1``); ``terminal_text`` still drops the control characters a name could
    use to move the cursor or recolour the terminal. Never for a file that is rendered later.

    Each placed text is fenced by ``_SHOWN_START``/``_SHOWN_END`` (control characters, which
    ``terminal_text`` has removed from the text itself), so ``terminal_layout`` drops the card's own emphasis
    marks (``**``, ``_``) and never a character of a name."""
    return terminal_layout(card_markdown(card, _fenced_terminal_text))


_SHOWN_START, _SHOWN_END = "\x02", "\x03"
_SHOWN = re.compile(f"{_SHOWN_START}([^{_SHOWN_END}]*){_SHOWN_END}")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w\\])_(?=\S)(.+?)(?<=\S)_(?!\w)")


def _fenced_terminal_text(text: object) -> str:
    return _SHOWN_START + terminal_text(text) + _SHOWN_END


def _without_emphasis(line: str) -> str:
    """``line`` with the card's own ``**bold**`` and ``_italic_`` marks removed; fenced texts (names, notes)
    are set aside first and put back as they are, without their fences."""
    shown: list[str] = []

    def aside(match: re.Match[str]) -> str:
        shown.append(match.group(1))
        return f"{_SHOWN_START}{len(shown) - 1}{_SHOWN_END}"

    bare = _ITALIC.sub(r"\1", _BOLD.sub(r"\1", _SHOWN.sub(aside, line)))
    restored = _SHOWN.sub(lambda m: shown[int(m.group(1))], bare)
    return restored.replace(_SHOWN_START, "").replace(_SHOWN_END, "")  # a fence cut by a line break


def terminal_layout(markdown: str) -> str:
    """Markdown structure made for a terminal: headings underlined (``#`` with ``=``, deeper with ``-``),
    pipe tables as aligned columns with a rule under the header, emphasis marks (``**``, ``_``) removed
    from the card's own words; the fenced texts (see ``card_text``) keep every character."""
    out: list[str] = []
    table: list[list[str]] = []
    for line in [*map(_without_emphasis, markdown.splitlines()), ""]:
        if line.startswith("|") and line.rstrip().endswith("|"):
            if not re.fullmatch(r"\|[\s:|-]+\|", line.strip()):  # the |---| row: redrawn below the header
                table.append([c.strip() for c in line.strip()[1:-1].split(" | ")])
            continue
        if table:
            out += _columns(table)
            table = []
        heading = re.match(r"^(#+) (.*)$", line)
        if heading:
            text = heading.group(2)
            out += [text, ("=" if len(heading.group(1)) == 1 else "-") * len(text)]
        else:
            out.append(line)
    return "\n".join(out).rstrip("\n") + "\n"


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(max(map(len, rows)))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows]
    return [lines[0], "  ".join("-" * w for w in widths), *lines[1:]]


# --------------------------------------------------------------------------------------- figures


#: Said in the place of a run's reliability diagram when it has none: a frame holding only a message took a whole
#: plot's height per run, in the HTML card and on the page (s16 judgeshopper 9).
NO_CONFIDENCE_DIAGRAM = "No reliability diagram: this run's verdicts carry no confidence"
NO_PEOPLE_DIAGRAM = "No reliability diagram: no people's labels to hold the judge's confidence against"


def reliability_gap(judge: Mapping[str, Any]) -> str | None:
    """The one line said instead of the run's reliability diagram, or None when it has one: no calibration
    with a note is a run that stored no verdict probabilities; without a note, no people's labels were counted."""
    if judge["calibration"] is not None:
        return None
    return NO_CONFIDENCE_DIAGRAM if judge.get("calibration_note") else NO_PEOPLE_DIAGRAM


def reliability_figure(judge: Mapping[str, Any]) -> go.Figure:
    """Accuracy against mean confidence per probability bin, with the diagonal of perfect calibration."""
    title = "Reliability diagram"
    calibration = judge["calibration"]
    if calibration is None:
        return message_figure(title, "No verdict probabilities: calibration not measured.")
    bins = [b for b in calibration["bins"] if b["count"]]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color="#999", dash="dash"), name="perfectly calibrated")
    )
    figure.add_trace(
        go.Bar(
            x=[(b["low"] + b["high"]) / 2 for b in bins],
            y=[b["accuracy"] for b in bins],
            width=[b["high"] - b["low"] for b in bins],
            customdata=[[counted(b["count"], "verdict"), b["confidence"]] for b in bins],
            marker_color=JUDGE_COLOR,
            opacity=0.75,
            name="accuracy in bin",
            hovertemplate="confidence %{customdata[1]:.2f}: accuracy %{y:.2f} over %{customdata[0]}<extra></extra>",
        )
    )
    figure.update_layout(
        title=f"{title}: ECE {_num(calibration['ece'])}, Brier {_num(calibration['brier'])} "
        f"(people: {plain(calibration['people_labels'])})",
        xaxis=dict(title="judge confidence (top verdict probability)", range=[0, 1]),
        yaxis=dict(title="share agreeing with people", range=[0, 1]),
        margin=MARGIN,
        height=360,
    )
    return figure


#: Why a series of the win-rate figure has no point for a model (its interval's estimate is None: fewer
#: than two observations behind it, ``analysis.corrected``).
MISSING_POINT = {
    "people": "fewer than two people labels on these comparisons",
    "judge": "the judge has no decisive verdict on these comparisons (fewer than two; uncertain verdicts and "
    "outputs without a verdict are left out)",
    "corrected": "fewer than two people labels to correct the judge's verdicts with",
}


def missing_series_notes(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """One note per series with a missing point, said above the figure: it drew two series without a word
    when the judge had no decisive verdict (s11 researcher). Plain text; ``notes_above`` makes it safe."""
    notes = []
    for key, name, _color in SOURCES:
        missing = [str(r["model"]) for r in rows if r[key]["estimate"] is None]
        if not missing:
            continue
        where = "not drawn" if len(missing) == len(rows) else "no point for " + ", ".join(missing)
        notes.append(f"{name.capitalize()}: {where}: {MISSING_POINT[key]}.")
    return notes


def corrected_figure(judge: Mapping[str, Any]) -> go.Figure:
    """Each model's win rate three ways, with its interval: people only, judge only, corrected; a series
    without a point for some model is named above the figure with the reason (``missing_series_notes``)."""
    title = "Win rates three ways"
    corrected = judge["corrected"]
    rows = (corrected["against_baseline"] or corrected["against_all"]) if corrected else []
    if not rows:
        return message_figure(title, "No win rates: the dataset's sides are not models, or nothing was judged.")
    figure = go.Figure()
    for offset, (key, name, color) in zip((-0.2, 0.0, 0.2), SOURCES, strict=True):
        shown = [(i, r[key]) for i, r in enumerate(rows) if r[key]["estimate"] is not None]
        if not shown:  # an empty trace would still take a legend entry: the note above says why it is missing
            continue
        figure.add_trace(
            go.Scatter(
                x=[i + offset for i, _ in shown],
                y=[p["estimate"] for _, p in shown],
                error_y=dict(
                    type="data",
                    array=[p["high"] - p["estimate"] for _, p in shown],
                    arrayminus=[p["estimate"] - p["low"] for _, p in shown],
                ),
                mode="markers",
                marker=dict(color=color, size=9),
                name=name,
                customdata=[[plain(rows[i]["model"]), p["n"]] for i, p in shown],
                hovertemplate="%{customdata[0]}: %{y:.3f} (n=%{customdata[1]})<extra>" + name + "</extra>",
            )
        )
    against = corrected["baseline"] if corrected and corrected["against_baseline"] else "every model met"
    people = plain(corrected["people_labels"] if corrected else "")
    top = notes_above(figure, f"{title} against {plain(against)} (people: {people})", missing_series_notes(rows))
    figure.update_layout(
        xaxis=dict(tickvals=list(range(len(rows))), ticktext=[plain(r["model"]) for r in rows]),
        yaxis=dict(title="win rate (ties half)", range=[0, 1]),
        height=380 + max(0, top - MARGIN["t"]),
    )
    return figure


# --------------------------------------------------------------------------------------- HTML


def card_html(card: Mapping[str, Any]) -> str:
    """One self-contained HTML page: the card's Markdown rendered (raw HTML off) and both figures per
    run; plotly.js is embedded once, inline, so the file opens without a network."""
    from markdown_it import MarkdownIt

    render = MarkdownIt("commonmark", {"html": False}).enable("table").render
    body = [render(head_markdown(card)), render(judges_compared_markdown(card.get("judges_compared")))]
    include: bool | str = True
    for judge in card["judges"]:
        body.append(render(judge_markdown(judge)))
        gap = reliability_gap(judge)  # one line, not a frame holding only a message
        if gap:
            body.append(f"<p><em>{html.escape(gap)}.</em></p>")
        for figure in ([] if gap else [reliability_figure(judge)]) + [corrected_figure(judge)]:
            body.append(figure.to_html(full_html=False, include_plotlyjs=include))
            include = False
    body.append(render(aggregation_markdown(card)))
    body.append(render(ratings_markdown(card)))
    title = html.escape(f"Judge report card: {card['dataset']}")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{HTML_STYLE}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
