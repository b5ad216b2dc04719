"""Borderline differences: where the two answers to "is A better than B?" disagree (s11 researcher, 20 labels).

People's win rate of one model against another has a normal-approximation interval (ties counting half:
``ppi_py``'s CLT interval, the people-only interval the report prints); the partial order asks an exact
two-sided sign test (ties left out). Both are right, and at small samples they can disagree: the interval
leaves out 0.5 while the sign test finds no significant difference. Saying so, with the counts, the interval
and the sign test's p, keeps three figures from contradicting each other without a word. Since s15 an arrow needs
the Holm-adjusted p below alpha while the interval is the pair's own; a pair significant on its own but not after
Holm's adjustment is said as such (multiplicity), not with the advice to label more comparisons (review16).

Found once here, inside the report builder (``analysis.report._ranking``, people's ranking only), and read
from the report by the text summary, ``metrics --json`` / REST ``/metrics`` (``people.borderline``), the
report card and the Dashboard; ``borderline_lines`` is the one rule of what all of them print (``borderline_text``:
one pair's sentence; the pairs significant only before Holm's adjustment folded into one sentence).

The interval is computed from people's own win / loss / tie counts (the ones the sign test reads), unweighted:
with equal draw probabilities it is exactly the corrected section's people-only interval; a session that drew
comparisons with unequal probabilities weights that one by 1/π (a population estimate), while the sign test and
this interval both describe the labelled comparisons as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.corrected import Interval, classical_interval
from analysis.partial_order import PartialOrder, sign_test_p

RULE = (
    "a model's people-only win rate against another (the baseline where one of the two is) whose interval "
    "(normal approximation, ties counting half: win_rate ± z·standard_error, Wilson's when every comparison "
    "scored the same) leaves out 0.5 while the partial order's exact two-sided sign test (ties left out) "
    "orders the two models at no significance"
)


@dataclass(frozen=True)
class Borderline:
    """One pair the interval and the sign test answer differently: ``model``'s win rate against ``opponent``."""

    model: str
    opponent: str
    wins: int
    losses: int
    ties: int
    estimate: float
    low: float
    high: float
    sign_test_p: float  # the partial order's p of the pair: Holm-adjusted over its pair tests when ``adjusted``
    adjusted: bool = False
    # the pair's own (unadjusted) sign-test p and the pair tests Holm adjusted over; ``only_holm``: the pair is
    # significant on its own (p below alpha) and only Holm's adjustment takes the arrow away (multiplicity, not
    # the sample size: review16 finding 3)
    own_p: float | None = None
    tests: int = 0
    only_holm: bool = False


def win_rate_interval(wins: int, losses: int, ties: int, alpha: float) -> Interval:
    """The people-only interval of a win rate from its counts: the scores 1 / 0 / 0.5 handed to the same
    computation as the corrected section's people-only interval (``analysis.corrected.classical_interval``)."""
    scores = np.repeat(np.array([1.0, 0.0, 0.5]), [wins, losses, ties])
    return classical_interval(scores, alpha)


def borderline(wins: pd.DataFrame, order: PartialOrder, baseline: str | None, alpha: float) -> tuple[Borderline, ...]:
    """Every model pair of ``wins`` (``analysis.rankings.win_table``'s rows) whose people-only win rate has an
    interval without 0.5 while ``order`` (the same outcomes' partial order) has no edge between the two.

    Each pair is said from the side of its model against the baseline when one of the two is the baseline (the
    win rates the report prints), otherwise from the side with more wins; every pair is looked at, so two
    checkpoints compared without a common baseline (the Dashboard's default) are covered too."""
    ordered = {frozenset((edge.winner, edge.loser)) for edge in order.edges}
    found = []
    for row in wins.to_dict("records"):
        a, b = str(row["model_a"]), str(row["model_b"])
        wins_a, wins_b, ties = int(row["wins_a"]), int(row["wins_b"]), int(row["ties"])
        if frozenset((a, b)) in ordered:
            continue
        if a == baseline or (b != baseline and wins_b > wins_a):
            a, b, wins_a, wins_b = b, a, wins_b, wins_a
        interval = win_rate_interval(wins_a, wins_b, ties, alpha)
        if interval.estimate is None or interval.low is None or interval.high is None:
            continue
        if interval.low <= 0.5 <= interval.high:
            continue
        own = order.adjusted_p(a, b)
        alone = sign_test_p(wins_a, wins_b)
        p_value = own if own is not None else alone
        adjusted = own is not None and order.adjustment == "holm"
        found.append(
            Borderline(
                a,
                b,
                wins_a,
                wins_b,
                ties,
                interval.estimate,
                interval.low,
                interval.high,
                p_value,
                adjusted,
                own_p=alone,
                tests=order.tests,
                only_holm=adjusted and alone < alpha,
            )
        )
    return tuple(found)


