"""Biases of a judge and of people: position (swap consistency, first-position preference) and
length (AlpacaEval's check), each with an exact binomial test against 0.5 (SciPy); and, for a judge
that judged one order only, its share of "response 1" verdicts beside people's on the same
comparisons (``response_one_share``, exact McNemar test)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.defaults import UNCERTAIN_MARGIN
from analysis.verdicts import DECISIVE, UNCERTAIN, orders_side_by_side, parsed_orders, with_outcomes

ONE_ORDER = "not measured: judged in one presentation order only (judge both orders to measure position bias)"
#: both orders were judged, but never both for one comparison: the sign test has no pair to run on (s15 reviewB, 4)
NO_PAIR_TEST = "no position test: no comparison was judged in both orders"
AVERAGED = (
    "not measured: the judge averaged both orders into one verdict, so there are no separate per-order "
    "verdicts to compare (judge each order on its own to measure position bias)"
)


def _sign_test(successes: int, trials: int) -> float:
    """The exact two-sided binomial test's p-value of ``successes`` out of ``trials`` against 0.5 (SciPy's
    ``binomtest``, imported here: SciPy takes a second to load, and the commands that never test need not)."""
    from scipy.stats import binomtest

    return float(binomtest(successes, trials, 0.5).pvalue)


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
    # both orders: the pairs whose two verdicts follow the position (s15 methodologist finding 5): first-first (the
    # response shown first won in both orders: "1" then, swapped, "2") and second-second; ``first_position_p_value``
    # is then the exact sign test of first_first against second_second, the pair-level test (one pair, one vote)
    first_first: int | None = None
    second_second: int | None = None

    @property
    def measured(self) -> bool:
        return self.not_measured is None

    @property
    def n_tested(self) -> int | None:
        """The pairs the sign test ran over (first-first + second-second), None without a pair-level test."""
        if self.first_position_p_value is None or self.first_first is None or self.second_second is None:
            return None
        return self.first_first + self.second_second

    @property
    def test(self) -> str | None:
        """The test behind ``first_position_p_value``, in words (None when nothing was tested)."""
        if self.first_position_p_value is None:
            return None
        if self.first_first is None or self.second_second is None:
            return "exact binomial test of the share against 0.5"
        return (
            f"exact sign test on the {self.first_first + self.second_second} pairs whose verdict follows the position: "
            f"{self.first_first} first-first vs {self.second_second} second-second"
        )


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
      response was shown first ("1" when not swapped, "2" when swapped). Its p-value is NOT a binomial
      over those verdicts (the two verdicts of one pair are not independent: a consistent pair always gives
      exactly one first-position win): it is the exact sign test (SciPy's binomtest against 0.5) of the
      pairs that chose the first-shown response in both orders against those that chose the second-shown
      one in both (Zheng et al. 2023's flipped pairs, split by direction; pairs with a tie in one order
      favour neither). Without any pair judged in both orders no test runs: it is None (``NO_PAIR_TEST``).

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
    original, swapped = pairs["verdict_original"], pairs["verdict_swapped"]
    first_first = int(((original == "1") & (swapped == "2")).sum())
    second_second = int(((original == "2") & (swapped == "1")).sum())
    flipped = first_first + second_second
    tested = n_decisive and len(pairs)  # no pair judged in both orders: no test (None), not 1.0 over no pairs
    p_value = (_sign_test(first_first, flipped) if flipped else 1.0) if tested else None
    return SwapConsistency(
        len(pairs),
        consistency,
        n_decisive,
        rate,
        p_value,
        n_uncertain=n_uncertain,
        first_first=first_first,
        second_second=second_second,
    )


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
    return LengthBias(n, longer / n, _sign_test(longer, n), n_uncertain)


@dataclass(frozen=True)
class PairedLength:
    """The judge's and people's share of "the longer response" on the SAME comparisons (s15 methodologist
    finding 6): those with a decisive judge verdict, a decisive people label and responses of different length.

    Comparing the judge's share over its comparisons with people's over theirs mixes which comparisons each side
    has; here both shares are taken over one set, and McNemar's exact test (as for the response-1 share) asks
    whether they differ: the two-sided binomial test of the discordant comparisons against 0.5."""

    n: int  # comparisons where both chose a side, responses of different length
    judge_rate: float | None  # the judge's share of the longer response on those comparisons
    people_rate: float | None  # people's share on the same comparisons
    difference: float | None  # judge_rate - people_rate
    judge_longer_people_shorter: int  # discordant: the judge chose the longer response, people the shorter
    judge_shorter_people_longer: int  # discordant: the other way round
    p_value: float | None  # exact McNemar test (no discordant comparison: 1.0)


def paired_length_bias(judge: pd.DataFrame, people: pd.DataFrame, lengths: pd.DataFrame) -> PairedLength:
    """``judge``: comparison_id, verdict[, status] (only "ok" decisive verdicts count); ``people``: comparison_id,
    verdict (people's label per comparison); ``lengths``: comparison_id, len1, len2."""
    status = judge["status"] if "status" in judge.columns else pd.Series("ok", index=judge.index)
    mine = judge.loc[(status == "ok") & judge["verdict"].isin(DECISIVE), ["comparison_id", "verdict"]]
    theirs = people.loc[people["verdict"].isin(DECISIVE), ["comparison_id", "verdict"]]
    both = mine.merge(theirs, on="comparison_id", suffixes=("_judge", "_people"))
    both = both.merge(lengths[["comparison_id", "len1", "len2"]], on="comparison_id")
    both = both[both["len1"].notna() & both["len2"].notna() & (both["len1"] != both["len2"])]
    n = len(both)
    if n == 0:
        return PairedLength(0, None, None, None, 0, 0, None)
    one_longer = both["len1"] > both["len2"]
    judge_longer = (both["verdict_judge"] == "1") == one_longer
    people_longer = (both["verdict_people"] == "1") == one_longer
    b, c = int((judge_longer & ~people_longer).sum()), int((~judge_longer & people_longer).sum())
    p_value = _sign_test(b, b + c) if b + c else 1.0
    judge_rate, people_rate = float(judge_longer.mean()), float(people_longer.mean())
    return PairedLength(n, judge_rate, people_rate, (b - c) / n, b, c, p_value)


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
    # a judge run in both orders: the pairs the position p-value's sign test ran over (None: a test over the
    # ``n_decisive`` answers, or none)
    n_tested: int | None = None


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
        n_tested=swap.n_tested,
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
    p_value = _sign_test(left, n) if n else None
    return Bias(source, n, rate, p_value, 0, None, length, n_unknown_order=int((~known).sum()))


#: Why the response-1 share is not measured for a run that averaged both orders into one verdict.
AVERAGED_RESPONSE_ONE = (
    "not measured: the judge averaged both orders into one verdict, so response 1 was not simply the one shown first"
)
#: How to read the response-1 share: every view of it says this (report card, dashboard, text summary).
RESPONSE_ONE_READING = (
    "A judge share above people's suggests it favours the response shown first, but this is evidence, not a swap "
    "test: response 1 may really be the better one where the judge and people disagree. Judge both orders to "
    "measure position bias."
)


@dataclass(frozen=True)
class ResponseOneShare:
    """A judge's share of "response 1" verdicts beside people's, on the same comparisons.

    Why: most runs judge in one presentation order (response 1 shown first), so swap consistency cannot
    be measured. People saw the two sides in their own random order, so their share of "1" on the same
    comparisons is the base rate of response 1 being the better one; a judge share above it is evidence
    (not proof: see ``RESPONSE_ONE_READING``) that the judge favours the response shown first.
    """

    n: int  # comparisons where the judge (original order) and people both chose "1" or "2"
    judge_rate: float | None  # the judge's share of "1" on those comparisons
    people_rate: float | None  # people's share of "1" on the same comparisons
    difference: float | None  # judge_rate - people_rate (= (judge_1_people_2 - judge_2_people_1) / n)
    judge_1_people_2: int  # discordant: the judge chose response 1, people response 2
    judge_2_people_1: int  # discordant: the judge chose response 2, people response 1
    p_value: float | None  # exact McNemar test (two-sided binomial on the discordant comparisons, 0.5)
    n_uncertain: int = 0  # comparisons people decided whose original-order judge verdict is uncertain (left out)
    not_measured: str | None = None  # why nothing was measured (an averaged-orders run), None when measured


def response_one_share(judge: pd.DataFrame, people: pd.DataFrame, *, averaged_orders: bool = False) -> ResponseOneShare:
    """The judge's share of "1" beside people's on the comparisons where both chose a side, with the
    exact McNemar test of the difference.

    ``judge``: one verdict per comparison judged in the ORIGINAL order (response 1 shown first:
    ``verdict_that_counts(order="original")``), columns comparison_id, verdict, optional status
    (only "ok" counts; "uncertain" ones are counted in ``n_uncertain``). ``people``: comparison_id,
    verdict (the people's label per comparison: majority or adjudication). Ties, unparsed and missing
    on either side are left out.

    The test: judge and people verdicts are paired per comparison, so the difference of the two shares
    is (b - c) / n with b, c the two kinds of disagreement; McNemar's exact test is the two-sided
    binomial test of b out of b + c against 0.5 (SciPy's ``binomtest``, exact at any count; the
    chi-square McNemar is poor below ~25 disagreements; statsmodels' ``mcnemar(exact=True)`` gives the
    same p-value, checked in tests). No disagreement at all: p = 1.
    """
    if averaged_orders:
        return ResponseOneShare(0, None, None, None, 0, 0, None, not_measured=AVERAGED_RESPONSE_ONE)
    status = judge["status"] if "status" in judge.columns else pd.Series("ok", index=judge.index)
    theirs = people.loc[people["verdict"].isin(DECISIVE), ["comparison_id", "verdict"]]
    n_uncertain = int(((status == UNCERTAIN) & judge["comparison_id"].isin(theirs["comparison_id"])).sum())
    mine = judge.loc[(status == "ok") & judge["verdict"].isin(DECISIVE), ["comparison_id", "verdict"]]
    both = mine.merge(theirs, on="comparison_id", suffixes=("_judge", "_people"))
    n = len(both)
    if n == 0:
        return ResponseOneShare(0, None, None, None, 0, 0, None, n_uncertain)
    judge_1, people_1 = both["verdict_judge"] == "1", both["verdict_people"] == "1"
    b, c = int((judge_1 & ~people_1).sum()), int((~judge_1 & people_1).sum())
    p_value = _sign_test(b, b + c) if b + c else 1.0
    judge_rate, people_rate = float(judge_1.mean()), float(people_1.mean())
    return ResponseOneShare(n, judge_rate, people_rate, (b - c) / n, b, c, p_value, n_uncertain)
