"""The judge report card: "can this judge replace people on this dataset?" answered from the report.

Why it reads ``report_dict``'s JSON rather than the Report object: the card, ``metrics --json`` and
REST ``/metrics`` must show the same figures, so the card copies the report's sections as they are
(alt-test, calibration, corrected estimates, biases) and adds only its reading of them: an answer
(yes / no / undecided, from the Alternative Annotator Test), a conclusion in plain words, the
caveats that apply, and the corrected and judge-only rankings side by side. The thresholds behind
the caveats are named in ``analysis.defaults`` and repeated in the card (``thresholds``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.agreement import interval_level
from analysis.defaults import (
    CALIBRATION_MAX_ECE,
    CARD_MIN_LABELLED,
    LENGTH_MAX_EXCESS,
    POSITION_MAX_FIRST_RATE_GAP,
    POSITION_MAX_FLIP_RATE,
)
from analysis.partial_order import order_scope
from analysis.report_text import (
    all_labelled,
    counted,
    has_people_labels,
    headline_interval,
    no_people_conclusion,
    not_parsed,
    not_parsed_text,
    older_report_interval_note,
)

QUESTION = "Can this judge replace people on this dataset?"
ANSWERS = {True: "yes", False: "no", None: "undecided"}
THRESHOLDS = {
    "min_labelled_comparisons": CARD_MIN_LABELLED,
    "position_max_flip_rate": POSITION_MAX_FLIP_RATE,
    "position_max_first_rate_gap": POSITION_MAX_FIRST_RATE_GAP,
    "length_max_excess": LENGTH_MAX_EXCESS,
    "calibration_max_ece": CALIBRATION_MAX_ECE,
}


def judge_report_card(report: Mapping[str, Any], run_id: int | None = None) -> dict[str, Any]:
    """The card of every judge run in ``report`` (``report_dict``'s JSON), or of run ``run_id`` only.

    Raises LookupError when ``run_id`` names no run of the report."""
    judges = [j for j in report["judges"] if run_id is None or j["run_id"] == run_id]
    if run_id is not None and not judges:
        known = ", ".join(str(j["run_id"]) for j in report["judges"]) or "none"
        raise LookupError(f"Dataset {report['dataset']!r} has no judge run {run_id} (runs: {known}).")
    settings = report["settings"]
    return {
        "question": QUESTION,
        "dataset": report["dataset"],
        "people_labels": settings["people_labels"],
        "counts": report["counts"],
        "labels_from": report.get("labels_from"),  # whose labels the people figures read (analysis.label_scope)
        # a grading-only dataset: the one line said instead of every pairwise part, and its ratings section
        "pairwise_note": report.get("pairwise_note"),
        "ratings": report.get("ratings"),
        "adjudications": report.get("adjudications"),  # people labels a reviewer settled (never inter-annotator)
        "inter_annotator": {
            "fleiss_kappa": report["inter_annotator"]["fleiss_kappa"],
            "fleiss_basis": report["inter_annotator"].get("fleiss_basis"),
            "krippendorff_alpha": report["inter_annotator"]["krippendorff_alpha"],
        },
        "aggregation": report["aggregation"],
        # people's win rates whose interval and sign test disagree (``people.borderline``; analysis.borderline)
        "borderline": report["people"].get("borderline") or [],
        "thresholds": {**THRESHOLDS, "alpha": settings["alpha"]},
        "judges": [_judge_card(judge, report) for judge in judges],
        # judge runs compared in pairs (analysis.judges_compared); a one-run card keeps the pairs with its run
        "judges_compared": _compared(report.get("judges_compared"), run_id),
    }


def _compared(section: Mapping[str, Any] | None, run_id: int | None) -> Mapping[str, Any] | None:
    """The report's ``judges_compared``, or its pairs that include run ``run_id``; None without a pair."""
    if not section:
        return None
    pairs = [
        p for p in section["pairs"] if run_id is None or run_id in (p["reference"]["run_id"], p["other"]["run_id"])
    ]
    return {**section, "pairs": pairs} if pairs else None


def primary_alt_test(judge: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The alt-test the answer rests on: everyone together when kinds were mixed, else the one kind's."""
    tests = judge["alt_test"]
    together = [t for t in tests if t["group"] == "all"]
    return together[0] if together else (tests[0] if tests else None)


def _judge_card(judge: Mapping[str, Any], report: Mapping[str, Any]) -> dict[str, Any]:
    test = primary_alt_test(judge)
    passed = test["passed"] if test is not None else None
    caveats = _caveats(judge, report, test)
    conclusion = test["conclusion"] if test is not None else no_people_conclusion(report.get("labels_from"))
    if caveats:
        conclusion += f" {len(caveats)} caveat{'s' if len(caveats) != 1 else ''} apply (below)."
    versus = judge["against_majority"]
    # the headline: a judged comparison without a decisive verdict counts as wrong (older reports: the decisive one)
    strict = judge.get("against_majority_unparsed_as_wrong") or {}
    return {
        "run_id": judge["run_id"],
        # False: no comparison has a people label; the card says so once and leaves out the empty figures
        "people_labelled": has_people_labels(report["counts"]),
        "model": judge["model"],
        "profile": judge["profile"],
        "answer": ANSWERS[passed],
        "conclusion": conclusion,
        "alt_test": judge["alt_test"],
        "agreement": {
            "people_labels": report["settings"]["people_labels"],
            "n": strict.get("n", versus["n"]),
            "accuracy": strict.get("accuracy", versus["accuracy"]),
            # its own interval; None in a report saved before s15 (never the decisive one's: review16 finding 2)
            "accuracy_ci95": headline_interval(judge),
            "interval_note": older_report_interval_note(judge),  # " (no interval in this older report)" or ""
            "no_verdict": strict.get("no_verdict", 0),  # of n, judged without a decisive verdict: counted wrong
            # the same on the decisive verdicts alone, labelled so (kappa and F1 read only these)
            "decisive": {"n": versus["n"], "accuracy": versus["accuracy"], "accuracy_ci95": versus["accuracy_ci95"]},
            "cohen_kappa": versus["cohen_kappa"],
            "macro_f1": versus["macro_f1"],
            "per_vote_accuracy": judge["per_vote"]["accuracy"],
            # every output without a verdict (unparsed, truncated, error), and each status apart
            "unparsed": sum(not_parsed(judge["verdicts"]["status"]).values()),
            "not_parsed": not_parsed(judge["verdicts"]["status"]),
            "uncertain": judge["verdicts"].get("n_uncertain", 0),
            # comparisons of the agreement above whose verdict is uncertain (the line says "(N uncertain left
            # out)" with ``analysis.report_text.uncertain_left_out``, as the CLI text and the Dashboard do)
            "uncertain_left_out": versus.get("judge_uncertain", 0),
        },
        "calibration": judge["calibration"],
        "calibration_note": judge.get("calibration_note"),
        "position_bias": judge["position_bias"],
        "response_1_share": judge["response_1_share"],
        "length_bias": {
            "judge": judge["length_bias"],
            "people": report["people"]["length_bias"],
            "paired": judge.get("length_vs_people"),  # both shares on the same comparisons, McNemar
        },
        "corrected": judge["corrected"],
        "ranking": rankings(judge["corrected"], judge.get("partial_order"), report["people"].get("partial_order")),
        "caveats": caveats,
        "checkup": checkups_of(judge["run_id"], report),
    }


def rankings(
    corrected: Mapping[str, Any] | None,
    judge_order: Mapping[str, Any] | None = None,
    people_order: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Models ordered by corrected win rate (against the baseline when there is one, else against
    every model met), with the judge-only and people-only orders beside it.

    ``judge_order`` and ``people_order`` are the report's partial orders (``order_dict``) of the judge run
    and of the people: two models are *separated* in an order when its partial order orders them or their
    win-rate intervals do not overlap (the corrected order reads the people's partial order, since the
    corrected estimate rests on their labels). ``not_separated`` lists, per order, the pairs it leaves
    unordered; ``swaps`` the pairs the judge and the corrected orders put the other way round, each with
    whether either side separates the two (a swap neither separates is not a real difference: s13 tester)."""
    if corrected is None:
        return None
    rows = corrected["against_baseline"] or corrected["against_all"]
    rated = [r for r in rows if r["corrected"]["estimate"] is not None]

    def order(source: str) -> list[str]:
        ranked = [r for r in rated if r[source]["estimate"] is not None]
        return [r["model"] for r in sorted(ranked, key=lambda r: (-r[source]["estimate"], r["model"]))]

    orders = {source: order(source) for source in ("corrected", "judge", "people")}
    graphs = {"corrected": people_order, "judge": judge_order, "people": people_order}
    by_model = {r["model"]: r for r in rated}

    def separated(source: str, a: str, b: str) -> bool:
        return _ordered(graphs[source], a, b) or _apart(by_model[a][source], by_model[b][source])

    not_separated = {
        source: [[a, b] for i, a in enumerate(ranked) for b in ranked[i + 1 :] if not separated(source, a, b)]
        for source, ranked in orders.items()
    }
    judge_rank = {m: i for i, m in enumerate(orders["judge"])}
    swaps = [
        {"judge_above": b, "corrected_above": a, "separated": separated("judge", a, b) or separated("corrected", a, b)}
        for i, a in enumerate(orders["corrected"])
        for b in orders["corrected"][i + 1 :]
        if a in judge_rank and b in judge_rank and judge_rank[b] < judge_rank[a]
    ]
    judge_ranked, corrected_ranked = orders["judge"], orders["corrected"]
    both = bool(judge_ranked and corrected_ranked)
    return {
        "against": corrected["baseline"] if corrected["against_baseline"] else None,
        **orders,
        # None when either order is missing (no labels, no parsed verdict): there is nothing to compare
        "judge_matches_corrected": judge_ranked == corrected_ranked if both else None,
        "not_separated": not_separated,
        # how each partial order's arrows were tested ("Holm-adjusted over 10 pair tests"; "" when not tested)
        "order_tests": {"judge": order_scope(judge_order), "people": order_scope(people_order)},
        "swaps": swaps,
        # the orders differ where one of them separates the two models (None: nothing to compare)
        "judge_differs_where_separated": any(s["separated"] for s in swaps) if both else None,
        "judge_outside_corrected_interval": [
            r["model"]
            for r in rated
            if r["judge"]["estimate"] is not None
            and not r["corrected"]["low"] <= r["judge"]["estimate"] <= r["corrected"]["high"]
        ],
    }


def _ordered(order: Mapping[str, Any] | None, a: str, b: str) -> bool:
    """Does the partial order put one of ``a`` and ``b`` above the other (by an edge or a path), one way only?"""
    if not order:
        return False
    below: dict[str, set[str]] = {}
    for edge in order["edges"]:
        below.setdefault(edge["winner"], set()).add(edge["loser"])

    def reaches(start: str, goal: str) -> bool:
        seen, todo = {start}, [start]
        while todo:
            for nxt in below.get(todo.pop(), ()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    return reaches(a, b) != reaches(b, a)  # both ways: a cycle, which orders nothing


def _apart(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """Do two win-rate intervals leave a gap between them? False when either has no interval."""
    bounds = (first["low"], first["high"], second["low"], second["high"])
    if any(bound is None for bound in bounds):
        return False
    return bool(first["high"] < second["low"] or second["high"] < first["low"])


def _caveats(judge: Mapping[str, Any], report: Mapping[str, Any], test: Mapping[str, Any] | None) -> list[str]:
    """The caveats that apply to this run, in plain words (thresholds from ``analysis.defaults``)."""
    notes: list[str] = []
    labelled = report["counts"]["labelled_comparisons"]
    if 0 < labelled < CARD_MIN_LABELLED:  # none at all: the card says so once, in its head (NO_PEOPLE_LABELS)
        notes.append(
            f"too few labels: {counted(labelled, 'comparison')} {'has' if labelled == 1 else 'have'} a people label "
            f"(fewer than {CARD_MIN_LABELLED}); "
            "every figure that compares with people is tentative"
        )
    if test is not None:
        notes += [f"alternative-annotator test: {problem}" for problem in test["problems"]]
    unparsed = sum(not_parsed(judge["verdicts"]["status"]).values())
    if unparsed:
        notes.append(
            f"{unparsed} of {counted(judge['verdicts']['n'], 'judge output')} "
            f"{'has' if unparsed == 1 else 'have'} no verdict "
            f"({not_parsed_text(judge['verdicts']['status'])}): counted as disagreeing in the headline accuracy and "
            "the alternative-annotator test (a comparison not judged, status error, is left out), left out of every "
            "other figure"
        )
    uncertain = judge["verdicts"].get("n_uncertain", 0)
    if uncertain:
        margin = report["settings"].get("uncertain_margin")
        notes.append(
            f"{uncertain} of {counted(judge['verdicts']['n'], 'verdict')} "
            f"{'is' if uncertain == 1 else 'are'} uncertain "
            "(the top two verdict probabilities lie "
            f"less than {margin:g} apart): counted as disagreeing in the headline accuracy and the "
            "alternative-annotator test, left out of kappa, win tables and rankings"
        )
    notes += _calibration_caveats(judge)
    notes += _position_caveats(judge["position_bias"], report["settings"]["alpha"])
    if judge["both_orders"] is None:  # one order: the response-1 share is the only position evidence
        notes += _response_one_caveats(judge["response_1_share"], report["settings"]["alpha"])
    notes += _length_caveats(judge.get("length_vs_people"), report["settings"]["alpha"])
    notes += _checkup_caveats(checkups_of(judge["run_id"], report))
    ranking = rankings(judge["corrected"])
    if ranking and ranking["judge_outside_corrected_interval"]:
        models = ", ".join(ranking["judge_outside_corrected_interval"])
        # every comparison labelled: the corrected interval is the people-only one, so name it so (s18 dashclean)
        interval = "people-only interval" if all_labelled(judge["corrected"]) else f"corrected {_level(report)}"
        notes.append(
            f"judge-only win-rate estimate of {models} lies outside the {interval} (a point estimate "
            "beside the other estimator's interval, not a test of a difference)"
        )
    return notes


def _level(report: Mapping[str, Any]) -> str:
    """ "95% CI": the level of the report's win-rate intervals (1 - alpha)."""
    settings = report["settings"]
    return interval_level(settings.get("confidence", 1 - settings["alpha"]))


def _points(gap: float) -> str:
    """A gap between two shares in percentage points ("10 percentage points"), not "10%": 62% is 12 points from
    50%, not 12% of it (s13 tester)."""
    return f"{100 * gap:g} percentage points"


def _calibration_caveats(judge: Mapping[str, Any]) -> list[str]:
    calibration = judge["calibration"]
    if calibration is None:
        return ["no probabilities: the run stored no verdict probabilities, so calibration is not measured"]
    ece = calibration["ece"]
    if ece is not None and ece > CALIBRATION_MAX_ECE:
        return [f"poorly calibrated: expected calibration error {ece:.3f} is above {CALIBRATION_MAX_ECE}"]
    return []


def _position_caveats(position: Mapping[str, Any], alpha: float) -> list[str]:
    if position["not_measured"]:
        return [f"position bias {position['not_measured']}"]
    notes = []
    consistency = position["consistency"]
    if consistency is not None and 1 - consistency > POSITION_MAX_FLIP_RATE:
        notes.append(
            f"position bias: {1 - consistency:.0%} of verdicts change when the two responses swap places "
            f"(above {POSITION_MAX_FLIP_RATE:.0%})"
        )
    rate, p_value = position["first_position_rate"], position["first_position_p_value"]
    if rate is not None and p_value is not None and abs(rate - 0.5) > POSITION_MAX_FIRST_RATE_GAP and p_value < alpha:
        notes.append(
            f"position bias: the response shown first wins {rate:.0%} of decisive verdicts "
            f"(more than {_points(POSITION_MAX_FIRST_RATE_GAP)} from 50%, p = {p_value:.2g})"
        )
    return notes


def _response_one_caveats(share: Mapping[str, Any], alpha: float) -> list[str]:
    """A one-order run whose share of "response 1" lies more than the first-rate gap from people's on
    the same comparisons, significantly (exact McNemar): possible position bias, said as evidence."""
    difference, p_value = share["difference"], share["p_value"]
    if difference is None or p_value is None or abs(difference) <= POSITION_MAX_FIRST_RATE_GAP or p_value >= alpha:
        return []
    return [
        f"possible position bias: judged in one order, the judge picks response 1 (shown first) in "
        f"{share['judge_rate']:.0%} of {share['n']} comparisons, people in {share['people_rate']:.0%} of the same "
        f"(more than {_points(POSITION_MAX_FIRST_RATE_GAP)} apart, exact McNemar p = {p_value:.2g}); evidence, not a "
        "swap test: response 1 may really be better where they disagree"
    ]


def _length_caveats(paired: Mapping[str, Any] | None, alpha: float) -> list[str]:
    """Flagged on the paired comparison only: the judge's and people's longer-response shares on the same
    comparisons more than ``LENGTH_MAX_EXCESS`` apart, and McNemar's exact test below ``alpha``."""
    if not paired or paired["judge_rate"] is None or paired["people_rate"] is None:
        return []
    mine, theirs, p_value = paired["judge_rate"], paired["people_rate"], paired["p_value"]
    if mine - theirs <= LENGTH_MAX_EXCESS or p_value is None or p_value >= alpha:
        return []
    return [
        f"length bias: on the {paired['n']} comparisons where both the judge and people chose a side, the judge "
        f"picks the longer response in {mine:.0%}, people in {theirs:.0%} (more than {_points(LENGTH_MAX_EXCESS)} "
        f"apart; exact McNemar p = {p_value:.2g})"
    ]


def checkups_of(run_id: int, report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The report's stored judge checkups that describe run ``run_id`` (the run itself, or the same
    judge checked one order at a time), as the report has them."""
    section = report.get("checkup") or {}
    return [c for c in section.get("runs", []) if run_id == c["run_id"] or run_id in c["for_run_ids"]]


def _checkup_caveats(checkups: list[Mapping[str, Any]]) -> list[str]:
    """What a checkup says against trusting the judge: verdicts that change when the two responses swap
    places, and accuracy over both orders no better than the always-first baseline's."""
    notes = []
    for item in checkups:
        mine, first = item["overall"]["judge"], item["overall"]["always_first"]
        where = f"judge checkup ({item['title']}, run {item['run_id']}, {mine['pairs']} pairs)"
        agreement, accuracy = mine["pair_agreement"], mine["accuracy"]
        if agreement is not None and 1 - agreement > POSITION_MAX_FLIP_RATE:
            notes.append(
                f"{where}: the verdict changes when the two responses swap places on {1 - agreement:.0%} of pairs "
                f"(above {POSITION_MAX_FLIP_RATE:.0%})"
            )
        if accuracy is not None and first["accuracy"] is not None and accuracy <= first["accuracy"]:
            notes.append(
                f"{where}: right in {accuracy:.0%} of its judgments in both orders, no better than always picking "
                f"the response shown first ({first['accuracy']:.0%}); right in both orders on "
                f"{mine['pair_accuracy']:.0%} of pairs"
            )
    return notes
