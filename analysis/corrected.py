"""Win rates and Bradley-Terry strengths three ways: people only, judge only, and judge + people
corrected with prediction-powered inference.

The judge gives a verdict on every comparison; people label a subset. "Judge only" (naive) treats
the judge's verdicts as truth: tight intervals, but biased by every systematic error the judge has.
"People only" (classical) is unbiased but wide. Prediction-powered inference (Angelopoulos, Bates,
Fannjiang, Jordan & Zrnic, Science 2023) uses the judge on the items nobody labelled and measures
its error on the items people did label (the *rectifier*), which removes the bias and keeps
intervals valid whatever the judge's quality; PPI++ (Angelopoulos, Duchi & Zrnic 2023) scales the
judge's part by a power-tuning factor λ in [0, 1] chosen from the data, so the corrected interval
is never (asymptotically) wider than the people-only one: λ = 0 is people only, λ = 1 plain PPI.
All three intervals come from ``ppi_py`` (``classical_mean_ci``, ``ppi_mean_ci``,
``ppi_logistic_ci``); the only formula written here is λ for the mean (the PPI++ closed form, the
same as ``ppi_py``'s internal one; a test checks they agree), because ``ppi_py`` does not return λ
and the report shows it.

The labelled and unlabelled sets are disjoint, as ``ppi_py`` assumes (two independent samples):
labelled = comparisons with a people label, unlabelled = the dataset's other comparisons (of the
model or pair). The judge's prediction is its verdict, or a fixed stand-in where it gave none
(unparsed, or never judged): half a win for win rates (``NO_VERDICT_PREDICTION``), the tie coin
below for Bradley-Terry. Prediction-powered intervals are valid for any fixed predictor, so this
keeps every people label in the estimate (λ tuning gives the stand-ins the little weight they
deserve). With every comparison labelled the unlabelled set is empty and the corrected estimate
*is* the people-only one (the λ -> 0 limit of PPI++).

Unequal draw probabilities (a session that sends people to the judge's uncertain items first):
``comparisons.draw_probability`` π_i is the probability that comparison i was drawn for people.
Under independent (Poisson) draws the labelled items are a sample from the population tilted by π
and the unlabelled ones tilted by 1 - π, so inverse-probability weights w = 1/π (labelled) and
1/(1 - π) (unlabelled) restore both to the population (``ppi_py``'s ``w=`` / ``w_unlabeled=``,
normalised to mean 1, i.e. Hájek estimators). People-only uses the same 1/π weights.

Effective sample size: how many people labels a people-only estimate would need for an interval as
narrow as the corrected one: n_eff = n · (se_people / se_corrected)^2 over the same labelled items.

Win rates count a tie as half a win (``tie_value``). Bradley-Terry strengths are logistic-regression
coefficients (log-odds, reference model fixed at 0, no intercept); a tie is counted as a fair coin
flip, fixed per comparison by a hash of its id (the same coin for people and judge), because
``ppi_py``'s logistic fit needs 0/1 outcomes; the coin is an unbiased stand-in for "half a win".

Inputs: ``comparisons`` (comparison_id, model1, model2[, draw_probability]); ``people``
(comparison_id, verdict), one aggregated label per comparison (``analysis.aggregation``); ``judge``
(comparison_id, verdict), the last parsed verdict per comparison is used.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.bt_existence import unestimable
from analysis.defaults import ALPHA

Array = npt.NDArray[np.float64]
LABELS = ("1", "2", "tie")


@dataclass(frozen=True)
class Interval:
    estimate: float | None
    low: float | None
    high: float | None
    n: int  # observations behind it (people labels, or judge verdicts for the naive estimate)


@dataclass(frozen=True)
class CorrectedWinRate:
    """Win rate of ``model`` against ``opponent`` (ties count ``tie_value``) three ways."""

    model: str
    opponent: str
    people: Interval
    judge: Interval
    corrected: Interval
    n_labelled: int  # comparisons with a people label and a judge verdict
    n_unlabelled: int  # judged comparisons without a people label
    power: float | None  # PPI++ λ: 0 = people only, 1 = plain PPI
    effective_labels: float | None  # people labels a people-only interval would need to be this narrow


@dataclass(frozen=True)
class CorrectedStrength:
    model: str
    people: Interval
    judge: Interval
    corrected: Interval
    effective_labels: float | None


@dataclass(frozen=True)
class CorrectedBradleyTerry:
    """Bradley-Terry strengths (log-odds of beating the reference model, which is fixed at 0)."""

    reference: str
    strengths: tuple[CorrectedStrength, ...]
    n_labelled: int
    n_unlabelled: int
    problems: tuple[str, ...]


@dataclass(frozen=True)
class _Items:
    """One comparison per row: people's and the judge's outcome (NaN when missing) and π (or None)."""

    ids: npt.NDArray[np.object_]
    people: Array
    judge: Array
    draw: Array | None


def _latest(frame: pd.DataFrame) -> pd.Series:
    rows = frame[frame["verdict"].isin(LABELS)].drop_duplicates("comparison_id", keep="last")
    return rows.set_index("comparison_id")["verdict"]


def _draw_probabilities(comparisons: pd.DataFrame) -> Array | None:
    if "draw_probability" not in comparisons or comparisons["draw_probability"].isna().all():
        return None
    if comparisons["draw_probability"].isna().any():
        raise ValueError("draw_probability must be given for every comparison or for none")
    return comparisons["draw_probability"].to_numpy(dtype=float).clip(1e-6, 1 - 1e-6)


def _outcome(verdicts: pd.Series, ids: pd.Index, first_is_model: npt.NDArray[np.bool_], tie_value: float) -> Array:
    """The model's score per comparison: 1 win, 0 loss, ``tie_value`` tie, NaN without a verdict."""
    v = verdicts.reindex(ids).to_numpy(dtype=object)
    won = np.where(first_is_model, v == "1", v == "2")
    lost = np.where(first_is_model, v == "2", v == "1")
    out = np.where(won, 1.0, np.where(lost, 0.0, np.where(v == "tie", tie_value, np.nan)))
    return out.astype(float)


