"""What outcomes say about the models: win / lose / tie tables, AlpacaEval win rates against a
baseline, Bradley-Terry strengths with bootstrap intervals.

Outcomes are rows (model1, model2, verdict) with verdicts in canonical order: the majority label per
comparison for people, the verdict that counts (``analysis.verdicts``) for a judge run. A judge's
uncertain verdicts come as verdict "uncertain": the win table counts them in their own column, and
no win rate, strength or order ever reads them as a win or a tie.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.bt_existence import unestimable
from analysis.defaults import MIN_RANK_COMPARISONS, N_BOOTSTRAP, SEED
from analysis.verdicts import LABELS, UNCERTAIN


def win_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Win/lose/tie counts per unordered model pair from rows (model1, model2, verdict).

    Output columns: model_a, model_b (sorted by name), wins_a, wins_b, ties, and ``uncertain`` (verdicts
    "uncertain": neither a win nor a tie) when any outcome is uncertain; so the table of people, and of
    a judge without probabilities, is exactly what it always was (read it with ``.get("uncertain", 0)``).
    """
    columns = ["model_a", "model_b", "wins_a", "wins_b", "ties"]
    rows = outcomes[outcomes["verdict"].isin([*LABELS, UNCERTAIN])]
    if bool((rows["verdict"] == UNCERTAIN).any()):
        columns.append(UNCERTAIN)
    if rows.empty:
        return pd.DataFrame(columns=columns)
    swap = rows["model1"] > rows["model2"]
    frame = pd.DataFrame(
        {
            "model_a": rows["model1"].where(~swap, rows["model2"]),
            "model_b": rows["model2"].where(~swap, rows["model1"]),
            "a_won": ((rows["verdict"] == "1") & ~swap) | ((rows["verdict"] == "2") & swap),
            "b_won": ((rows["verdict"] == "2") & ~swap) | ((rows["verdict"] == "1") & swap),
            "tie": rows["verdict"] == "tie",
            "unsure": rows["verdict"] == UNCERTAIN,
        }
    )
    table = frame.groupby(["model_a", "model_b"], as_index=False).agg(
        wins_a=("a_won", "sum"), wins_b=("b_won", "sum"), ties=("tie", "sum"), uncertain=("unsure", "sum")
    )
    return table[columns].astype(dict.fromkeys(columns[2:], int))