def borderline_text(entry: Mapping[str, Any], name: Callable[[object], str] = str) -> str:
    """The one sentence of a borderline pair (``people.borderline``'s entry), for the text summary, the card
    and the Dashboard; ``name`` places the model names (``ui.render.inline_text`` in Markdown)."""
    ties = int(entry["ties"])
    head = (
        f"Borderline: {name(entry['model'])} vs {name(entry['opponent'])} ({entry['wins']} wins, "
        f"{entry['losses']} losses, {ties} {'tie' if ties == 1 else 'ties'}): the people-only win rate's interval "
        f"{entry['estimate']:.3f} [{entry['low']:.3f}, {entry['high']:.3f}] leaves out 0.5 (a normal approximation, "
        "ties counting half), but "
    )
    if entry.get("only_holm"):  # multiplicity, not the sample size: more labels are not what it lacks
        tests = int(entry["tests"])
        family = f"{tests} pair {'test' if tests == 1 else 'tests'}"
        return head + (
            f"the exact sign test of the partial order (ties left out) finds the difference significant on its own "
            f"(p = {entry['own_p']:.3f}), not after Holm's adjustment over {family} "
            f"(adjusted p = {entry['sign_test_p']:.3f}), so the partial order draws no arrow between them."
        )
    return head + (
        f"the exact sign test of the partial order (ties left out) finds no significant "
        f"difference ({'Holm-adjusted ' if entry.get('adjusted') else ''}p = {entry['sign_test_p']:.3f}): label more "
        "comparisons before calling it."
    )


FOLD_LIST = 5  # more pairs "significant only before Holm" than this: one line per pair under the folded sentence


def borderline_lines(
    entries: Sequence[Mapping[str, Any]], name: Callable[[object], str] = str, *, table: bool = False
) -> list[str]:
    """The borderline pairs (``people.borderline``) as the text summary, the card and the Dashboard print them:
    one sentence a pair (``borderline_text``), except that the pairs significant on their own but not after
    Holm's adjustment are folded into one sentence naming them (the demo printed ten near-identical lines:
    s16 campaign, finding 8), followed, when more than ``FOLD_LIST``, by one line a pair (a bulleted list, or a
    Markdown table with ``table``). ``name`` places the model names (``ui.render.inline_text`` in Markdown)."""
    holm = [entry for entry in entries if entry.get("only_holm")]
    if len(holm) < 2:
        return [borderline_text(entry, name) for entry in entries]
    lines = [borderline_text(entry, name) for entry in entries if not entry.get("only_holm")]
    families: dict[int, list[Mapping[str, Any]]] = {}
    for entry in holm:  # one report has one family of pair tests; grouped all the same
        families.setdefault(int(entry["tests"]), []).append(entry)
    for tests, pairs in families.items():
        lines += _holm_lines(pairs, tests, name, table)
    return lines


def _pair(entry: Mapping[str, Any], name: Callable[[object], str]) -> str:
    return f"{name(entry['model'])} vs {name(entry['opponent'])}"


def _holm_lines(
    pairs: Sequence[Mapping[str, Any]], tests: int, name: Callable[[object], str], table: bool
) -> list[str]:
    """ "Borderline: 4 pairs are significant on their own ... over 10 pair tests ...: A vs B (p = 0.030, adjusted
    p = 0.210), ...", with one line a pair below it when there are more than ``FOLD_LIST``."""
    head = (
        f"Borderline: {len(pairs)} pairs are significant on their own but not after Holm's adjustment over {tests} "
        f"pair {'test' if tests == 1 else 'tests'} (the exact sign test of the partial order, ties left out), so the "
        "partial order draws no arrow between them, although each pair's people-only win-rate interval leaves out "
        "0.5 (a normal approximation, ties counting half)"
    )
    if len(pairs) <= FOLD_LIST:
        named = "; ".join(
            f"{_pair(e, name)} (p = {e['own_p']:.3f}, adjusted p = {e['sign_test_p']:.3f})" for e in pairs
        )
        return [f"{head}: {named}."]

    def counts(e: Mapping[str, Any]) -> str:
        return f"{e['wins']}-{e['losses']}-{e['ties']}"

    def rate(e: Mapping[str, Any]) -> str:
        return f"{e['estimate']:.3f} [{e['low']:.3f}, {e['high']:.3f}]"

    if table:
        rows = ["| pair | wins-losses-ties | win rate | p on its own | Holm-adjusted p |", "|---|---|---|---|---|"]
        rows += [
            f"| {_pair(e, name)} | {counts(e)} | {rate(e)} | {e['own_p']:.3f} | {e['sign_test_p']:.3f} |" for e in pairs
        ]
        return [f"{head}:", "\n".join(rows)]
    return [
        f"{head}:",
        *(
            f"- {_pair(e, name)}: {counts(e)} (wins-losses-ties), win rate {rate(e)}, p = {e['own_p']:.3f}, "
            f"adjusted p = {e['sign_test_p']:.3f}"
            for e in pairs
        ),
    ]
