"""The statistical defaults, declared once.

Every caller (the CLI's ``metrics``, the REST ``/metrics``, the dashboard, the evaluation pipeline,
the settings table) takes these names instead of repeating the numbers, so a change here changes
every figure the same way.
"""

from __future__ import annotations

#: Significance level of the partial order's two-sided sign tests ("A beats B" needs p < ALPHA).
ALPHA = 0.05
#: Bootstrap resamples behind Bradley-Terry intervals: enough for stable 95% percentiles, ~30 ms a ranking.
N_BOOTSTRAP = 200
#: Bootstrap resamples behind the accuracy interval (one cheap statistic: more resamples cost little).
N_BOOTSTRAP_ACCURACY = 1000
#: Confidence of every interval shown (Wilson intervals, bootstrap percentiles).
CONFIDENCE = 0.95
#: Seed of every resampling, so a report is reproducible.
SEED = 0
#: Points of the cumulative agreement-over-time series.
OVER_TIME_POINTS = 20
#: Labels that all arrived within this many seconds were imported (or written by a script) at once:
#: their times say nothing about when people labelled, so agreement is shown by label order instead.
MIN_TIME_SERIES_SPAN_S = 60.0

#: A verdict whose top two verdict probabilities (of "1", "2", "tie") lie closer together than this is
#: **uncertain**: shown and counted as its own outcome, never as a win or a tie (issue 14). Chosen from
#: the demo judge's order-to-order noise that averaging both orders leaves (median 0.072, 75th percentile
#: 0.130 over the 126 demo comparisons): a verdict counts only when its margin exceeds the typical noise.
#: docs/NOTES.md, "Uncertain verdicts" (bench/uncertain_margin.py). Only verdicts that carry
#: probabilities (constrained / forward-pass verdicts, remote logprobs) can be uncertain; 0 turns it off.
UNCERTAIN_MARGIN = 0.1

#: A model with fewer comparisons (decisive outcomes and ties) than this is listed after the ranked models as
#: "too few comparisons to rank": its Bradley-Terry strength rests on the prior more than on data (s15
#: methodologist finding 10: a model that won its only comparison topped the ranking).
MIN_RANK_COMPARISONS = 5
#: A category with fewer comparisons than this is still shown, marked "few comparisons": its interval is wide.
MIN_GROUP_COMPARISONS = 10

# ----------------------------------------------------------------- can the judge replace people (issue 12)

#: How people's labels become one label per comparison for every "people" figure: "majority" (the
#: published figures) or "dawid-skene" (annotator-quality weighted, crowd-kit).
AGGREGATION = "majority"
AGGREGATIONS = ("majority", "dawid-skene")
#: The Alternative Annotator Test's margin ε per annotator kind (Calderon et al. 2025, FAQ).
ALT_TEST_EPSILON: dict[str, float] = {"expert": 0.2, "skilled": 0.15, "crowd": 0.1}
#: The Alternative Annotator Test's FDR level (Benjamini-Yekutieli over the annotators; the paper's 0.05). Its own
#: constant, not ``--alpha``: a looser alpha widens no test of "can the judge replace people" (s15 methodologist).
ALT_TEST_FDR = 0.05
#: The kind assumed for annotators whose kind is not known (the store's default for a new annotator).
DEFAULT_ANNOTATOR_KIND = "crowd"
#: Equal-width bins of the reliability diagram (and of top-label ECE).
CALIBRATION_BINS = 10

# Thresholds behind the report card's caveats.
#: Fewer comparisons with a people label than this: every people-based figure is called tentative.
CARD_MIN_LABELLED = 100
#: Position bias is flagged when more than this share of both-order pairs change verdict with the order ...
POSITION_MAX_FLIP_RATE = 0.2
#: ... or when the first-shown response wins more than 0.5 + this share of decisive verdicts (p < ALPHA).
POSITION_MAX_FIRST_RATE_GAP = 0.1
#: Length bias is flagged when the judge picks the longer response this much more often than people do.
LENGTH_MAX_EXCESS = 0.1
#: Calibration is called poor above this expected calibration error.
CALIBRATION_MAX_ECE = 0.1

__all__ = [
    "AGGREGATION",
    "AGGREGATIONS",
    "ALPHA",
    "ALT_TEST_EPSILON",
    "ALT_TEST_FDR",
    "CALIBRATION_BINS",
    "CALIBRATION_MAX_ECE",
    "CARD_MIN_LABELLED",
    "CONFIDENCE",
    "DEFAULT_ANNOTATOR_KIND",
    "LENGTH_MAX_EXCESS",
    "MIN_GROUP_COMPARISONS",
    "MIN_RANK_COMPARISONS",
    "MIN_TIME_SERIES_SPAN_S",
    "N_BOOTSTRAP",
    "N_BOOTSTRAP_ACCURACY",
    "OVER_TIME_POINTS",
    "POSITION_MAX_FIRST_RATE_GAP",
    "POSITION_MAX_FLIP_RATE",
    "SEED",
    "UNCERTAIN_MARGIN",
]
