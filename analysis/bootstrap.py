"""Percentile-bootstrap intervals for one statistic of one sample (SciPy's scipy.stats.bootstrap)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.defaults import CONFIDENCE, SEED


@dataclass(frozen=True)
class BootstrapCI:
    estimate: float  # the statistic on the data as given
    ci_low: float
    ci_high: float
    n: int  # number of values


def bootstrap_ci(
    values: npt.ArrayLike,
    statistic: Callable[..., Any],
    n: int = 1000,
    seed: int = SEED,
    alpha: float = 1 - CONFIDENCE,
) -> BootstrapCI | None:
    """Percentile-bootstrap (1 - alpha) interval for a statistic of one sample of values.

    For headline figures, e.g. accuracy: ``bootstrap_ci(human == judge, np.mean)``. SciPy's
    scipy.stats.bootstrap does the resampling (method="percentile", ``n`` resamples, a numpy
    Generator seeded with ``seed``, so the interval is reproducible); resamples are drawn in batches
    so that a large sample never needs n x len(values) numbers in memory at once. ``statistic``
    takes a 1-D array (and, if it accepts ``axis``, is called vectorised). NaN values are dropped.

    None where the bootstrap has nothing to say: a sample of fewer than two values, a sample whose
    values are all equal, or any sample on which every resample gives the same statistic. A
    zero-width interval there would read as certainty, when it only means that resampling a sample
    without spread cannot vary (2 agreements out of 2 give [1, 1]); callers show another interval
    (``analysis.agreement.accuracy_interval`` falls back to Wilson's) or none.
    """
    from scipy import stats  # here, not at the top: SciPy takes a second to load

    data = np.asarray(values)
    if data.ndim != 1:
        data = data.ravel()
    if data.dtype.kind in "fc":
        data = data[~np.isnan(data)]
    if data.size < 2 or n < 1 or bool((data == data[0]).all()):  # no spread to resample
        return None
    batch = max(1, min(n, 5_000_000 // data.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate samples (all values equal) warn but are fine
        result = stats.bootstrap(
            (data,),
            statistic,
            n_resamples=n,
            batch=batch,
            confidence_level=1 - alpha,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    if np.ptp(result.bootstrap_distribution) == 0:  # every resample gave the same value
        return None
    interval = result.confidence_interval
    return BootstrapCI(float(statistic(data)), float(interval.low), float(interval.high), int(data.size))
