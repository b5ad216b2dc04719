"""Former home of every statistic, now split into modules named for what they hold (see
``analysis/__init__.py``). Kept only so that old imports (``from analysis.statistics import ...``)
still work; import from ``analysis`` instead. Remove once nothing imports it."""

from analysis.agreement import (
    Agreement,
    MTBenchAgreement,
    agreement_over_time,
    classification_report,
    human_judge_agreement,
    mtbench_agreement,
)
from analysis.bias import LengthBias, SwapConsistency, length_bias, swap_consistency
from analysis.bootstrap import BootstrapCI, bootstrap_ci
from analysis.inter_annotator import (
    annotator_agreement,
    fleiss_kappa,
    krippendorff_alpha,
    others_majority,
    pairwise_cohen_kappa,
)
from analysis.partial_order import Edge, PartialOrder, model_levels, partial_order
from analysis.rankings import bradley_terry, win_rate, win_table
from analysis.ratings import rating_correlations
from analysis.verdicts import DECISIVE, LABELS, combine_orders, majority_labels

__all__ = [
    "DECISIVE",
    "LABELS",
    "Agreement",
    "BootstrapCI",
    "Edge",
    "LengthBias",
    "MTBenchAgreement",
    "PartialOrder",
    "SwapConsistency",
    "agreement_over_time",
    "annotator_agreement",
    "bootstrap_ci",
    "bradley_terry",
    "classification_report",
    "combine_orders",
    "fleiss_kappa",
    "human_judge_agreement",
    "krippendorff_alpha",
    "length_bias",
    "majority_labels",
    "mtbench_agreement",
    "model_levels",
    "others_majority",
    "partial_order",
    "pairwise_cohen_kappa",
    "rating_correlations",
    "swap_consistency",
    "win_rate",
    "win_table",
]
