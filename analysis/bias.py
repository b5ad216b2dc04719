"""Biases of a judge and of people: position (swap consistency, first-position preference) and
length (AlpacaEval's check), each with an exact binomial test against 0.5 (SciPy)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy.stats import binomtest

from analysis.defaults import UNCERTAIN_MARGIN
from analysis.verdicts import DECISIVE, UNCERTAIN, orders_side_by_side, parsed_orders, with_outcomes

ONE_ORDER = "not measured: judged in one presentation order only (judge both orders to measure position bias)"
AVERAGED = (
    "not measured: the judge averaged both orders into one verdict, so there are no separate per-order "
    "verdicts to compare (judge each order on its own to measure position bias)"
)


@dataclass(frozen=True)
class SwapConsistency:
    """How far a judge's verdicts survive swapping the two responses."""

    n_pairs: int  # comparisons with a parsed verdict in both presentation orders
    consistency: float | None  # share of those with the same canonical verdict in both orders
    n_decisive: int  # parsed "1"/"2" verdicts (either order, all comparisons)
    first_position_rate: float | None  # share of those favouring the response shown first (0.5 = no bias)
    first_position_p_value: float | None  # exact two-sided binomial test of that share against 0.5
    # why nothing was measured (None when measured): one presentation order only, or a judge that
    # averaged both orders into one verdict (comparing that verdict with itself would give 1.0 / 0.5)
    not_measured: str | None = None
    # per-order verdicts left out as uncertain (top two probabilities closer than the margin): they are
    # neither consistent nor inconsistent, and favour no position
    n_uncertain: int = 0

    @property
    def measured(self) -> bool:
        return self.not_measured is None


def swap_consistency(
    verdicts_both_orders: pd.DataFrame, *, averaged_orders: bool = False, margin: float = UNCERTAIN_MARGIN
) -> SwapConsistency:
    """Position consistency and first-position preference from verdicts in both presentation orders.

    Input columns: comparison_id, swapped (bool: response 2 was shown first), verdict, already mapped
    back to the canonical order (so "1" always means the canonical response 1), optional status.
    Unparsed verdicts are ignored; the latest verdict per (comparison, order) counts. Verdicts that
    are uncertain at ``margin`` (``analysis.verdicts.with_outcomes``) are left out too and counted in
    ``n_uncertain``.

    * consistency (as in MT-Bench / PandaLM): over comparisons with a parsed verdict in both orders,
      the share whose canonical verdicts are equal (tie/tie counts as consistent).
    * first-position rate: over every parsed decisive verdict, the share that favours whichever
      response was shown first ("1" when not swapped, "2" when swapped); SciPy's binomtest gives the
      p-value against 0.5.

    Both need the two orders' OWN verdicts. With no swapped-order verdict at all, or with
    ``averaged_orders`` (the judge averaged its probabilities over both orders, so each stored
    verdict already mixes the two), nothing is measured: every figure is None and ``not_measured``
    says why.
    """
    if averaged_orders:
        return SwapConsistency(0, None, 0, None, None, not_measured=AVERAGED)
    applied = with_outcomes(verdicts_both_orders, margin)
    voted = parsed_orders(applied, ("ok", UNCERTAIN))
    parsed = voted[voted["status"] == "ok"]
    n_uncertain = int((voted["status"] == UNCERTAIN).sum())
    if not _has_swapped(verdicts_both_orders):
        return SwapConsistency(0, None, 0, None, None, not_measured=ONE_ORDER, n_uncertain=n_uncertain)
    pairs = orders_side_by_side(parsed)
    consistency = float((pairs["verdict_original"] == pairs["verdict_swapped"]).mean()) if len(pairs) else None
    decisive = parsed[parsed["verdict"].isin(DECISIVE)]
    first_shown = (decisive["verdict"] == "1") != decisive["swapped"]
    n_decisive, n_first = len(decisive), int(first_shown.sum())
    rate = n_first / n_decisive if n_decisive else None
    p_value = float(binomtest(n_first, n_decisive, 0.5).pvalue) if n_decisive else None
    return SwapConsistency(len(pairs), consistency, n_decisive, rate, p_value, n_uncertain=n_uncertain)