def win_rate(outcomes: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Each model's win rate against ``baseline``, draws counted as half a win (AlpacaEval).

    Input rows: model1, model2, verdict (either model may be the baseline, in either position;
    unparsed verdicts ignored). Output, one row per model compared with the baseline, best first:
    model, n, wins, losses, ties, win_rate = (wins + ties / 2) / n (a fraction; AlpacaEval prints
    it x 100), standard_error = standard error of the mean of per-comparison scores 1 / 0.5 / 0
    with ddof=0 (pandas' ``sem(ddof=0)``: the scores' population SD / sqrt(n); None below 2 comparisons).

    Why ddof=0 and not AlpacaEval's ddof=1: every win-rate interval the report prints is ``ppi_py``'s CLT
    interval (``classical_mean_ci``: people only and judge only, and the prediction-powered one is built on
    the same convention), which divides by n; kept as the library computes it, so the corrected interval
    equals the people-only one when every comparison is labelled. This SE is the one those intervals use:
    the people-only interval is win_rate ± z·standard_error (clipped to [0, 1]; Wilson's when every score
    is the same), not two figures 2.6% apart at n = 20 (s11 researcher). AlpacaEval's ddof=1 SE is
    standard_error · sqrt(n / (n - 1)): 0.06% larger at its 805 instructions.
    """
    columns = ["model", "n", "wins", "losses", "ties", "win_rate", "standard_error"]
    if outcomes.empty:
        return pd.DataFrame(columns=columns)
    rows = outcomes[
        outcomes["verdict"].isin(LABELS)
        & ((outcomes["model1"] == baseline) != (outcomes["model2"] == baseline))  # exactly one is the baseline
    ]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    baseline_first = rows["model1"] == baseline
    frame = pd.DataFrame(
        {
            "model": rows["model2"].where(baseline_first, rows["model1"]),
            "win": ((rows["verdict"] == "2") & baseline_first) | ((rows["verdict"] == "1") & ~baseline_first),
            "loss": ((rows["verdict"] == "1") & baseline_first) | ((rows["verdict"] == "2") & ~baseline_first),
            "tie": rows["verdict"] == "tie",
        }
    )
    frame["score"] = frame["win"] + 0.5 * frame["tie"]
    table = frame.groupby("model", as_index=False).agg(
        n=("score", "size"),
        wins=("win", "sum"),
        losses=("loss", "sum"),
        ties=("tie", "sum"),
        win_rate=("score", "mean"),
        standard_error=("score", _standard_error),
    )
    table = table.astype({"n": int, "wins": int, "losses": int, "ties": int})
    return table.sort_values(["win_rate", "model"], ascending=[False, True], ignore_index=True)[columns]


def _standard_error(scores: pd.Series) -> float:
    """pandas' standard error of the mean with ddof=0 (``sem(ddof=0)``, written out for the type checker; see
    ``win_rate``); NaN below two scores, where the report gives no interval either."""
    return float(scores.std(ddof=0)) / math.sqrt(len(scores)) if len(scores) >= 2 else float("nan")


def _fit_bradley_terry(
    pair_low: npt.NDArray[np.int64],
    pair_high: npt.NDArray[np.int64],
    wins_low: npt.NDArray[np.float64],
    wins_high: npt.NDArray[np.float64],
    n_models: int,
    prior_variance: float | None,
) -> npt.NDArray[np.float64]:
    """Strengths (replicates x models) for several data sets at once, each row its own fit.

    ``wins_low[r, p]`` / ``wins_high[r, p]``: (fractional) wins of model pair_low[p] over
    pair_high[p] and the reverse in data set r. One scikit-learn LogisticRegression fit on a
    block-diagonal sparse design (one block per data set): the objective is a sum of independent
    per-block objectives, so this equals separate fits but avoids scikit-learn's per-fit overhead
    (milliseconds each), which would dominate a 200-resample bootstrap.
    """
    from scipy import sparse  # imported here with scikit-learn's solver: only Bradley-Terry needs them
    from sklearn.linear_model import LogisticRegression

    n_sets, n_pairs = wins_low.shape
    block = np.zeros((n_pairs, n_models))
    block[np.arange(n_pairs), pair_low] = 1.0
    block[np.arange(n_pairs), pair_high] = -1.0
    one = sparse.csr_matrix(np.vstack([block, block]))  # rows: low beat high (y=1), then high beat low (y=0)
    design = sparse.kron(sparse.identity(n_sets, format="csr"), one, format="csr")
    target = np.tile(np.r_[np.ones(n_pairs), np.zeros(n_pairs)], n_sets)
    weight = np.concatenate([wins_low, wins_high], axis=1).ravel()
    model = LogisticRegression(
        C=np.inf if prior_variance is None else prior_variance, fit_intercept=False, tol=1e-8, max_iter=10_000
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning when the MLE does not exist (prior_variance=None)
        model.fit(design, target, sample_weight=weight)
    strength = model.coef_[0].reshape(n_sets, n_models)
    played = wins_low + wins_high
    present = np.zeros((n_sets, n_models), dtype=bool)
    present[:, pair_low] |= played > 0
    present[:, pair_high] |= played > 0
    strength = np.where(present, strength, np.nan)
    return strength - np.nanmean(strength, axis=1, keepdims=True)


def bradley_terry(
    outcomes: pd.DataFrame, n_bootstrap: int = N_BOOTSTRAP, seed: int = SEED, *, prior_variance: float | None = 10.0
) -> pd.DataFrame:
    """Bradley-Terry strengths with percentile-bootstrap 95% intervals.

    P(A beats B) = 1 / (1 + exp(-(strength_A - strength_B))); strengths are natural-log scale,
    centred on mean 0 (multiply by 400 / ln 10 for Elo points). A tie counts as half a win for each
    side. Fitted as a logistic regression without intercept on one row per (model pair, winner)
    weighted by its (fractional) win count, by scikit-learn's LogisticRegression, as Chatbot Arena
    computes its MLE Elo.

    The maximum-likelihood estimate does not exist when a model never loses (or never wins): its
    strength runs off to infinity. ``prior_variance`` (default 10, i.e. a Gaussian prior N(0, 10)
    on each strength; scikit-learn's L2 penalty with C = prior_variance) keeps it finite while
    barely moving estimates backed by more than a handful of comparisons. None gives the plain MLE.

    Intervals: resample the comparisons with replacement ``n_bootstrap`` times (numpy Generator
    seeded with ``seed``, so the result is deterministic), refit, take the 2.5th and 97.5th
    percentiles. A model absent from a resample is left out of that resample. Output columns:
    model, strength, ci_low, ci_high, strongest first; then ``comparisons`` (the model's outcomes) and
    ``ranked`` (False below ``MIN_RANK_COMPARISONS``: "too few comparisons to rank", listed after every ranked
    model whatever its strength, since the prior, not the data, sets it).
    """
    columns = ["model", "strength", "ci_low", "ci_high"]
    if outcomes.empty:
        return pd.DataFrame(columns=columns)
    rows = outcomes[outcomes["verdict"].isin(LABELS) & (outcomes["model1"] != outcomes["model2"])]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    n = len(rows)
    codes, models = pd.factorize(pd.concat([rows["model1"], rows["model2"]], ignore_index=True))
    first, second = codes[:n].astype(np.int64), codes[n:].astype(np.int64)
    n_models = len(models)
    low, high = np.minimum(first, second), np.maximum(first, second)
    verdict = rows["verdict"].to_numpy(dtype=object)
    first_share = np.where(verdict == "1", 1.0, np.where(verdict == "tie", 0.5, 0.0))
    low_share = np.where(first == low, first_share, 1.0 - first_share)  # lower-coded model's share of the win
    pair_index, pairs = pd.factorize(low * n_models + high)
    n_pairs = len(pairs)
    pair_low, pair_high = (pairs // n_models).astype(np.int64), (pairs % n_models).astype(np.int64)

    def wins(sample: npt.NDArray[np.int64] | None) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        index, share = (pair_index, low_share) if sample is None else (pair_index[sample], low_share[sample])
        low_wins = np.bincount(index, weights=share, minlength=n_pairs).astype(np.float64)
        high_wins = np.bincount(index, weights=1.0 - share, minlength=n_pairs).astype(np.float64)
        return low_wins, high_wins

    estimate_low, estimate_high = wins(None)
    estimate = _fit_bradley_terry(
        pair_low, pair_high, estimate_low[None, :], estimate_high[None, :], n_models, prior_variance
    )[0]
    ci_low = ci_high = np.full(n_models, np.nan)
    if n_bootstrap > 0 and bradley_terry_note(rows) is None:  # unbounded: every resample has the same edge
        rng = np.random.default_rng(seed)
        resampled = [wins(rng.integers(0, n, n)) for _ in range(n_bootstrap)]
        replicates = _fit_bradley_terry(
            pair_low,
            pair_high,
            np.array([low_wins for low_wins, _ in resampled]),
            np.array([high_wins for _, high_wins in resampled]),
            n_models,
            prior_variance,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # all-NaN column: a model absent from every resample
            ci_low, ci_high = np.nanpercentile(replicates, [2.5, 97.5], axis=0)
    table = pd.DataFrame(
        {"model": [str(m) for m in models], "strength": estimate, "ci_low": ci_low, "ci_high": ci_high}
    )
    table["comparisons"] = np.bincount(np.concatenate([first, second]), minlength=n_models).astype(int)
    table["ranked"] = table["comparisons"] >= MIN_RANK_COMPARISONS
    return table.sort_values(["ranked", "strength", "model"], ascending=[False, False, True], ignore_index=True)


#: Said of a model with fewer than ``MIN_RANK_COMPARISONS`` comparisons, wherever the ranking is shown.
TOO_FEW_TO_RANK = "too few comparisons to rank"


def too_few_to_rank(table: pd.DataFrame) -> str | None:
    """ "too few comparisons to rank (fewer than 5): Z (1)", for ``bradley_terry``'s unranked rows; None if none."""
    if table.empty or "ranked" not in table.columns:
        return None
    few = table[~table["ranked"].astype(bool)]
    if few.empty:
        return None
    listed = ", ".join(f"{m} ({int(n)})" for m, n in zip(few["model"], few["comparisons"], strict=True))
    return f"{TOO_FEW_TO_RANK} (fewer than {MIN_RANK_COMPARISONS}; listed last, after the ranked models): {listed}"


def bradley_terry_note(outcomes: pd.DataFrame) -> str | None:
    """Why ``bradley_terry``'s strengths are not estimable from these outcomes (Ford's condition,
    ``analysis.bt_existence``; ties count half a win each way), None when they are. Where they are not,
    the strengths shown are held finite by the prior alone and get no bootstrap interval."""
    rows = outcomes[outcomes["verdict"].isin(LABELS) & (outcomes["model1"] != outcomes["model2"])]
    if rows.empty:
        return None
    models = sorted(set(rows["model1"].astype(str)) | set(rows["model2"].astype(str)))
    share = rows["verdict"].map({"1": 1.0, "2": 0.0, "tie": 0.5})
    why = unestimable(models, zip(rows["model1"].astype(str), rows["model2"].astype(str), share, strict=True))
    return None if why is None else f"{why} (the strengths shown are set by the prior alone, without intervals)"


def common_model(comparisons: pd.DataFrame) -> str | None:
    """The model in every comparison (AlpacaEval's reference model), else None.

    With a single model pair both models are in every comparison; then the one always shown first
    is taken, as AlpacaEval shows its reference output first.
    """
    common = set(comparisons["model1"]) | set(comparisons["model2"])
    for row in comparisons[["model1", "model2"]].drop_duplicates().itertuples(index=False):
        common &= {row.model1, row.model2}
    if len(common) > 1:
        common &= set(comparisons["model1"]) - set(comparisons["model2"])
    return str(next(iter(common))) if len(common) == 1 else None


PAIR_COLUMNS = [
    "model_a",
    "model_b",
    "people_wins_a",
    "people_wins_b",
    "people_ties",
    "judge_wins_a",
    "judge_wins_b",
    "judge_ties",
    "judge_uncertain",
]


def pair_table(people: pd.DataFrame, judge: pd.DataFrame) -> pd.DataFrame:
    """Two ``win_table`` results side by side: one row per model pair that either source has
    outcomes for (PAIR_COLUMNS, with the judge's uncertain verdicts apart), 0 where a source has none."""
    keys = ["model_a", "model_b"]
    names = ("wins_a", "wins_b", "ties")
    frames = [
        frame.reindex(columns=[*keys, *names, *([UNCERTAIN] if source == "judge" else [])]).rename(
            columns={name: f"{source}_{name}" for name in (*names, UNCERTAIN)}
        )
        for source, frame in (("people", people), ("judge", judge))
    ]
    merged = frames[0].merge(frames[1], on=keys, how="outer")
    if merged.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    counts = PAIR_COLUMNS[2:]
    merged[counts] = merged[counts].fillna(0).astype(int)
    return merged.sort_values(keys, ignore_index=True)[PAIR_COLUMNS]


def pair_wins(outcomes: pd.DataFrame, model_a: str, model_b: str) -> dict[str, int]:
    """Wins of model_a, of model_b and ties in ``outcomes`` (rows model1, model2, verdict)."""
    table = win_table(outcomes) if not outcomes.empty else pd.DataFrame()
    found = table[(table["model_a"] == model_a) & (table["model_b"] == model_b)] if not table.empty else table
    if found.empty:
        return {"wins_a": 0, "wins_b": 0, "ties": 0}
    row = found.iloc[0]
    return {"wins_a": int(row["wins_a"]), "wins_b": int(row["wins_b"]), "ties": int(row["ties"])}