def _items(
    comparisons: pd.DataFrame,
    people: pd.DataFrame,
    judge: pd.DataFrame,
    model: str,
    opponent: str | None,
    tie_value: float,
) -> _Items:
    """``model``'s comparisons with ``opponent`` (None: with any other model) as outcome arrays."""
    first_model, second_model = comparisons["model1"] == model, comparisons["model2"] == model
    if opponent is None:
        chosen = first_model != second_model
    else:
        chosen = (first_model & (comparisons["model2"] == opponent)) | (
            (comparisons["model1"] == opponent) & second_model
        )
    pair = comparisons[chosen].drop_duplicates("comparison_id")
    ids = pd.Index(pair["comparison_id"])
    first = (pair["model1"] == model).to_numpy()
    return _Items(
        ids=ids.to_numpy(dtype=object),
        people=_outcome(_latest(people), ids, first, tie_value),
        judge=_outcome(_latest(judge), ids, first, tie_value),
        draw=_draw_probabilities(pair),
    )


def power_tuning(
    y: Array, yhat: Array, yhat_unlabelled: Array, w: Array | None = None, w_unlabelled: Array | None = None
) -> float:
    """PPI++ λ for a mean (Angelopoulos, Duchi & Zrnic 2023, eq. for the mean with weights):
    cov(wY, wŶ) / ((1 + n/N) · var([wŶ, w_u Ŷ_u])), clipped to [0, 1] (``ppi_py``'s rule)."""
    n, big_n = len(y), len(yhat_unlabelled)
    w = np.ones(n) if w is None else w / w.sum() * n
    w_u = np.ones(big_n) if w_unlabelled is None else w_unlabelled / w_unlabelled.sum() * big_n
    wy, wyhat = w * y, w * yhat
    covariance = float(np.mean((wy - wy.mean()) * (wyhat - wyhat.mean())))
    variance = float(np.var(np.concatenate([wyhat, w_u * yhat_unlabelled]), ddof=1))
    if variance == 0:
        return 0.0
    return float(np.clip(covariance / ((1 + n / big_n) * variance), 0.0, 1.0))


def _interval(low: float, high: float, n: int, bounds: tuple[float, float] | None = None) -> Interval:
    """Midpoint of a symmetric z-interval as the estimate; optionally all clipped to the parameter
    range (a win rate lies in [0, 1]; clipping an interval to the parameter space keeps its coverage)."""
    estimate = (low + high) / 2
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
        estimate = min(max(estimate, bounds[0]), bounds[1])
    return Interval(float(estimate), float(low), float(high), n)


