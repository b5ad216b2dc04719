"""Mean rating per candidate model three ways, for single-answer grading: people only, judge only,
and judge + people corrected with prediction-powered inference (PPI++).

The pairwise section does this for win rates (``analysis.corrected``); this is the same estimator for
a mean rating, and it calls that module's ``corrected_mean`` (``ppi_py``'s ``classical_mean_ci`` and
``ppi_mean_ci``, with PPI++ power tuning λ) rather than repeating it. Per model, over its responses:

* people only: the classical (CLT) interval of the people's rating per response, that response's mean
  over its raters, on every response people rated;
* judge only: the classical interval of the judge run's scores of every response it rated (biased by
  whatever the judge gets wrong, e.g. rating everything two points too high);
* corrected: PPI++ with the judge's score on every judged response and the people's ratings as the
  rectifier on the responses both rated. Labelled = rated by people and by the judge, unlabelled =
  judged and rated by nobody (disjoint sets, as ``ppi_py`` assumes). With every judged response rated
  by people the corrected interval *is* the people-only one over those responses (λ = 0).

One scale only: the caller (``analysis.ratings.rating_summary``) passes the people's ratings on the
judge's scale and the judge's scores only when the run rates on that scale; 1-5 is never rescaled to
1-10. Intervals are clipped to [1, scale] (the parameter space, which keeps their coverage).

Draw probabilities: in judge-uncertain-first grading sessions people are sent to the responses the
judge is least sure of, so the rated responses are not a simple random sample. π_i, the probability
that response i was drawn for people, comes from the store's ``rating_draw_probabilities`` (the
session's logged draws, ``rating_draws``, through ``assignment.inclusion``: π_i = 1 - Π_t (1 - p_t(i));
NaN for every response when no such design explains the ratings). As in ``analysis.corrected``,
people-rated responses are weighted 1/π and unrated ones 1/(1 - π), Hájek-normalised (``ppi_py``'s
``w=`` / ``w_unlabeled=``); people-only uses the same 1/π weights; the judge-only mean is unweighted
(the judge rated every response). π is clipped to [1e-6, 1 - 1e-6] as there.

A model with fewer than 2 people-rated responses (or fewer than 2 rated by both) gets ``None``
estimates with the reason in ``note``, never an exception.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.corrected import NO_ESTIMATE, Interval, corrected_mean
from analysis.defaults import ALPHA

Array = npt.NDArray[np.float64]
MIN_RATINGS = 2  # a CLT interval needs at least two values
METHOD = (
    "per candidate model, over its responses: people only = CLT interval of the people's mean rating per "
    "response; judge only = CLT interval of the judge's scores (biased by its errors); corrected = "
    "prediction-powered inference (PPI++, ppi_py) with the judge's score on every judged response and people's "
    "ratings on the ones they rated; lambda: PPI++ power tuning (0 = people only, 1 = plain PPI); "
    "effective_labels: people-rated responses a people-only interval would need to be as narrow as the "
    "corrected one; weighted: responses drawn judge-uncertain-first are weighted 1/pi (rated) and 1/(1-pi) "
    "(not rated), Hajek-normalised; one scale only, never rescaled"
)


@dataclass(frozen=True)
class CorrectedRating:
    """One model's mean rating (1..scale) three ways; ``note`` says why an estimate is missing."""

    model: str
    people: Interval
    judge: Interval
    corrected: Interval
    n_people: int  # responses of the model with a people rating on the compared scale
    n_judge: int  # responses with a parsed judge score
    n_labelled: int  # responses with both (the rectifier's sample)
    n_unlabelled: int  # judged responses nobody rated
    power: float | None  # PPI++ λ
    effective_labels: float | None
    note: str = ""


#: Said beside the corrected mean ratings when people rated every response the judge scored (the pairwise
#: section's ``analysis.report_text.ALL_LABELLED``): PPI corrects with the judge's scores of the responses nobody
#: rated; with none, each corrected mean is the people-only one (λ = 0). It was said only in the user guide.
FULLY_RATED = (
    "People rated every response the judge scored, so each corrected mean is the people-only one (λ 0: the judge "
    "adds nothing to correct)"
)


def fully_rated(counts: Sequence[tuple[int, int, int]]) -> bool:
    """Whether every model's corrected mean is its people-only one: (n_people, n_labelled, n_unlabelled) per model,
    some response rated by people and the judge, none judged and unrated, none rated by people alone."""
    return bool(counts) and all(both and not judge_only and people == both for people, both, judge_only in counts)


