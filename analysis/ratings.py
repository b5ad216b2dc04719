"""Single-answer ratings (1-10 or 1-5 scores): human vs judge, correlated at item and system level
(CritiqueLLM's figures; SciPy's Pearson, Spearman and Kendall), and the summary the dashboard shows.

People and the judge are compared only on the same scale. A 1-5 judge (Prometheus 2, Selene) next to
people who rated 1-10 is not rescaled: a linear map 1-5 -> 1-10 would assume both scales mean the
same thing at each end and step, which nobody checked, so the summary says so instead (``note``) and
gives no judge column. People who rated one dataset on both scales (two sessions) are compared on
the judge's scale; the others are counted in ``note``. On that one scale the summary also carries each
model's mean rating three ways (people only, judge only, corrected: ``analysis.corrected_ratings``).
The summary also carries the per-grader table (``grader_table``): ratings, skips and gold checks."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.corrected_ratings import CorrectedRatings, corrected_ratings
from analysis.defaults import ALPHA
from analysis.report_text import counted


def _row_correlations(human: npt.NDArray[np.float64], judge: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Pearson, Spearman, Kendall tau-b of every row of two (items x models) arrays: (items x 3).

    SciPy computes them along axis 1: pearsonr; spearmanr as pearsonr of scipy.stats.rankdata ranks
    (the definition of Spearman's rho; scipy's spearmanr has no row-wise mode); kendalltau.
    """
    from scipy import stats  # here, not at the top: SciPy takes a second to load

    pearson = stats.pearsonr(human, judge, axis=1).statistic
    spearman = stats.pearsonr(stats.rankdata(human, axis=1), stats.rankdata(judge, axis=1), axis=1).statistic
    kendall = stats.kendalltau(human, judge, axis=1).statistic
    return np.column_stack([pearson, spearman, kendall])


