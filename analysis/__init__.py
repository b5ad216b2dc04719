"""Pure statistics over plain rows and DataFrames; imports nothing of Judge Studio's own (import-linter
checks it), so every figure can be recomputed from an export without a database or a model.

Modules, named for what they hold: ``verdicts`` (which verdict counts: majority labels, a run's
verdict that counts, the both-order rule), ``agreement`` (human vs judge), ``inter_annotator``,
``bias`` (position, length), ``ratings``, ``rankings`` (win tables, win rates, Bradley-Terry),
``partial_order``, ``bootstrap``, ``defaults`` (alpha, bootstrap draws), and ``report`` (the one
report builder) with its JSON (``report_json``) and text (``report_text``) views.

Can the judge replace people (issue 12): ``calibration`` (ECE, Brier, reliability bins),
``corrected`` (win rates and Bradley-Terry three ways, prediction-powered; ``corrected_ratings`` the
same for grading sessions' mean rating per model), ``alt_test`` (the
Alternative Annotator Test), ``aggregation`` (majority, Dawid-Skene, MACE), ``judge_vs_people``
(those per judge run, for the report) and ``report_card`` (the card read from the report's JSON).
"""

from analysis.aggregation import Aggregation, AggregationComparison, aggregate, compare_aggregations
from analysis.agreement import (
    Agreement,
    MTBenchAgreement,
    agreement_over_time,
    classification_report,
    human_judge_agreement,
    mtbench_agreement,
    spans_real_time,
)
from analysis.alt_test import AltTestResult, alt_test, alt_test_by_kind
from analysis.bias import Bias, LengthBias, SwapConsistency, length_bias, swap_consistency
from analysis.bootstrap import BootstrapCI, bootstrap_ci
from analysis.calibration import Calibration, CalibrationReport, calibration_report
from analysis.corrected import (
    CorrectedBradleyTerry,
    CorrectedWinRate,
    pairwise_win_rates,
    win_rates_against,
    win_rates_overall,
)
from analysis.corrected import bradley_terry as corrected_bradley_terry
from analysis.corrected_ratings import CorrectedRating, CorrectedRatings, corrected_ratings
from analysis.defaults import AGGREGATION, AGGREGATIONS, ALPHA, ALT_TEST_EPSILON, CONFIDENCE, N_BOOTSTRAP
from analysis.inter_annotator import (
    InterAnnotator,
    annotator_agreement,
    fleiss_kappa,
    krippendorff_alpha,
    others_majority,
    pairwise_cohen_kappa,
)
from analysis.judge_vs_people import CorrectedEstimates, JudgeVsPeople, judge_vs_people
from analysis.partial_order import BOTH, ONLY, OPPOSITE, Edge, PartialOrder, model_levels, partial_order
from analysis.rankings import bradley_terry, win_rate, win_table
from analysis.ratings import RatingSummary, rating_correlations
from analysis.report import JudgeRun, Report, ReportInputs, ReportOptions, build_report
from analysis.report_card import judge_report_card
from analysis.report_json import report_dict
from analysis.report_text import format_report
from analysis.verdicts import (
    DECISIVE,
    LABELS,
    combine_orders,
    majority_labels,
    verdict_that_counts,
)

__all__ = [
    "AGGREGATION",
    "AGGREGATIONS",
    "ALPHA",
    "ALT_TEST_EPSILON",
    "Aggregation",
    "AggregationComparison",
    "AltTestResult",
    "Calibration",
    "CalibrationReport",
    "CorrectedBradleyTerry",
    "CorrectedEstimates",
    "CorrectedWinRate",
    "JudgeVsPeople",
    "aggregate",
    "alt_test",
    "alt_test_by_kind",
    "calibration_report",
    "compare_aggregations",
    "corrected_bradley_terry",
    "judge_report_card",
    "judge_vs_people",
    "pairwise_win_rates",
    "win_rates_against",
    "win_rates_overall",
    "BOTH",
    "CONFIDENCE",
    "DECISIVE",
    "LABELS",
    "N_BOOTSTRAP",
    "ONLY",
    "OPPOSITE",
    "Agreement",
    "Bias",
    "BootstrapCI",
    "CorrectedRating",
    "CorrectedRatings",
    "Edge",
    "InterAnnotator",
    "JudgeRun",
    "LengthBias",
    "MTBenchAgreement",
    "PartialOrder",
    "RatingSummary",
    "Report",
    "ReportInputs",
    "ReportOptions",
    "SwapConsistency",
    "agreement_over_time",
    "annotator_agreement",
    "bootstrap_ci",
    "bradley_terry",
    "build_report",
    "classification_report",
    "combine_orders",
    "corrected_ratings",
    "fleiss_kappa",
    "format_report",
    "human_judge_agreement",
    "krippendorff_alpha",
    "length_bias",
    "majority_labels",
    "model_levels",
    "mtbench_agreement",
    "others_majority",
    "pairwise_cohen_kappa",
    "partial_order",
    "rating_correlations",
    "report_dict",
    "spans_real_time",
    "swap_consistency",
    "verdict_that_counts",
    "win_rate",
    "win_table",
]
