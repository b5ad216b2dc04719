"""The short text summary of a report (``judge-studio metrics`` without ``--json``), read from
``report_dict``'s JSON so that the text and ``--json`` always show the same figures."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from analysis.agreement import accuracy_interval_text, interval_level
from analysis.alt_test import notes as alt_test_notes
from analysis.bias import NO_PAIR_TEST, RESPONSE_ONE_READING
from analysis.borderline import borderline_lines as folded_borderline
from analysis.checkup import checkup_text_lines
from analysis.corrected_ratings import corrected_rating_lines
from analysis.empty_responses import LOSES
from analysis.guideline_versions import guideline_text_lines
from analysis.judge_versions import judge_version_lines
from analysis.judges_compared import judges_compared_lines
from analysis.partial_order import order_scope
from analysis.wording import counted  # kept importable from here: the report's modules and the UI use it

NOT_A_TIME_SERIES = "labels stored at once (e.g. imported): in label order, not a time series"
#: Said once instead of empty people figures ("1: 0, 2: 0, tie: 0", "accuracy n/a over 0 comparisons") when no
#: comparison has a people label (AlpacaEval's released annotations: s13 tester); the CLI text and the card.
NO_PEOPLE_LABELS = "No people's labels on this dataset: figures against people are left out."
#: People's position preference when no decisive label has a recorded left/right order (imported labels only).
#: It reads the side of the screen a label was given on, not response 1/2 of the dataset (the judge block's "people
#: chose response 1 in ..."), so both lines can be right together; the line says so (s14 judgeeng).
NO_POSITION_LABELS = (
    "People's position preference (the side of the screen they chose, not response 1 or 2 of the dataset): "
    "no decisive labels with a recorded left/right order to measure it."
)


def no_people_text(scope: Mapping[str, Any] | None) -> str:
    """The one line said when no comparison has a people label: ``NO_PEOPLE_LABELS``, or, when only the chosen
    "Labels from" scope is empty (the report's ``labels_from``, ``LabelScope.no_labels_text``), that the dataset
    has labels elsewhere: "No labels from session 'X' yet (the dataset has 76 labels from other sources: choose
    'all people' to see them)." (s13 newfeat 6: it said "No people's labels on this dataset".)"""
    return str((scope or {}).get("no_labels") or NO_PEOPLE_LABELS)


def no_people_conclusion(scope: Mapping[str, Any] | None) -> str:
    """The report card's conclusion without people labels: the judge cannot be tested (against this scope)."""
    if (scope or {}).get("no_labels"):
        return "No labels in the chosen scope: the judge cannot be tested against them (choose 'all people')."
    return "No people's labels: the judge cannot be tested."


def has_people_labels(counts: Mapping[str, Any]) -> bool:
    """Does any comparison have a people label (the report's ``counts``; older reports: any label)?"""
    return bool(counts.get("labelled_comparisons", counts.get("labels", 0)))


