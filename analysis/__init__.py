"""Pure statistics over plain rows and DataFrames: agreement, inter-annotator, bias, ratings, rankings,
partial order, bootstrap. Imports nothing of Judge Studio's own (import-linter checks it), so every
figure can be recomputed from an export without a database or a model."""

from analysis.statistics import (
    Agreement,
    PartialOrder,
    agreement_over_time,
    annotator_agreement,
    human_judge_agreement,
    majority_labels,
    model_levels,
    partial_order,
    win_table,
)

__all__ = [
    "Agreement",
    "PartialOrder",
    "agreement_over_time",
    "annotator_agreement",
    "human_judge_agreement",
    "majority_labels",
    "model_levels",
    "partial_order",
    "win_table",
]