NO_ESTIMATE = Interval(None, None, None, 0)

#: The judge's prediction of a win rate's outcome on a comparison where it gave no verdict (unparsed,
#: or not judged): "half a win", as a tie counts. Any fixed predictor keeps prediction-powered
#: intervals valid; leaving those comparisons out instead dropped people's labels on them (the
#: corrected estimate of a fully labelled dataset then differed from the people-only one).
NO_VERDICT_PREDICTION = 0.5


_PPI_IMPORT = threading.Lock()


def _ppi() -> ModuleType:
    """``ppi_py``, imported without its process-wide side effects.

    It calls ``warnings.simplefilter("ignore")`` on import (which would silence every warning in
    the app), so the import runs inside ``catch_warnings``. It also JIT-compiles its logistic
    helpers with numba on first use, ~25 s on two busy cores, far more than the plain-Python loops
    cost at our sizes (under a second for thousands of comparisons), so numba is imported with
    ``NUMBA_DISABLE_JIT`` set when nothing else has imported it yet (numba reads it once)."""
    with _PPI_IMPORT:  # two dashboard builds at once must not see a half-initialised module
        if "ppi_py" in sys.modules:
            return sys.modules["ppi_py"]
        disable = "numba" not in sys.modules and "NUMBA_DISABLE_JIT" not in os.environ
        if disable:
            os.environ["NUMBA_DISABLE_JIT"] = "1"
        try:
            with warnings.catch_warnings():
                import ppi_py
        finally:
            if disable:
                del os.environ["NUMBA_DISABLE_JIT"]
        return ppi_py


def _first(value: object) -> float:
    return float(np.ravel(np.asarray(value, dtype=float))[0])


def corrected_mean(
    y: Array,
    yhat: Array,
    yhat_unlabelled: Array,
    *,
    w: Array | None = None,
    w_unlabelled: Array | None = None,
    alpha: float = ALPHA,
    tuned: bool = True,
    bounds: tuple[float, float] | None = (0.0, 1.0),
) -> tuple[Interval, Interval, float | None, float | None]:
    """People-only and prediction-powered intervals for a mean over the same labelled items.

    Returns (people, corrected, λ, effective labels). ``tuned=False`` is plain PPI (λ = 1). With no
    unlabelled items the corrected interval is the people-only one (λ = 0)."""
    ppi = _ppi()
    classical_mean_ci, ppi_mean_ci = ppi.classical_mean_ci, ppi.ppi_mean_ci
    n = len(y)
    if n < 2:
        return NO_ESTIMATE, NO_ESTIMATE, None, None
    low, high = (_first(b) for b in classical_mean_ci(y, w=w, alpha=alpha))
    people = _interval(low, high, n, bounds) if np.ptp(y) > 0 or bounds is None else _constant(y, alpha, bounds)
    if len(yhat_unlabelled) == 0:
        return people, people, 0.0, float(n)
    lam = power_tuning(y, yhat, yhat_unlabelled, w, w_unlabelled) if tuned else 1.0
    bounds_ppi = ppi_mean_ci(y, yhat, yhat_unlabelled, alpha=alpha, lam=lam, w=w, w_unlabeled=w_unlabelled)
    c_low, c_high = (_first(b) for b in bounds_ppi)
    corrected = _interval(c_low, c_high, n, bounds) if c_high > c_low or bounds is None else people
    effective = float(n * ((high - low) / (c_high - c_low)) ** 2) if c_high > c_low else None
    return people, corrected, lam, effective


def _classical_mean(values: Array, w: Array | None, alpha: float) -> Interval:
    """CLT interval for a win rate from one source alone (``ppi_py.classical_mean_ci``)."""
    if len(values) < 2:
        return NO_ESTIMATE
    if np.ptp(values) == 0:
        return _constant(values, alpha)
    low, high = _ppi().classical_mean_ci(values, w=w, alpha=alpha)
    return _interval(_first(low), _first(high), len(values), (0.0, 1.0))