def _num(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def uncertain_left_out(n: int) -> str:
    """ " (N uncertain left out)" after an agreement figure that left out N items whose judge verdict is
    uncertain, or "" when none was: the one wording of the CLI text, the report card and the Dashboard
    (the caveats said it, the agreement line did not; s10 testers). N comes from the report's
    ``judge_uncertain`` of that figure (``against_majority`` or ``per_vote``)."""
    return f" ({int(n)} uncertain left out)" if n else ""


def not_parsed(status: Mapping[str, int]) -> dict[str, int]:
    """The judge outputs without a verdict, per status: "unparsed" always, then every other status that is
    neither "ok" nor "uncertain" ("truncated", "error", ...) when it occurs. Why apart: a run whose every
    output was cut at --max-new-tokens read "0 unparsed", and the cure (more tokens) differs from a
    format the judge cannot follow."""
    others = {k: int(v) for k, v in sorted(status.items()) if k not in ("ok", "uncertain", "unparsed") and v}
    return {"unparsed": int(status.get("unparsed", 0)), **others}


def not_parsed_text(status: Mapping[str, int]) -> str:
    """ "0 unparsed", or "0 unparsed, 2 truncated": each status without a verdict, named."""
    return ", ".join(f"{n} {name}" for name, n in not_parsed(status).items())


#: what the rule's verdicts are left out of: the judge never cast them (s15 reviewB, defect 3)
RULE_NOT_IN_BIAS = (
    "these count in accuracy and the rankings but not in the judge's position, length or response-1 bias "
    "figures (the judge never saw them)"
)


def empty_responses_text(counts: Mapping[str, Any], name: Callable[[str], str] = str) -> str:
    """ "3 comparisons left out of the judge's figures: a response was empty (ckpt-a: 2, ckpt-b: 1)", or "" when
    none was: the judge refuses an empty response, so those comparisons count in none of its figures (people's
    figures still count them) (the CLI text and the card; ``name`` places each model name: the card's
    escaping). Said only for comparisons a run actually left out (``left_out``: stored as a refusal), naming the
    runs; nothing where every run judged them (an imported run: s15 methodologist). Where the ``empty_response``
    rule "loses" decided them in a run (``by_rule``), the line says which run decided how many, and which runs
    left them out."""
    empty = counts.get("empty_responses") or {}
    decided, left = empty.get("by_rule") or {}, empty.get("left_out")
    if left is None:  # an older report, which did not count per run: every empty one was said to be left out
        left = {"?": empty.get("n", 0)} if empty.get("n") else {}
    if not empty.get("n") or not (decided or left):  # e.g. an imported run that judged the empty responses
        return ""
    models = ", ".join(f"{name(model)}: {n}" for model, n in empty["by_model"].items())
    refused = ", ".join(f"run {run}: {n}" for run, n in left.items() if run != "?")
    where = f" ({refused})" if refused else ""
    if not decided:
        return (
            f"{counted(empty.get('n_left_out', empty['n']), 'comparison')} left out of the judge's figures: a "
            f"response was empty ({models}); the judge refused {'it' if sum(left.values()) == 1 else 'them'}"
            f"{where}, so an empty answer is counted as no loss there"
        )
    runs = ", ".join(f"run {run}: {n}" for run, n in decided.items())
    return (
        f"{counted(empty['n'], 'comparison')} with an empty response ({models}); decided without the judge by the "
        f"empty_response rule {LOSES!r} (the empty response loses, both empty is a tie) in {runs}"
        + (f"; left out of the judge's figures by {refused}" if refused else "")
        + f"; {RULE_NOT_IN_BIAS}"
    )


def _scope_lines(scope: Mapping[str, Any] | None) -> list[str]:
    """Whose labels the people figures read ("People: labels from session 'X' (116 labels, 3 annotators)"),
    or that the imported labels are included; nothing for all labels when none is imported."""
    return [str(scope["line"])] if scope and scope.get("line") else []


def format_report(report: Mapping[str, Any]) -> str:
    """A short human-readable summary of ``metrics_report`` (``--json`` has every figure)."""
    counts = report["counts"]
    if report.get("pairwise_note"):  # a grading-only dataset: one line for the pairwise parts, then its ratings
        ratings = report.get("ratings")
        return "\n".join(
            [
                f"Dataset {report['dataset']}: {report['pairwise_note']}",
                *rating_lines(ratings),
                *corrected_rating_lines(ratings),
                *grader_gold_lines(ratings),
            ]
        )
    lines = [
        f"Dataset {report['dataset']}: {counted(counts['comparisons'], 'comparison')}, "
        f"{counted(counts['labels'], 'label')} from {counted(counts['annotators'], 'annotator')}, "
        f"{counted(counts['judge_runs'], 'judge run')}, {counted(counts['categories'], 'category', 'categories')}",
        *_scope_lines(report.get("labels_from")),
        *[line for line in [empty_responses_text(counts)] if line],
    ]
    people = has_people_labels(counts)
    if people:
        lines.append(
            "People's label per comparison: " + ", ".join(f"{k}: {v}" for k, v in report["label_distribution"].items())
        )
        lines += _adjudication_lines(report.get("adjudications"))
    else:  # one line, not empty people figures
        lines.append(no_people_text(report.get("labels_from")))
    inter = report["inter_annotator"]
    if inter["pairwise_cohen_kappa"]:
        kappas = "; ".join(
            f"{p['annotator_a']} / {p['annotator_b']} {_num(p['cohen_kappa'])}" for p in inter["pairwise_cohen_kappa"]
        )
        lines.append(f"Cohen's kappa between annotators: {kappas}")
        basis = f" ({inter['fleiss_basis']})" if inter.get("fleiss_basis") else ""
        lines.append(
            f"Fleiss' kappa {_num(inter['fleiss_kappa'])}{basis}, "
            f"Krippendorff's alpha {_num(inter['krippendorff_alpha'])}"
        )
    for judge in report["judges"]:
        lines += _judge_lines(
            judge, report["settings"]["baseline"], report["settings"].get("uncertain_margin"), people=people
        )
    lines += judges_compared_lines(report.get("judges_compared"))
    lines += judge_version_lines(report.get("judge_versions"))
    lines += _annotator_lines(report["annotators"])
    lines += annotator_gold_lines(report["annotators"])
    lines += _model_pair_lines(report["model_pairs"])
    order = report["people"]["partial_order"]
    if order is not None and report["counts"]["labels"]:
        edges = ", ".join(f"{a} > {b}" for a, b in order["hasse"]) or "no significant differences"
        lines.append(f"People's partial order ({_order_test(order, report['settings']['alpha'])}): {edges}")
        lines += borderline_lines(report)
    lines += _judge_order_lines(report)
    if report["people"].get("ranking_note"):
        lines.append(f"Rankings {report['people']['ranking_note']}")
    lines += _people_position_lines(report["people"]["position_bias"])
    aggregation = report.get("aggregation")
    if aggregation:
        lines.append(
            f"People's labels: {aggregation['used']}; majority and Dawid-Skene differ on {aggregation['n_differ']} "
            f"of {aggregation['n_comparisons']} comparisons"
        )
    lines += corrected_rating_lines(report.get("ratings"))
    lines += grader_gold_lines(report.get("ratings"))
    lines += checkup_text_lines(report.get("checkup"))
    lines += guideline_text_lines(report.get("guideline_versions"))
    return "\n".join(lines)


def rating_lines(ratings: Mapping[str, Any] | None) -> list[str]:
    """The single-answer ratings in a few lines: how many, on which scale, each grader's ratings, skips and
    gold checks, and the correlations with the judge's scores when a run rated on the same scale."""
    if not ratings:
        return []
    graders = ratings.get("graders") or []
    lines = [
        f"Single-answer ratings: {counted(ratings['n_ratings'], 'rating')} of "
        f"{counted(ratings['n_responses'], 'response')} (compared on 1-{ratings['scale']}) from "
        f"{counted(len(graders), 'grader')}"
    ]
    for g in graders:
        gold = f", gold checks {round(g['gold_accuracy'] * g['n_gold'])} of {g['n_gold']} right" if g["n_gold"] else ""
        lines.append(f"  {g['annotator']}: {counted(g['ratings'], 'rating')}, {g['skipped']} skipped{gold}")
    for level, row in (ratings.get("correlations") or {}).items():
        lines.append(
            f"Ratings vs judge run {ratings['judge_run']} ({level} level, n {row['n']}): "
            f"Pearson {_num(row['pearson'])}, Spearman {_num(row['spearman'])}, Kendall {_num(row['kendall'])}"
        )
    if ratings.get("note"):
        lines.append(f"Ratings: {ratings['note']}")
    return lines


def grader_gold_lines(ratings: Mapping[str, Any] | None) -> list[str]:
    """The graders' attention checks in one line: how many graders were checked, how many checks, the
    share right over all checks, and the grader with the lowest share (``--json``: ``ratings.graders``)."""
    checked = [g for g in (ratings or {}).get("graders") or [] if g["n_gold"]]
    if not checked:
        return []
    checks = sum(g["n_gold"] for g in checked)
    right = sum(g["gold_accuracy"] * g["n_gold"] for g in checked)
    graders = f"{len(checked)} grader{'' if len(checked) == 1 else 's'}"
    line = f"Gold checks (grading): {graders}, {checks} check{'' if checks == 1 else 's'}, {right / checks:.0%} right"
    if len(checked) > 1:
        lowest = min(checked, key=lambda g: g["gold_accuracy"])  # the first by name among equals
        n = lowest["n_gold"]
        line += f"; lowest: {lowest['annotator']} {lowest['gold_accuracy']:.0%} ({n} check{'' if n == 1 else 's'})"
    return [line]


def _people_position_lines(position: Mapping[str, Any]) -> list[str]:
    """People's left-position preference, over the labels whose left/right order was recorded, and how
    many decisive labels had none (imported): they are left out rather than taken as canonical order."""
    unknown = position.get("n_unknown_order", 0)
    if not position["n_decisive"] and not unknown:
        return []
    if not position["n_decisive"]:  # nothing measured: say so, not "n/a over 0 decisive labels"
        return [f"{NO_POSITION_LABELS} {unrecorded_order_text(unknown)}."]
    rate, p_value = _num(position["left_position_rate"]), _num(position["p_value"])
    line = (
        f"People's position preference: share choosing the left response {rate} over {position['n_decisive']} "
        f"decisive labels with a recorded left/right order (p = {p_value})"
    )
    if unknown:
        line += f"; {unrecorded_order_text(unknown)}"
    return [line]


def unrecorded_order_text(n: int) -> str:
    """ "2671 decisive labels have no recorded order (imported) and are left out": the labels people's position
    preference cannot read (the CLI text and the Dashboard)."""
    has, are = ("has", "is") if n == 1 else ("have", "are")
    return f"{counted(n, 'decisive label')} {has} no recorded order (imported) and {are} left out"


def _judge_order_lines(report: Mapping[str, Any]) -> list[str]:
    """Each judge run's partial order beside the people's (``--json``: ``judges[].partial_order``), in the same
    words: a CLI user comparing checkpoints needs the judge's graph too (s13 tester)."""
    alpha = report["settings"]["alpha"]
    lines = []
    for judge in report["judges"]:
        order = judge.get("partial_order")
        if order is not None:
            edges = ", ".join(f"{a} > {b}" for a, b in order["hasse"]) or "no significant differences"
            lines.append(f"Judge run {judge['run_id']}'s partial order ({_order_test(order, alpha)}): {edges}")
    return lines


def _order_test(order: Mapping[str, Any], alpha: object) -> str:
    """ "p < 0.05, Holm-adjusted over 10 pair tests": the level and the correction of a partial order's arrows."""
    scope = order_scope(order)
    return f"p < {alpha}, {scope}" if scope else f"p < {alpha}"


def _adjudication_lines(adjudications: Mapping[str, Any] | None) -> list[str]:
    """How many people labels a reviewer settled, and that inter-annotator agreement never reads them."""
    if adjudications is None:
        return []
    detail = ""
    if adjudications["n"]:
        detail = (
            f" ({adjudications['overruled']} overruling the annotators' label, {adjudications['unlabelled']} "
            "without one)"
        )
    return [
        f"{adjudications['note']}{detail}: the reviewer's verdict is the people's label there; agreement "
        "between annotators uses their own labels only"
    ]


def _uncertain_text(judge: Mapping[str, Any], margin: float | None) -> str:
    """ ", N uncertain (...)" when some verdicts are uncertain: how many, which way they lean, the margin."""
    verdicts = judge["verdicts"]
    n = verdicts.get("n_uncertain", 0)
    if not n:
        return ""
    leaning = verdicts.get("uncertain_leaning") or {}
    lean = ", ".join(
        f"{v} {'leans' if v == 1 else 'lean'} to {'a tie' if k == 'tie' else 'response ' + k}"
        for k, v in leaning.items()
        if v
    )
    return (
        f", {n} uncertain (top two verdict probabilities less than {_num(margin, 2)} apart; {lean}; "
        "counted neither as wins nor as ties)"
    )


def _judge_lines(
    judge: Mapping[str, Any], baseline: str | None, margin: float | None = None, *, people: bool = True
) -> list[str]:
    """One judge run: agreement with people, both orders, position bias, over time, length, win rates.
    ``people=False`` (no people labels): the figures against people are left out, not printed empty."""
    versus, vote = judge["against_majority"], judge["per_vote"]
    ci = accuracy_interval_text(versus["accuracy_ci95"])  # a bootstrap, or Wilson's named as such
    missing = not_parsed_text(judge["verdicts"]["status"])
    # a both-order run was imported as twice as many verdicts: say these are one per comparison
    per = "" if judge["position_bias"]["not_measured"] else " (one per comparison; both orders below)"
    lines = [
        f"Judge run {judge['run_id']}: {judge['model']} (profile {judge['profile']}), "
        f"{counted(judge['verdicts']['n'], 'verdict')}{per}, {missing}{_uncertain_text(judge, margin)}"
    ]
    if versus["n"] or (judge.get("against_majority_unparsed_as_wrong") or {}).get("n"):
        lines += [
            headline_accuracy_text(judge),
            f"  vs majority, decisive verdicts only (n={versus['n']}): accuracy {_num(versus['accuracy'])}{ci}, kappa "
            f"{_num(versus['cohen_kappa'])}, macro P/R/F1 {_num(versus['macro_precision'])} / "
            f"{_num(versus['macro_recall'])} / {_num(versus['macro_f1'])}"
            f"{uncertain_left_out(versus.get('judge_uncertain', 0))}",
            f"  per label (n={vote['n']}): accuracy {_num(vote['accuracy'])}, MT-Bench agreement with ties "
            f"{_num(vote['mtbench_agreement']['with_ties'])}, without ties "
            f"{_num(vote['mtbench_agreement']['without_ties'])}{uncertain_left_out(vote.get('judge_uncertain', 0))}",
        ]
    lines += _position_lines(judge, people=people)
    if judge["over_time"]:
        note = "" if judge["over_time_is_time_series"] else f"; {NOT_A_TIME_SERIES}"
        note += f" ({judge['over_time_note']})" if judge.get("over_time_note") else ""
        lines.append(
            "  per label over time (labels: accuracy [Wilson interval over the effective number of comparisons, "
            "not the labels]): " + _over_time_text(judge["over_time"]) + note
        )
    bias = judge["length_bias"]
    lines.append(f"  prefers the longer response in {_num(bias['longer_rate'])} of {bias['n']} decisive verdicts")
    if people and judge.get("length_vs_people"):
        lines.append(f"  {paired_length_text(judge['length_vs_people'])}")
    for rate in judge["win_rate"] or []:
        lines.append(
            f"  win rate of {rate['model']} against {baseline}: "
            f"{_num(rate['win_rate'])} (n={rate['n']}, draws count half)"
        )
    return lines + _replace_people_lines(judge, people=people)


def headline_accuracy_text(judge: Mapping[str, Any]) -> str:
    """ "  vs majority (n=999): accuracy 0.668 [0.639, 0.697] (95% CI); 332 judged without a decisive verdict count
    as wrong": the headline accuracy (``against_majority_unparsed_as_wrong``), where an uncertain or unparsed
    verdict is a disagreement, as in the alternative-annotator test (s15 methodologist, finding 1)."""
    strict = judge.get("against_majority_unparsed_as_wrong") or judge["against_majority"]
    ci = accuracy_interval_text(headline_interval(judge)) or older_report_interval_note(judge)
    missing = int(strict.get("no_verdict") or 0)
    note = f"; {missing} judged without a decisive verdict count as wrong" if missing else ""
    return f"  vs majority (n={strict['n']}): accuracy {_num(strict['accuracy'])}{ci}{note}"


#: Said after the headline accuracy of a report saved before session 15, which kept no interval for it.
OLDER_REPORT_NO_INTERVAL = "no interval in this older report"


def headline_interval(judge: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The interval of the headline accuracy (``against_majority_unparsed_as_wrong``), never another figure's
    (review16 finding 2). A report saved before session 15 kept none for it: there the decisive-only interval is
    given only where it is the same figure (no output without a decisive verdict: the same n and accuracy, so the
    same labels), else None. Older still (no headline figure at all): the headline is the decisive figure itself."""
    versus = judge["against_majority"]
    strict = judge.get("against_majority_unparsed_as_wrong")
    if not strict:
        return versus.get("accuracy_ci95")
    if "accuracy_ci95" in strict:
        return strict["accuracy_ci95"]
    same = strict.get("n") == versus.get("n") and strict.get("accuracy") == versus.get("accuracy")
    return versus.get("accuracy_ci95") if same else None


def older_report_interval_note(judge: Mapping[str, Any]) -> str:
    """ " (no interval in this older report)" where ``headline_interval`` has none because the report predates
    the headline's own interval (and has labels to compare), else ""."""
    strict = judge.get("against_majority_unparsed_as_wrong") or {}
    if not strict or "accuracy_ci95" in strict or not strict.get("n") or headline_interval(judge) is not None:
        return ""
    return f" ({OLDER_REPORT_NO_INTERVAL})"


def borderline_lines(report: Mapping[str, Any]) -> list[str]:
    """Where the two answers to "is A better than B?" disagree, say why instead of leaving three figures
    to contradict each other (s11 researcher, 20 labels): the report's ``people.borderline`` (found once in
    ``analysis.borderline``; the card and the Dashboard print the same sentence)."""
    return [f"  {line}" for line in folded_borderline(report["people"].get("borderline") or [])]


def _interval(part: Mapping[str, Any]) -> str:
    if part.get("estimate") is None:
        return f"n/a ({NO_ESTIMATE_REASON})"
    return f"{_num(part['estimate'])} [{_num(part['low'])}, {_num(part['high'])}]"


#: Said where the corrected (PPI) win rates are shown when every comparison has people's labels (s16 judgeshopper 8:
#: the corrected column equalled the people-only one with no word why). PPI corrects the people's estimate with the
#: judge's verdicts on the comparisons people did not label; with none, the corrected interval is the people-only
#: one (``analysis.corrected.corrected_mean``).
ALL_LABELLED = (
    "Every comparison has people's labels, so the corrected win rates are the people's own (the judge adds nothing "
    "to correct)"
)


def all_labelled(corrected: Mapping[str, Any] | None) -> bool:
    """Whether every win rate of a report's ``corrected`` section rests on people's labels alone: some comparison
    labelled, none unlabelled (``ALL_LABELLED`` is then said beside them)."""
    if not corrected:
        return False
    rows = corrected.get("against_baseline") or corrected.get("against_all") or []
    return bool(rows) and all(not r.get("n_unlabelled") and r.get("n_labelled") for r in rows)


#: Why a win rate is n/a: the people-only, judge-only and corrected estimates need at least 2 comparisons with
#: an outcome (an interval from one is undefined); the text summary and the card say it after "n/a".
NO_ESTIMATE_REASON = "fewer than 2 comparisons with an outcome: a win rate needs at least 2"


def alt_test_line(test: Mapping[str, Any]) -> str:
    """One group's alternative-annotator test. Its people counted as they are: "over 0 annotators" was printed
    for a group of 1 expert (it counted those tested), so a group too small says "1 expert annotator (needs
    3)" and one with people left out "2 of 3 annotators tested" (s13 researcher, finding 7)."""
    head = f"  alt-test ({test['group']} annotators, epsilon {test['epsilon']:g}): "
    tested = len(test["annotators"])
    people = int(test.get("n_people", tested))
    needs = int(test.get("min_annotators", 0))
    if people < needs:  # never testable on this group, whatever the judge did
        who = "annotator" if test["group"] == "all" else f"{test['group']} annotator"  # (judge_vs_people.ALL_KINDS)
        return head + f"not testable, {counted(people, who)} (needs {needs})"
    over = counted(tested, "annotator") if tested == people else f"{tested} of {counted(people, 'annotator')} tested"
    return (
        head
        + {True: "passed", False: "failed", None: "not testable"}[test["passed"]]
        + f", winning rate {_num(test['winning_rate'], 2)}, advantage probability "
        f"{_num(test['advantage_probability'], 2)} over {over}{_decisive_text(test)}, FDR level "
        f"{test['alpha']:g}"
    )


def _decisive_text(test: Mapping[str, Any]) -> str:
    """ "; judge decisive on 667 of 999 (the rest count as disagreeing; decisive ones alone: winning rate 1.00)", or
    "" when it was decisive on every item tested (or an older report has no count)."""
    items, decisive = int(test.get("n_items") or 0), test.get("n_decisive")
    if decisive is None or decisive >= items:
        return ""
    alone = test.get("decisive_winning_rate")
    figure = f"; decisive ones alone: winning rate {_num(alone, 2)}" if alone is not None else ""
    return f"; judge decisive on {decisive} of {items} (the rest count as disagreeing{figure})"


def _replace_people_lines(judge: Mapping[str, Any], *, people: bool = True) -> list[str]:
    """Can the judge replace people: the alternative-annotator test, calibration, corrected win rates (without
    people labels only the judge's own win rate with its interval: the people and corrected ones are empty)."""
    lines = [alt_test_line(test) for test in judge.get("alt_test") or []]
    lines += [f"    {note}" for note in alt_test_notes(judge.get("alt_test") or [])]  # why, each once
    calibration = judge.get("calibration")
    if calibration is not None:
        lines.append(
            f"  calibration (n={calibration['n']}): ECE {_num(calibration['ece'])}, Brier {_num(calibration['brier'])}"
        )
    corrected = judge.get("corrected")
    if corrected is not None:
        rows = corrected["against_baseline"] or corrected["against_all"]
        against = corrected["baseline"] if corrected["against_baseline"] else "all others"
        level = interval_level(corrected.get("confidence"))  # "95% CI": 1 - alpha
        for row in rows[:SUMMARY_ROWS]:
            if not people:
                lines.append(
                    f"  win rate of {row['model']} against {against}, judge only ({level}): {_interval(row['judge'])}"
                )
                continue
            lines.append(
                f"  win rate of {row['model']} against {against} (people: {corrected['people_labels']}; {level}): "
                f"people {_interval(row['people'])}, judge {_interval(row['judge'])}, "
                f"corrected {_interval(row['corrected'])}"
            )
        if people and all_labelled(corrected):
            lines.append(f"  {ALL_LABELLED}.")
    return lines


def response_one_text(share: Mapping[str, Any], *, both_orders: bool) -> str:
    """The response-1 share in one plain sentence (numbers only, no Markdown), as the text summary, the
    report card and the dashboard all say it. One-order runs get the reading (evidence, not a swap test);
    a both-order run's swap figures are the measure, so there it is only "the original order alone"."""
    if share["not_measured"]:
        return f"Share of response-1 verdicts {share['not_measured']}."
    lead = "In the original order alone, the judge" if both_orders else "Judged in one order, the judge"
    unsure = share.get("n_uncertain", 0)
    left_out = f" ({counted(unsure, 'uncertain judge verdict')} left out)" if unsure else ""
    if not share["n"]:
        return (
            "No share of response-1 verdicts: no comparison has both a judge verdict of 1 or 2 in the original "
            f"order and a people label of 1 or 2{left_out}."
        )
    split = share["judge_1_people_2"] + share["judge_2_people_1"]
    sentence = (
        f"{lead} chose response 1 (shown first) in {_num(share['judge_rate'])} of the {share['n']} comparisons where "
        f"it and people both chose a side{left_out}; people chose response 1 in {_num(share['people_rate'])} of "
        f"them (difference {share['difference']:+.3f}; exact McNemar p = {_num(share['p_value'])} over the {split} "
        f"they disagree on: {share['judge_1_people_2']} judge 1 / people 2, {share['judge_2_people_1']} judge 2 / "
        "people 1)."
    )
    return sentence if both_orders else f"{sentence} {RESPONSE_ONE_READING}"


def paired_length_text(paired: Mapping[str, Any]) -> str:
    """The judge's and people's longer-response shares on the same comparisons, with McNemar's test: the text
    summary, the card and the Dashboard say it in these words."""
    if not paired["n"]:
        return "longer response, judge vs people on the same comparisons: none where both chose a side"
    return (
        f"on the {paired['n']} comparisons where both the judge and people chose a side (responses of different "
        f"length), the judge picks the longer response in {_num(paired['judge_rate'])}, people in "
        f"{_num(paired['people_rate'])} (exact McNemar p = {_num(paired['p_value'])} over the "
        f"{paired['judge_longer_people_shorter'] + paired['judge_shorter_people_longer']} they disagree on)"
    )


def _position_test(position: Mapping[str, Any]) -> str:
    """ "; p = 6.9e-09 (exact sign test on the 66 pairs whose verdict follows the position: ...)", or ""."""
    p_value, test = position.get("first_position_p_value"), position.get("test")
    if p_value is None and position.get("n_decisive"):  # both orders, never of one comparison: nothing tested
        return f"; {NO_PAIR_TEST}"
    return f"; p = {p_value:.2g} ({test})" if p_value is not None and test else ""


def _position_lines(judge: Mapping[str, Any], *, people: bool = True) -> list[str]:
    """Both orders (swapped-order accuracy, the mean of the two orders, the combined verdict) and
    position bias, or why position bias was not measured (then the response-1 share beside people's,
    when there are people labels to set it beside)."""
    position, both = judge["position_bias"], judge["both_orders"]
    share = [f"  {response_one_text(judge['response_1_share'], both_orders=both is not None)}"] if people else []
    if position["not_measured"]:
        return [f"  position bias {position['not_measured']}", *share]
    lines = [
        f"  both orders: consistency {_num(position['consistency'])} over {position['n_pairs']} pairs, first-position "
        f"rate {_num(position['first_position_rate'])} of {position['n_decisive']} decisive verdicts"
        + _position_test(position)
    ]
    if both:
        swapped, combined = both["swapped_order_against_majority"], both["combined_against_majority"]
        lines.append(
            f"  accuracy vs majority: swapped order {_num(swapped['accuracy'])} (n={swapped['n']}), mean of both "
            f"orders {_num(both['mean_of_orders_accuracy'])}, combined (agree, else tie) {_num(combined['accuracy'])} "
            f"(n={combined['n']})"
        )
    return [*lines, *share]


SUMMARY_ROWS = 10  # the text summary lists at most this many annotators / model pairs (--json has all)


def _over_time_text(points: list[dict[str, Any]], shown: int = 5) -> str:
    """A few evenly spaced points of the over-time series, the last one always included."""
    step = max(1, math.ceil(len(points) / shown))
    chosen = points[::-1][::step][::-1]
    return ", ".join(f"{p['n']}: {_num(p['accuracy'])} [{_num(p['low'])}, {_num(p['high'])}]" for p in chosen)


def _listed(title: str, rows: list[dict[str, Any]], describe: Callable[[dict[str, Any]], str]) -> list[str]:
    """A titled list of at most SUMMARY_ROWS rows, each ending with its judges' accuracy."""
    lines = [title]
    for row in rows[:SUMMARY_ROWS]:
        judges = "; ".join(f"run {j['run_id']} {_num(j['accuracy'])} (n={j['n']})" for j in row["judges"])
        lines.append(f"  {describe(row)}" + (f"; {judges}" if judges else ""))
    if len(rows) > SUMMARY_ROWS:
        lines.append(f"  ... {len(rows) - SUMMARY_ROWS} more in --json")
    return lines


def _annotator_lines(annotators: list[dict[str, Any]]) -> list[str]:
    if not annotators:
        return []
    return _listed(
        "Annotators (labels; accuracy vs the others' majority; vs each judge run):",
        annotators,
        lambda person: (
            f"{person['name']}: {person['labels']} labels; others {_num(person['with_others']['accuracy'])} "
            f"(n={person['with_others']['n']}, kappa {_num(person['with_others']['cohen_kappa'])}"
            + (
                f"; {person['with_others']['n_split']} left out: the others split"
                if person["with_others"].get("n_split")
                else ""
            )
            + ")"
            + _annotator_gold(person.get("gold"))
        ),
    )


def _annotator_gold(gold: Mapping[str, Any] | None) -> str:
    """The annotator's gold checks, as '; gold 2 of 3 right (0.667)' (the Dashboard's Annotators table,
    ``analysis.inter_annotator.annotator_table``); nothing without a check."""
    if not gold or not gold.get("n"):
        return ""
    right = gold.get("right", round(gold["accuracy"] * gold["n"]))
    return f"; gold {right} of {gold['n']} right ({_num(gold['accuracy'])})"


def annotator_gold_lines(annotators: list[dict[str, Any]]) -> list[str]:
    """The annotators' gold checks in one line, as ``grader_gold_lines`` says the graders': how many annotators were
    checked, how many checks, the share right over all checks and the annotator with the lowest share."""
    checked = [a for a in annotators if (a.get("gold") or {}).get("n")]
    if not checked:
        return []
    checks = sum(a["gold"]["n"] for a in checked)
    right = sum(a["gold"].get("right", a["gold"]["accuracy"] * a["gold"]["n"]) for a in checked)
    people = counted(len(checked), "annotator")
    line = f"Gold checks (labels): {people}, {checks} check{'' if checks == 1 else 's'}, {right / checks:.0%} right"
    if len(checked) > 1:
        lowest = min(checked, key=lambda a: a["gold"]["accuracy"])  # the first by name among equals
        n = lowest["gold"]["n"]
        line += f"; lowest: {lowest['name']} {lowest['gold']['accuracy']:.0%} ({n} check{'' if n == 1 else 's'})"
    return [line]


def _model_pair_lines(pairs: list[dict[str, Any]]) -> list[str]:
    if len(pairs) < 2:  # a single pair is the whole dataset, already summarised above
        return []
    return _listed(
        "Model pairs (people's majority: wins A / wins B / ties; judge accuracy vs majority):",
        pairs,
        lambda pair: (
            f"{pair['model_a']} vs {pair['model_b']}: {pair['comparisons']} comparisons, "
            f"{pair['people']['wins_a']} / {pair['people']['wins_b']} / {pair['people']['ties']}"
        ),
    )
