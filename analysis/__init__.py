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

``wording`` (counts in words) is plain text for the importers and the CLI.

The names below load on first use (PEP 562, ``analysis.lazy``), so ``from analysis.defaults import ALPHA`` (the settings
table, every ``--help``) and ``analysis.wording`` (the CLI) do not import pandas and numpy with every module
here; scikit-learn, SciPy, statsmodels, networkx, krippendorff, crowdkit and ppi_py are imported inside the
functions that use them (``tests/test_house_rules.py``), so even a module loaded here loads none of them.
An eager ``__init__`` would name the same functions but cost every ``--help`` pandas (``tests/test_cli.py``).
``_Package`` keeps the three names that are also submodules' names (``partial_order``, ``alt_test``,
``judge_vs_people``) the functions once the submodule is imported (``tests/test_s15_lazy_analysis.py``).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from analysis.lazy import LazyNames

if TYPE_CHECKING:
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

#: Each public name: (its module, its name there).
_HOMES: dict[str, tuple[str, str]] = {
    "Aggregation": ("analysis.aggregation", "Aggregation"),
    "AggregationComparison": ("analysis.aggregation", "AggregationComparison"),
    "aggregate": ("analysis.aggregation", "aggregate"),
    "compare_aggregations": ("analysis.aggregation", "compare_aggregations"),
    "Agreement": ("analysis.agreement", "Agreement"),
    "MTBenchAgreement": ("analysis.agreement", "MTBenchAgreement"),
    "agreement_over_time": ("analysis.agreement", "agreement_over_time"),
    "classification_report": ("analysis.agreement", "classification_report"),
    "human_judge_agreement": ("analysis.agreement", "human_judge_agreement"),
    "mtbench_agreement": ("analysis.agreement", "mtbench_agreement"),
    "spans_real_time": ("analysis.agreement", "spans_real_time"),
    "AltTestResult": ("analysis.alt_test", "AltTestResult"),
    "alt_test": ("analysis.alt_test", "alt_test"),
    "alt_test_by_kind": ("analysis.alt_test", "alt_test_by_kind"),
    "Bias": ("analysis.bias", "Bias"),
    "LengthBias": ("analysis.bias", "LengthBias"),
    "SwapConsistency": ("analysis.bias", "SwapConsistency"),
    "length_bias": ("analysis.bias", "length_bias"),
    "swap_consistency": ("analysis.bias", "swap_consistency"),
    "BootstrapCI": ("analysis.bootstrap", "BootstrapCI"),
    "bootstrap_ci": ("analysis.bootstrap", "bootstrap_ci"),
    "Calibration": ("analysis.calibration", "Calibration"),
    "CalibrationReport": ("analysis.calibration", "CalibrationReport"),
    "calibration_report": ("analysis.calibration", "calibration_report"),
    "CorrectedBradleyTerry": ("analysis.corrected", "CorrectedBradleyTerry"),
    "CorrectedWinRate": ("analysis.corrected", "CorrectedWinRate"),
    "pairwise_win_rates": ("analysis.corrected", "pairwise_win_rates"),
    "win_rates_against": ("analysis.corrected", "win_rates_against"),
    "win_rates_overall": ("analysis.corrected", "win_rates_overall"),
    "corrected_bradley_terry": ("analysis.corrected", "bradley_terry"),
    "CorrectedRating": ("analysis.corrected_ratings", "CorrectedRating"),
    "CorrectedRatings": ("analysis.corrected_ratings", "CorrectedRatings"),
    "corrected_ratings": ("analysis.corrected_ratings", "corrected_ratings"),
    "AGGREGATION": ("analysis.defaults", "AGGREGATION"),
    "AGGREGATIONS": ("analysis.defaults", "AGGREGATIONS"),
    "ALPHA": ("analysis.defaults", "ALPHA"),
    "ALT_TEST_EPSILON": ("analysis.defaults", "ALT_TEST_EPSILON"),
    "CONFIDENCE": ("analysis.defaults", "CONFIDENCE"),
    "N_BOOTSTRAP": ("analysis.defaults", "N_BOOTSTRAP"),
    "InterAnnotator": ("analysis.inter_annotator", "InterAnnotator"),
    "annotator_agreement": ("analysis.inter_annotator", "annotator_agreement"),
    "fleiss_kappa": ("analysis.inter_annotator", "fleiss_kappa"),
    "krippendorff_alpha": ("analysis.inter_annotator", "krippendorff_alpha"),
    "others_majority": ("analysis.inter_annotator", "others_majority"),
    "pairwise_cohen_kappa": ("analysis.inter_annotator", "pairwise_cohen_kappa"),
    "CorrectedEstimates": ("analysis.judge_vs_people", "CorrectedEstimates"),
    "JudgeVsPeople": ("analysis.judge_vs_people", "JudgeVsPeople"),
    "judge_vs_people": ("analysis.judge_vs_people", "judge_vs_people"),
    "BOTH": ("analysis.partial_order", "BOTH"),
    "ONLY": ("analysis.partial_order", "ONLY"),
    "OPPOSITE": ("analysis.partial_order", "OPPOSITE"),
    "Edge": ("analysis.partial_order", "Edge"),
    "PartialOrder": ("analysis.partial_order", "PartialOrder"),
    "model_levels": ("analysis.partial_order", "model_levels"),
    "partial_order": ("analysis.partial_order", "partial_order"),
    "bradley_terry": ("analysis.rankings", "bradley_terry"),
    "win_rate": ("analysis.rankings", "win_rate"),
    "win_table": ("analysis.rankings", "win_table"),
    "RatingSummary": ("analysis.ratings", "RatingSummary"),
    "rating_correlations": ("analysis.ratings", "rating_correlations"),
    "JudgeRun": ("analysis.report", "JudgeRun"),
    "Report": ("analysis.report", "Report"),
    "ReportInputs": ("analysis.report", "ReportInputs"),
    "ReportOptions": ("analysis.report", "ReportOptions"),
    "build_report": ("analysis.report", "build_report"),
    "judge_report_card": ("analysis.report_card", "judge_report_card"),
    "report_dict": ("analysis.report_json", "report_dict"),
    "format_report": ("analysis.report_text", "format_report"),
    "DECISIVE": ("analysis.verdicts", "DECISIVE"),
    "LABELS": ("analysis.verdicts", "LABELS"),
    "combine_orders": ("analysis.verdicts", "combine_orders"),
    "majority_labels": ("analysis.verdicts", "majority_labels"),
    "verdict_that_counts": ("analysis.verdicts", "verdict_that_counts"),
}


class _Package(types.ModuleType):
    """This package, which keeps a public name that is also its module's (``partial_order``, ``alt_test``,
    ``judge_vs_people``): importing such a submodule binds the module to that name here, and ``__getattr__``
    (PEP 562) is only asked for names that are missing, so ``from analysis import partial_order`` would
    give the module, not the function, once anything had imported ``analysis.partial_order``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _HOMES.get(name, ("",))[0] == f"{__name__}.{name}":
            return  # the submodule stays in sys.modules; the name stays the function, loaded on first use
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
_LAZY = LazyNames(__name__, _HOMES)  # ``analysis.lazy``: the one loader, orchestration's too
__getattr__ = _LAZY.load
__dir__ = _LAZY.names


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