@dataclass(frozen=True)
class CorrectedRatings:
    """Every model's corrected mean rating, or none and why (``note``)."""

    means: tuple[CorrectedRating, ...] = ()
    weighted: bool = False  # the draw probabilities of a judge-uncertain-first design were used
    note: str = ""
    alpha: float = ALPHA  # the intervals are (1 - alpha) intervals

    @property
    def fully_rated(self) -> bool:
        """Whether ``FULLY_RATED`` applies (``fully_rated``)."""
        return fully_rated([(m.n_people, m.n_labelled, m.n_unlabelled) for m in self.means])


def _pi(draws: pd.DataFrame | None, ids: pd.Index) -> Array | None:
    """π per response of ``ids`` (``draws``: response_id, draw_probability), None when no design applies
    (no frame, or a response without π: then the rated responses are taken as a simple random sample)."""
    if draws is None or draws.empty or "draw_probability" not in draws:
        return None
    pi = draws.drop_duplicates("response_id").set_index("response_id")["draw_probability"].reindex(ids)
    if pi.isna().any():
        return None
    return pi.to_numpy(dtype=float).clip(1e-6, 1 - 1e-6)


def _classical(values: Array, w: Array | None, alpha: float, bounds: tuple[float, float]) -> Interval:
    """The CLT interval of one source alone: ``corrected_mean`` with no unlabelled items is exactly
    ``ppi_py.classical_mean_ci`` on ``values`` (its people-only interval)."""
    if len(values) < MIN_RATINGS:
        return NO_ESTIMATE
    return corrected_mean(values, values, np.empty(0), w=w, alpha=alpha, bounds=bounds)[0]


def _why(n_people: int, n_labelled: int, n_judge: int, scale: int) -> str:
    reasons = []
    if n_people < MIN_RATINGS:
        reasons.append(
            f"{_responses(n_people)} rated by people on 1-{scale} (at least {MIN_RATINGS} needed): "
            "no people-only or corrected mean"
        )
    elif n_labelled < MIN_RATINGS:
        reasons.append(f"{_responses(n_labelled)} rated by both people and the judge: no corrected mean")
    if n_judge < MIN_RATINGS:
        reasons.append(f"{n_judge} judge score{'' if n_judge == 1 else 's'}: no judge-only mean")
    return "; ".join(reasons)


def _model(model: str, rows: pd.DataFrame, pi: Array | None, scale: int, alpha: float) -> CorrectedRating:
    """``rows``: one per response of the model (human, judge; NaN where missing); ``pi`` aligned with it."""
    human, judge = rows["human"].to_numpy(dtype=float), rows["judge"].to_numpy(dtype=float)
    has_people, has_judge = ~np.isnan(human), ~np.isnan(judge)
    labelled, unlabelled = has_people & has_judge, has_judge & ~has_people
    bounds = (1.0, float(scale))
    w, w_u = (None, None) if pi is None else (1 / pi[labelled], 1 / (1 - pi[unlabelled]))
    _, corrected, lam, effective = corrected_mean(
        human[labelled], judge[labelled], judge[unlabelled], w=w, w_unlabelled=w_u, alpha=alpha, bounds=bounds
    )
    people = _classical(human[has_people], None if pi is None else 1 / pi[has_people], alpha, bounds)
    n_people, n_labelled, n_judge = int(has_people.sum()), int(labelled.sum()), int(has_judge.sum())
    return CorrectedRating(
        model=model,
        people=people,
        judge=_classical(judge[has_judge], None, alpha, bounds),
        corrected=corrected,
        n_people=n_people,
        n_judge=n_judge,
        n_labelled=n_labelled,
        n_unlabelled=int(unlabelled.sum()),
        power=lam,
        effective_labels=effective,
        note=_why(n_people, n_labelled, n_judge, scale),
    )


def corrected_ratings(
    people: pd.DataFrame,
    judge: pd.DataFrame,
    *,
    scale: int,
    draws: pd.DataFrame | None = None,
    alpha: float = ALPHA,
) -> CorrectedRatings:
    """Each model's mean rating three ways (see the module docstring).

    ``people``: response_id, model, human (the people's mean rating of the response, on 1..``scale``);
    ``judge``: response_id, [model,] judge (the compared run's parsed scores on the same scale; without a
    model column only the responses people rated are placed); ``draws``:
    response_id, draw_probability (the store's ``rating_draw_probabilities``; None or NaN: unweighted)."""
    note = ""
    if judge.empty:  # a grading study without a judge still gets each model's people-only mean
        judge = pd.DataFrame({"response_id": pd.Series(dtype="int64"), "judge": pd.Series(dtype=float)})
        note = "no judge score on this scale yet: people-only means, no judge-only or corrected means"
    named = [frame[["response_id", "model"]] for frame in (people, judge) if "model" in frame]
    rows = pd.concat(named, ignore_index=True).dropna(subset=["model"]).drop_duplicates("response_id")
    rows = rows.merge(people[["response_id", "human"]], on="response_id", how="left")
    rows = rows.merge(judge[["response_id", "judge"]], on="response_id", how="left")
    pi = _pi(draws, pd.Index(rows["response_id"]))
    rows = rows.assign(pi=pi if pi is not None else np.nan, model=rows["model"].astype(str))
    means = tuple(
        _model(str(name), group, None if pi is None else group["pi"].to_numpy(dtype=float), scale, alpha)
        for name, group in rows.groupby("model", sort=True)
    )
    return CorrectedRatings(means, weighted=pi is not None, note=note, alpha=alpha)