def rating_correlations(rows: pd.DataFrame) -> pd.DataFrame:
    """Human vs judge ratings correlated at item level and at system level, as CritiqueLLM reports.

    Input columns: item, model, human, judge (e.g. 1-10 scores; rows missing an item or score dropped).

    * item level (CritiqueLLM's "sample level", ``correlation_sample`` in its eval_pointwise.py): per
      item, correlate the human and judge scores of the models' responses to it, then average over
      items. Items whose human or judge scores are all equal have no correlation and are skipped (as
      CritiqueLLM does); n is the number of items averaged.
    * system level: per model, the mean human and mean judge score; correlate those means across
      models; n is the number of models.

    SciPy computes Pearson (pearsonr), Spearman (rank + pearsonr, see _row_correlations at item
    level; spearmanr at system level) and Kendall's tau-b (kendalltau). Returns a DataFrame indexed
    by level ("item", "system") with columns pearson, spearman, kendall, n; NaN where undefined.
    """
    columns = ["pearson", "spearman", "kendall", "n"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    data = rows.dropna(subset=["item", "human", "judge"])
    if data.empty:
        return pd.DataFrame(columns=columns)
    human = data["human"].to_numpy(dtype=float)
    judge = data["judge"].to_numpy(dtype=float)
    item, _ = data["item"].factorize()
    order = np.argsort(item, kind="stable")
    human, judge = human[order], judge[order]
    sizes = np.bincount(item)
    sizes = sizes[sizes > 0]
    starts = np.cumsum(sizes) - sizes
    per_item = []
    for size in np.unique(sizes[sizes >= 2]):  # items answered by the same number of models, together
        index = starts[sizes == size][:, None] + np.arange(size)
        h, j = human[index], judge[index]
        varied = (np.ptp(h, axis=1) > 0) & (np.ptp(j, axis=1) > 0)
        if varied.any():
            per_item.append(_row_correlations(h[varied], j[varied]))
    item_level = np.concatenate(per_item) if per_item else np.empty((0, 3))
    item_row = [*(item_level.mean(axis=0) if len(item_level) else [np.nan] * 3), len(item_level)]

    means = data.groupby("model")[["human", "judge"]].mean()
    system_row: list[float] = [np.nan, np.nan, np.nan, len(means)]
    if len(means) >= 2 and means["human"].nunique() > 1 and means["judge"].nunique() > 1:
        from scipy import stats

        h_means, j_means = means["human"].to_numpy(float), means["judge"].to_numpy(float)
        system_row[:3] = [
            stats.pearsonr(h_means, j_means).statistic,
            stats.spearmanr(h_means, j_means).statistic,
            stats.kendalltau(h_means, j_means).statistic,
        ]
    table = pd.DataFrame([item_row, system_row], index=pd.Index(["item", "system"], name="level"), columns=columns)
    return table.astype({"pearson": float, "spearman": float, "kendall": float, "n": int})


RATING_POINT_COLUMNS = ["response_id", "prompt", "model", "human", "n_ratings", "judge"]
GRADER_COLUMNS = ["annotator", "ratings", "skipped", "n_gold", "gold_accuracy"]
DEFAULT_SCALE = 10  # ratings stored before scales existed are 1-10


def _no_graders() -> pd.DataFrame:
    return pd.DataFrame(columns=GRADER_COLUMNS).astype({"n_gold": int, "gold_accuracy": float})


@dataclass(frozen=True)
class RatingSummary:
    """Human vs judge single-answer ratings (1..``scale``) on one dataset."""

    n_ratings: int  # human ratings (skips left out)
    n_responses: int  # responses with a human rating
    judge_run: int | None  # the judge run compared (the one that rated most recently), None if none
    judge_name: str | None
    judge_unparsed: int  # that run's ratings without a score
    points: pd.DataFrame  # RATING_POINT_COLUMNS: mean human rating and judge score per response
    correlations: pd.DataFrame  # analysis.rating_correlations: index item/system; pearson, spearman, kendall, n
    scale: int = DEFAULT_SCALE  # the people's ratings summarised are 1..scale
    judge_scale: int | None = None  # the judge run's scale (None: no run)
    note: str = ""  # what was left out and why (other scales), in plain words; "" when nothing was
    corrected: CorrectedRatings | None = None  # mean rating per model three ways (None: not computed)
    graders: pd.DataFrame = field(default_factory=_no_graders)  # GRADER_COLUMNS (grader_table), every scale


def _scale_of(frame: pd.DataFrame) -> pd.Series:
    """Each row's scale (frames from before scales existed have no column: 1-10)."""
    if "scale" not in frame:
        return pd.Series(DEFAULT_SCALE, index=frame.index)
    return frame["scale"].fillna(DEFAULT_SCALE).astype(int)


def _people_scale(rated: pd.DataFrame, judge_scale: int | None) -> tuple[pd.DataFrame, int, str]:
    """The people's ratings on one scale (the judge's when they have any, else their most used), and a
    note counting the ratings on another scale, which are left out."""
    scales = _scale_of(rated)
    counts = scales.value_counts()
    scale = judge_scale if judge_scale is not None and judge_scale in counts.index else int(counts.index[0])
    others = int((scales != scale).sum())
    note = f"{counted(others, 'human rating')} on another scale left out (compared: 1-{scale})." if others else ""
    return rated[scales == scale], int(scale), note


def _corrected(
    human: pd.DataFrame,
    judge: pd.DataFrame,
    scales: tuple[int, int | None],
    draws: pd.DataFrame | None,
    alpha: float,
) -> CorrectedRatings:
    """Mean rating per model three ways on the compared scale (``scales``: people's, judge run's); none
    when the judge rates on another scale, as nothing is rescaled."""
    scale, judge_scale = scales
    if judge_scale is not None and judge_scale != scale:
        why = (
            f"the judge rates 1-{judge_scale} and people rated 1-{scale}: no judge-only or corrected means, as one "
            "scale is not rescaled into the other"
        )
        return CorrectedRatings(note=why, alpha=alpha)
    return corrected_ratings(human, judge, scale=scale, draws=draws, alpha=alpha)


def grader_table(ratings: pd.DataFrame, gold: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per grader (everyone with a rating or a skip, on any scale), sorted by name: GRADER_COLUMNS.

    * ratings / skipped: their current ratings (``ratings``: store.ratings) without and with a skip;
    * n_gold / gold_accuracy: their non-skipped ratings of gold responses (``gold``: store.gold_ratings:
      response_id, scale, low, high) given on the gold's scale, and the share of those from ``low`` to
      ``high`` (NaN without a check). A rating in a session on the other scale is no check: that
      session handed the response out as an ordinary item, and its numbers mean something else. Each
      check scores the first rating given (``first_rating``, where the frame has it): the known range
      is shown after it, so a later edit would score what was shown.
    """
    if ratings.empty or "annotator" not in ratings:  # rows without people's names (hand-made frames)
        return _no_graders()
    mine = ratings.assign(annotator=ratings["annotator"].astype(str), skipped=ratings["skipped"].astype(bool))
    mine = mine.assign(rated=~mine["skipped"], scale=_scale_of(mine))
    table = mine.groupby("annotator")[["rated", "skipped"]].sum().rename(columns={"rated": "ratings"})
    table["n_gold"], table["gold_accuracy"] = 0, np.nan
    if gold is not None and not gold.empty:
        marks = gold[["response_id", "scale", "low", "high"]].astype(int)
        checks = mine[mine["rated"]].merge(marks, on=["response_id", "scale"])
        given = checks["rating"].astype(float)
        if "first_rating" in checks:
            given = checks["first_rating"].astype(float).fillna(given)
        right = given.between(checks["low"], checks["high"]).groupby(checks["annotator"])
        table["n_gold"], table["gold_accuracy"] = right.size(), right.mean()
    table[["ratings", "skipped", "n_gold"]] = table[["ratings", "skipped", "n_gold"]].fillna(0).astype(int)
    table["gold_accuracy"] = table["gold_accuracy"].astype(float)
    return table.sort_index().reset_index()[GRADER_COLUMNS]


def rating_summary(
    ratings: pd.DataFrame,
    judge_ratings: pd.DataFrame,
    *,
    draws: pd.DataFrame | None = None,
    alpha: float = ALPHA,
    gold: pd.DataFrame | None = None,
) -> RatingSummary | None:
    """``ratings``: store.ratings; ``judge_ratings``: store.judge_ratings (both of one dataset); their
    ``scale`` columns (10 when absent) decide what is compared (see the module docstring). ``draws``:
    store.rating_draw_probabilities (response_id, draw_probability), the weights of the corrected means;
    ``alpha``: their intervals are (1 - alpha) intervals; ``gold``: store.gold_ratings, the graders'
    attention checks (``grader_table``). None when nobody has rated (skips only count as no rating)."""
    rated = ratings[~ratings["skipped"].astype(bool)] if not ratings.empty else ratings
    if rated.empty:
        return None
    run_id = name = judge_scale = None
    if not judge_ratings.empty:
        run_id = int(judge_ratings["run_id"].iloc[-1])
        judge_scale = int(_scale_of(judge_ratings[judge_ratings["run_id"] == run_id]).iloc[-1])
    rated, scale, note = _people_scale(rated, judge_scale)
    human = (
        rated.assign(rating=rated["rating"].astype(float))
        .groupby(["response_id", "prompt", "model"], as_index=False)
        .agg(human=("rating", "mean"), n_ratings=("rating", "size"))
    )
    unparsed = 0
    judge = pd.DataFrame(columns=["response_id", "model", "judge"])
    if judge_scale is not None and judge_scale != scale:
        note = (
            f"{note} The judge (run {run_id}) rates 1-{judge_scale} and people rated 1-{scale}: not compared, as "
            f"one scale is not rescaled into the other. Rate the dataset with a 1-{scale} judge profile, or "
            f"grade it in a 1-{judge_scale} session."
        ).strip()
    if not judge_ratings.empty:
        run = judge_ratings[judge_ratings["run_id"] == run_id]
        name = str(run["judge"].iloc[-1])
        unparsed = int((run["status"] != "ok").sum())
        if judge_scale == scale:
            kept = [c for c in ("response_id", "model", "score") if c in run]  # model: the store's frames have it
            judge = run[run["status"] == "ok"][kept].rename(columns={"score": "judge"})
    points = human.merge(judge[["response_id", "judge"]], on="response_id", how="left")[RATING_POINT_COLUMNS]
    points["judge"] = points["judge"].astype(float)
    paired = points.dropna(subset=["judge"]).rename(columns={"prompt": "item"})
    return RatingSummary(
        n_ratings=len(rated),
        n_responses=len(human),
        judge_run=run_id,
        judge_name=name,
        judge_unparsed=unparsed,
        points=points,
        correlations=rating_correlations(paired[["item", "model", "human", "judge"]]),
        scale=scale,
        judge_scale=judge_scale,
        note=note,
        corrected=_corrected(human, judge, (scale, judge_scale), draws, alpha),
        graders=grader_table(ratings, gold),
    )