def classical_interval(values: Array, alpha: float = ALPHA, w: Array | None = None) -> Interval:
    """The people-only (classical) interval of a win rate from its per-comparison scores, as this module
    computes it for the corrected section: ``ppi_py``'s CLT interval (SD with ddof 0, the convention of its
    prediction-powered intervals too: so with every comparison labelled the corrected interval *is* this one),
    clipped to [0, 1], Wilson's when every score is the same. Its SE is ``analysis.rankings.win_rate``'s
    ``standard_error`` (unweighted), so the printed interval is win_rate ± z·standard_error."""
    return _classical_mean(values, w, alpha)


def _constant(values: Array, alpha: float, bounds: tuple[float, float] = (0.0, 1.0)) -> Interval:
    """A mean whose every item scored the same (a win rate of all wins, losses or ties; ratings all 4):
    the CLT interval has no width there ("0.000 [0.000, 0.000]" on 40 comparisons read as certainty), so
    the Wilson score interval of the value's share of the ``bounds`` is used and mapped back, a tie
    counting as half a success (as accuracy falls back to Wilson, ``analysis.agreement.accuracy_interval``).
    For ratings on 1-5 the share is (rating - 1) / 4: the widest a mean of values in those bounds can
    vary is when each is at a bound, so this is the Bernoulli worst case, not a narrower guess."""
    from analysis.agreement import wilson_interval

    lo, hi = bounds
    n, value = len(values), float(values[0])
    low, high = wilson_interval((value - lo) / (hi - lo) * n, n, confidence=1 - alpha)
    return Interval(value, lo + (hi - lo) * float(low), lo + (hi - lo) * float(high), n)


def _win_rate(items: _Items, model: str, opponent: str, alpha: float, tuned: bool) -> CorrectedWinRate:
    """The three win-rate estimates for one pair (see the module docstring for the weights and for
    the judge's prediction where it gave no verdict)."""
    has_people, has_judge = ~np.isnan(items.people), ~np.isnan(items.judge)
    labelled, unlabelled = has_people, ~has_people
    predicted = np.where(has_judge, items.judge, NO_VERDICT_PREDICTION)
    pi = items.draw
    w_people = None if pi is None else 1 / pi[has_people]
    w, w_u = (None, None) if pi is None else (1 / pi[labelled], 1 / (1 - pi[unlabelled]))
    _, corrected, lam, effective = corrected_mean(
        items.people[labelled],
        predicted[labelled],
        predicted[unlabelled],
        w=w,
        w_unlabelled=w_u,
        alpha=alpha,
        tuned=tuned,
    )
    people = _classical_mean(items.people[has_people], w_people, alpha)
    judge = _classical_mean(items.judge[has_judge], None, alpha)
    return CorrectedWinRate(
        model, opponent, people, judge, corrected, int(labelled.sum()), int(unlabelled.sum()), lam, effective
    )


def win_rates_against(
    comparisons: pd.DataFrame,
    people: pd.DataFrame,
    judge: pd.DataFrame,
    baseline: str,
    *,
    alpha: float = ALPHA,
    tie_value: float = 0.5,
    tuned: bool = True,
) -> tuple[CorrectedWinRate, ...]:
    """Win rate of every model that met ``baseline`` against it: people only, judge only, corrected."""
    met = comparisons[(comparisons["model1"] == baseline) | (comparisons["model2"] == baseline)]
    others = sorted((set(met["model1"]) | set(met["model2"])) - {baseline})
    return tuple(
        _win_rate(_items(comparisons, people, judge, m, baseline, tie_value), m, baseline, alpha, tuned) for m in others
    )


#: The ``opponent`` of a win rate against every other model a model met.
ANY_OPPONENT = "*"


def win_rates_overall(
    comparisons: pd.DataFrame,
    people: pd.DataFrame,
    judge: pd.DataFrame,
    *,
    alpha: float = ALPHA,
    tie_value: float = 0.5,
    tuned: bool = True,
) -> tuple[CorrectedWinRate, ...]:
    """Win rate of every model over all the comparisons it took part in (opponent ``ANY_OPPONENT``),
    three ways: the ranking a dataset without a common baseline model still has (PandaLM's test set)."""
    models = sorted(set(comparisons["model1"]) | set(comparisons["model2"]))
    return tuple(
        _win_rate(_items(comparisons, people, judge, m, None, tie_value), m, ANY_OPPONENT, alpha, tuned) for m in models
    )