def _has_swapped(verdicts: pd.DataFrame) -> bool:
    return "swapped" in verdicts.columns and bool(verdicts["swapped"].astype(bool).any())


@dataclass(frozen=True)
class LengthBias:
    """Does the judge prefer the longer response? (AlpacaEval's length-bias check)."""

    n: int  # decisive verdicts on responses of different lengths
    longer_rate: float | None  # share of those that prefer the longer response (0.5 = no bias)
    p_value: float | None  # exact two-sided binomial test against 0.5 (SciPy binomtest)
    n_uncertain: int = 0  # uncertain verdicts (outcome "uncertain"), left out: they prefer neither response


def length_bias(rows: pd.DataFrame) -> LengthBias:
    """Share of decisive verdicts ("1"/"2") that prefer the longer response; equal lengths ignored.

    Input columns: len1, len2 (any length measure: characters, tokens), verdict. Ties and unparsed
    verdicts carry no preference and are left out, as are pairs of equal length. Rows whose status
    (or verdict) is "uncertain" are counted in ``n_uncertain``.
    """
    if rows.empty:
        return LengthBias(0, None, None)
    marked = rows["status"] if "status" in rows.columns else rows["verdict"]
    n_uncertain = int((marked == UNCERTAIN).sum())
    data = rows[rows["verdict"].isin(DECISIVE) & rows["len1"].notna() & rows["len2"].notna()]
    data = data[data["len1"] != data["len2"]]
    n = len(data)
    if n == 0:
        return LengthBias(0, None, None, n_uncertain)
    longer = int(((data["verdict"] == "1") == (data["len1"] > data["len2"])).sum())
    return LengthBias(n, longer / n, float(binomtest(longer, n, 0.5).pvalue), n_uncertain)


@dataclass(frozen=True)
class Bias:
    """Position and length preference of one source (a judge run or people), as the dashboard shows it.

    Position: the share of decisive answers ("1"/"2") that chose the response shown first (judge) or
    on the left (people), 0.5 meaning no preference, with an exact two-sided binomial p-value. Swap
    consistency only exists for a judge run with its own verdicts in both presentation orders;
    ``note`` says why position was not measured, when it was not.
    """

    source: str
    n_decisive: int
    first_position_rate: float | None
    first_position_p_value: float | None
    swap_pairs: int
    swap_consistency: float | None
    length: LengthBias
    note: str | None = None
    n_uncertain: int = 0  # judge verdicts left out of the position figures as uncertain
    # people: decisive labels left out of the position figures because the left/right order they were
    # shown in was not recorded (imported labels, ``presented_swapped`` NULL); always 0 for a judge
    n_unknown_order: int = 0


def judge_bias(source: str, swap: SwapConsistency, length: LengthBias) -> Bias:
    """A judge run's Bias from its swap consistency and length bias."""
    return Bias(
        source,
        swap.n_decisive,
        swap.first_position_rate,
        swap.first_position_p_value,
        swap.n_pairs,
        swap.consistency,
        length,
        swap.not_measured,
        swap.n_uncertain,
    )


def people_bias(source: str, details: pd.DataFrame, length: LengthBias) -> Bias:
    """People's left-position preference over the decisive labels whose left/right order was recorded
    (``presented_swapped``: True, response 2 on the left; False, response 1 on the left).

    A label with no recorded order (``presented_swapped`` missing: imported labels, or saved by a
    script without one) cannot say which side was chosen: counting it as shown in canonical order
    would turn every imported "1" into "chose the left one". Such labels are left out and counted in
    ``n_unknown_order``. ``details``: label rows with verdict, skipped, presented_swapped
    (``Store.label_details``).
    """
    if details.empty:
        return Bias(source, 0, None, None, 0, None, length)
    decisive = details[details["verdict"].isin(DECISIVE) & ~details["skipped"].astype(bool)]
    known = decisive["presented_swapped"].notna()
    shown = decisive[known]
    chose_left = (shown["verdict"] == "1") != shown["presented_swapped"].astype(bool)
    n, left = len(shown), int(chose_left.sum())
    rate = left / n if n else None
    p_value = float(binomtest(left, n, 0.5).pvalue) if n else None
    return Bias(source, n, rate, p_value, 0, None, length, n_unknown_order=int((~known).sum()))
