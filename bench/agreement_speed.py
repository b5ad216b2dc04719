"""How fast are the agreement statistics on a million human labels?

Builds 1,000,000 synthetic labels (200,000 comparisons x 5 annotators, seeded numpy, labels that
mostly follow a hidden "true" verdict so the statistics are not degenerate) plus one judge verdict
per comparison, then times human_judge_agreement, krippendorff_alpha, fleiss_kappa and
pairwise_cohen_kappa: one warm-up call each, then the median of 3 timed calls. Prints a table and
the total; exits 1 when the total exceeds the budget (2 s by default, the dashboard's target).
Also times, outside that budget, the per-label breakdowns of the metrics report:
agreement_over_time (labels carry shuffled timestamps) and annotator_agreement (each annotator
against the others' majority and against the judge).

    python bench/agreement_speed.py [--comparisons 200000] [--annotators 5] [--budget 2.0] [--seed 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from analysis import (
    LABELS,
    agreement_over_time,
    annotator_agreement,
    fleiss_kappa,
    human_judge_agreement,
    krippendorff_alpha,
    pairwise_cohen_kappa,
)


def synthetic(n_comparisons: int, n_annotators: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(labels, verdicts): every annotator labels every comparison; 80% follow the truth, 20% random."""
    rng = np.random.default_rng(seed)
    labels_array = np.array(LABELS, dtype=object)
    truth = rng.choice(3, size=n_comparisons, p=[0.42, 0.47, 0.11])

    def noisy(agreement: float, size: int, base: np.ndarray) -> np.ndarray:
        return np.where(rng.random(size) < agreement, base, rng.integers(0, 3, size))

    n_labels = n_comparisons * n_annotators
    arrival = np.random.default_rng(seed + 1).permutation(n_labels)  # own generator: labels and verdicts unchanged
    labels = pd.DataFrame(
        {
            "comparison_id": np.repeat(np.arange(n_comparisons, dtype=np.int64), n_annotators),
            "annotator": pd.Series([f"annotator{i}" for i in range(n_annotators)] * n_comparisons),
            "verdict": labels_array[noisy(0.8, n_labels, np.repeat(truth, n_annotators))],
            "updated_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(arrival, unit="s"),
        }
    )
    parsed = rng.random(n_comparisons) < 0.97
    verdicts = pd.DataFrame(
        {
            "comparison_id": np.arange(n_comparisons, dtype=np.int64),
            "verdict": np.where(parsed, labels_array[noisy(0.7, n_comparisons, truth)], None),
            "status": np.where(parsed, "ok", "unparsed"),
        }
    )
    return labels, verdicts


def median_seconds(call: Callable[[], Any], repeats: int = 3) -> tuple[float, Any]:
    result = call()  # warm-up (imports, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comparisons", type=int, default=200_000)
    parser.add_argument("--annotators", type=int, default=5)
    parser.add_argument("--budget", type=float, default=2.0, help="seconds allowed for the four calls together")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    labels, verdicts = synthetic(args.comparisons, args.annotators, args.seed)
    print(f"{len(labels):,} labels on {args.comparisons:,} comparisons x {args.annotators} annotators")
    calls: dict[str, Callable[[], Any]] = {
        "human_judge_agreement": lambda: human_judge_agreement(labels, verdicts).accuracy,
        "krippendorff_alpha": lambda: krippendorff_alpha(labels),
        "fleiss_kappa": lambda: fleiss_kappa(labels),
        "pairwise_cohen_kappa": lambda: float(np.nanmean(pairwise_cohen_kappa(labels).to_numpy())),
    }
    total = 0.0
    print(f"{'function':<24} {'median s':>9}  result")
    for name, call in calls.items():
        seconds, result = median_seconds(call)
        total += seconds
        print(f"{name:<24} {seconds:>9.3f}  {result:.4f}")
    print(f"{'total':<24} {total:>9.3f}  (budget {args.budget:.1f} s)")
    breakdowns: dict[str, Callable[[], Any]] = {
        "agreement_over_time": lambda: float(agreement_over_time(labels, verdicts)["accuracy"].iloc[-1]),
        "annotator_agreement": lambda: float(annotator_agreement(labels, verdicts)["with_others"].mean()),
    }
    print("not in the budget:")
    for name, call in breakdowns.items():
        seconds, result = median_seconds(call)
        print(f"{name:<24} {seconds:>9.3f}  {result:.4f}")
    if total > args.budget:
        print(f"FAIL: {total:.3f} s exceeds the {args.budget:.1f} s budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