def pairwise_win_rates(
    comparisons: pd.DataFrame,
    people: pd.DataFrame,
    judge: pd.DataFrame,
    *,
    alpha: float = ALPHA,
    tie_value: float = 0.5,
    tuned: bool = True,
) -> tuple[CorrectedWinRate, ...]:
    """Win rate of model_a against model_b (names sorted) for every pair that met, three ways."""
    pairs = {
        tuple(sorted((str(a), str(b))))
        for a, b in zip(comparisons["model1"], comparisons["model2"], strict=True)
        if a != b
    }
    return tuple(
        _win_rate(_items(comparisons, people, judge, a, b, tie_value), a, b, alpha, tuned) for a, b in sorted(pairs)
    )


def _coin(ids: npt.NDArray[np.object_]) -> Array:
    """A fixed fair coin per comparison (CRC32 of its id): how a tie enters a 0/1 logistic fit."""
    return np.array([zlib.crc32(str(i).encode()) & 1 for i in ids], dtype=float)


def _design(comparisons: pd.DataFrame, reference: str) -> tuple[pd.DataFrame, list[str], Array]:
    """Bradley-Terry design: +1 for model1's column, -1 for model2's, the reference column dropped."""
    rows = comparisons[comparisons["model1"] != comparisons["model2"]].drop_duplicates("comparison_id")
    models = sorted((set(rows["model1"]) | set(rows["model2"])) - {reference})
    index = {m: k for k, m in enumerate(models)}
    x = np.zeros((len(rows), len(models)))
    for r, (a, b) in enumerate(zip(rows["model1"], rows["model2"], strict=True)):
        if a in index:
            x[r, index[a]] += 1.0
        if b in index:
            x[r, index[b]] -= 1.0
    return rows, models, x


def _first_won(verdicts: pd.Series, ids: npt.NDArray[np.object_], coin: Array) -> Array:
    v = verdicts.reindex(pd.Index(ids)).to_numpy(dtype=object)
    return np.where(v == "1", 1.0, np.where(v == "2", 0.0, np.where(v == "tie", coin, np.nan)))


def _logistic_intervals(
    x: Array,
    y: Array,
    yhat: Array,
    x_u: Array,
    yhat_u: Array,
    w: Array | None,
    w_u: Array | None,
    alpha: float,
    lam: float | None,
) -> list[Interval]:
    """Per-coefficient intervals from ``ppi_py.ppi_logistic_ci`` (λ = 0: the classical sandwich
    interval, with the labelled set standing in as an unused unlabelled set)."""
    ppi = _ppi()
    with warnings.catch_warnings():  # ppi_py 0.2.3 passes penalty=None, deprecated in scikit-learn 1.8
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"sklearn\.")
        low, high = ppi.ppi_logistic_ci(x, y, yhat, x_u, yhat_u, alpha=alpha, lam=lam, w=w, w_unlabeled=w_u)
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):  # a variance came out negative
        raise np.linalg.LinAlgError("the interval is not finite")
    return [_interval(float(lo), float(hi), len(y), None) for lo, hi in zip(np.ravel(low), np.ravel(high), strict=True)]


def _classical_logistic(x: Array, y: Array, w: Array | None, alpha: float) -> list[Interval]:
    return _logistic_intervals(x, y, y, x, y, w, None, alpha, 0.0)


def _bt_problems(pairs: pd.DataFrame, y: Array, models: list[str], what: str) -> list[str]:
    """Why a Bradley-Terry fit on these comparisons (model1, model2; ``y`` 1 when model1 won) has no
    finite answer (``analysis.bt_existence``), or too few comparisons to fit at all."""
    why = unestimable(models, zip(pairs["model1"], pairs["model2"], (float(v) for v in y), strict=True))
    if why is not None:
        return [f"{what}: {why}"]
    if len(y) < 2 or np.all(y == y[0]):  # one class only: the logistic fit refuses it
        return [f"{what}: too few comparisons, or all won by the same side"]
    return []