def _interval_dict(interval: Interval) -> dict[str, Any]:
    return dataclasses.asdict(interval)


def corrected_ratings_json(result: CorrectedRatings | None) -> dict[str, Any]:
    """The ``ratings`` section's keys for the corrected means (``report_json``): ``corrected_means``, a
    list of {model, people, judge, corrected, lambda, n_people, n_judge, n_labelled, n_unlabelled,
    effective_labels, note}, with ``corrected_method``, ``corrected_weighted``, ``corrected_note`` and
    ``corrected_fully_rated`` (``FULLY_RATED`` applies)."""
    found = result or CorrectedRatings(note="no judge score on this scale: no corrected means")
    return {
        "corrected_means": [
            {
                "model": m.model,
                "people": _interval_dict(m.people),
                "judge": _interval_dict(m.judge),
                "corrected": _interval_dict(m.corrected),
                "lambda": m.power,
                "n_people": m.n_people,
                "n_judge": m.n_judge,
                "n_labelled": m.n_labelled,
                "n_unlabelled": m.n_unlabelled,
                "effective_labels": m.effective_labels,
                "note": m.note,
            }
            for m in found.means
        ],
        "corrected_method": METHOD,
        "corrected_confidence": 1 - found.alpha,
        "corrected_weighted": found.weighted,
        "corrected_note": found.note,
        "corrected_fully_rated": found.fully_rated,  # FULLY_RATED applies: each corrected mean is people-only
    }


MEAN_RATING_DIGITS = 2  # a mean rating on 1-5 or 1-10: hundredths are already finer than the intervals


def rating_span(interval: Mapping[str, Any]) -> str:
    """A mean rating with its interval, "3.17 [2.87, 3.46]": the one rule (``MEAN_RATING_DIGITS`` places)
    for the CLI text, the report card and the Dashboard (they showed 2 and 3 places; s10 retest)."""
    if interval["estimate"] is None:
        return "n/a"
    if interval["low"] is None or interval["high"] is None:
        return f"{interval['estimate']:.{MEAN_RATING_DIGITS}f} (no interval)"
    estimate, low, high = (f"{interval[k]:.{MEAN_RATING_DIGITS}f}" for k in ("estimate", "low", "high"))
    return f"{estimate} [{low}, {high}]"


def corrected_rating_lines(ratings: Mapping[str, Any] | None) -> list[str]:
    """The text summary's lines for the corrected means (``report_text``), read from the JSON."""
    if not ratings or "corrected_means" not in ratings:
        return []
    if not ratings["corrected_means"]:
        return [f"Mean rating per model: {ratings['corrected_note']}"] if ratings.get("corrected_note") else []
    weighted = ", weighted by draw probabilities" if ratings.get("corrected_weighted") else ""
    level = f"{ratings.get('corrected_confidence', 0.95):.0%}"
    lines = [f"Mean rating per model (1-{ratings['scale']}, {level} intervals; people / judge / corrected{weighted}):"]
    for m in ratings["corrected_means"]:
        lam = "n/a" if m["lambda"] is None else f"{m['lambda']:.2f}"
        line = (
            f"  {m['model']}: people {rating_span(m['people'])} (n {m['n_people']}), judge {rating_span(m['judge'])} "
            f"(n {m['n_judge']}), corrected {rating_span(m['corrected'])} (lambda {lam})"
        )
        lines.append(line + (f" - {m['note']}" if m["note"] else ""))
    if ratings.get("corrected_fully_rated"):
        lines.append(f"  {FULLY_RATED}.")
    return lines


def _responses(n: int) -> str:
    """ "1 response", "2 responses" (``analysis.report_text.counted`` imports this module)."""
    return f"{n} response{'' if n == 1 else 's'}"