def _fitted(
    problems: list[str], what: str, fit: Callable[[], list[Interval]], n: int
) -> tuple[list[Interval], list[str]]:
    """A fit's intervals, or blanks with the reason: the problems found before fitting, or a singular
    matrix the checks did not foresee (the one place a numerical failure becomes a note, not a 500)."""
    if problems:
        return [NO_ESTIMATE] * n, problems
    try:
        return fit(), []
    except np.linalg.LinAlgError:
        return [NO_ESTIMATE] * n, [f"{what}: the fit has no stable answer on these comparisons"]


def _bt_corrected(
    x: Array,
    y: Array,
    yhat: Array,
    labelled: npt.NDArray[np.bool_],
    unlabelled: npt.NDArray[np.bool_],
    pi: Array | None,
    alpha: float,
    tuned: bool,
) -> tuple[list[Interval], list[float | None]]:
    """PPI++ Bradley-Terry intervals and the effective number of labels per strength."""
    w = None if pi is None else 1 / pi[labelled]
    classical = _classical_logistic(x[labelled], y[labelled], w, alpha)
    if not unlabelled.any():
        return classical, [float(labelled.sum())] * len(classical)
    w_u = None if pi is None else 1 / (1 - pi[unlabelled])
    lam = None if tuned else 1.0
    corrected = _logistic_intervals(
        x[labelled], y[labelled], yhat[labelled], x[unlabelled], yhat[unlabelled], w, w_u, alpha, lam
    )
    effective: list[float | None] = []
    for c, p in zip(classical, corrected, strict=True):
        wide, narrow = (c.high or 0.0) - (c.low or 0.0), (p.high or 0.0) - (p.low or 0.0)
        effective.append(float(labelled.sum() * (wide / narrow) ** 2) if narrow > 0 else None)
    return corrected, effective


def bradley_terry(
    comparisons: pd.DataFrame,
    people: pd.DataFrame,
    judge: pd.DataFrame,
    *,
    reference: str | None = None,
    alpha: float = ALPHA,
    tuned: bool = True,
) -> CorrectedBradleyTerry:
    """Bradley-Terry strengths three ways (``ppi_py``'s logistic regression: classical on people's
    labels, classical on the judge's verdicts, PPI++ on both); ``reference`` (default: first model
    by name) is fixed at 0, and every other strength is its log-odds of beating the reference."""
    models_all = sorted(set(comparisons["model1"]) | set(comparisons["model2"]))
    reference = reference or (models_all[0] if models_all else "")
    rows, models, x = _design(comparisons, reference)
    ids = rows["comparison_id"].to_numpy(dtype=object)
    coin = _coin(ids)
    y, yhat = _first_won(_latest(people), ids, coin), _first_won(_latest(judge), ids, coin)
    has_p, has_j = ~np.isnan(y), ~np.isnan(yhat)
    labelled, unlabelled = has_p, ~has_p
    yhat_or_coin = np.where(has_j, yhat, coin)  # no verdict: the fair coin (a fixed predictor, as for win rates)
    pi = _draw_probabilities(rows)
    nodes = [reference, *models]
    people_problems = _bt_problems(rows[has_p], y[has_p], nodes, "people")
    judge_problems = _bt_problems(rows[has_j], yhat[has_j], nodes, "judge")
    w = None if pi is None else 1 / pi[has_p]
    people_fit, people_problems = _fitted(
        people_problems, "people", lambda: _classical_logistic(x[has_p], y[has_p], w, alpha), len(models)
    )
    judge_fit, judge_problems = _fitted(
        judge_problems, "judge", lambda: _classical_logistic(x[has_j], yhat[has_j], None, alpha), len(models)
    )
    corrected: list[Interval] = [NO_ESTIMATE] * len(models)
    effective: list[float | None] = [None] * len(models)
    if not _bt_problems(rows[labelled], y[labelled], nodes, ""):
        try:
            corrected, effective = _bt_corrected(x, y, yhat_or_coin, labelled, unlabelled, pi, alpha, tuned)
        except np.linalg.LinAlgError:
            people_problems = [*people_problems, "corrected: the fit has no stable answer on these comparisons"]
    problems = people_problems + judge_problems
    strengths = tuple(
        CorrectedStrength(m, p, j, c, e)
        for m, p, j, c, e in zip(models, people_fit, judge_fit, corrected, effective, strict=True)
    )
    return CorrectedBradleyTerry(reference, strengths, int(labelled.sum()), int(unlabelled.sum()), tuple(problems))
