"""Aggregating several people's labels into one label per comparison, with annotator quality.

Three methods, side by side:

* ``majority``: the most frequent label; equal top counts give "tie" (the same rule as
  ``analysis.statistics.majority_labels``, written out here so this module imports nothing of ours).
  An annotator's quality is their agreement with the majority of the *other* annotators on the
  same comparisons (leave-one-out, so an annotator does not vote on their own yardstick).
* ``dawid-skene`` (Dawid & Skene 1979, "Maximum likelihood estimation of observer error-rates using
  the EM algorithm"): crowd-kit's ``DawidSkene``. Each annotator has a confusion matrix
  P(says k | truth c); an annotator who is consistently *wrong* in a predictable way (says "1"
  when the truth is "2") still carries information, which a plain majority cannot use. Quality:
  the confusion-matrix diagonal per label and its prior-weighted mean (estimated accuracy).
* ``mace`` (Hovy et al. 2013, "Learning Whom to Trust with MACE"): crowd-kit's ``MACE``; quality
  is the estimated probability that the annotator labels knowingly rather than spamming.

A reviewer's adjudication settles a comparison: ``settle`` puts the adjudicated verdict in place of
whatever the method chose (and adds comparisons only a reviewer labelled), after aggregating, so the
methods and every annotator-quality and inter-annotator figure still see the annotators' own labels only.

Input: rows (comparison_id, annotator, verdict). The result's ``frame()`` is the one-label-per-
comparison DataFrame (comparison_id, verdict) that the calibration, corrected-estimate and
agreement figures take as "people".
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

METHODS = ("majority", "dawid-skene", "mace")


@contextmanager
def _quiet_crowdkit() -> Iterator[None]:
    """crowd-kit 1.4 uses pandas' ``inplace=`` keywords, which pandas 3 warns about on every EM step."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"crowdkit\.")
        yield


@dataclass(frozen=True)
class AnnotatorQuality:
    annotator: str
    n_labels: int
    accuracy: float | None  # estimated P(label is right); None when it cannot be estimated
    per_label: dict[str, float]  # DS: P(says k | truth k); majority: agreement when others' majority is k
    note: str | None = None  # why ``accuracy`` is None, when it is


@dataclass(frozen=True)
class Aggregation:
    """Aggregated labels per comparison and the method that produced them."""

    method: str
    labels: dict[Hashable, str]  # comparison_id -> aggregated verdict
    confidence: dict[Hashable, float]  # posterior of the chosen label (DS, MACE) or its vote share
    annotators: tuple[AnnotatorQuality, ...]

    def frame(self) -> pd.DataFrame:
        """One row per comparison: comparison_id, verdict, confidence, method."""
        return pd.DataFrame(
            {
                "comparison_id": list(self.labels),
                "verdict": list(self.labels.values()),
                "confidence": [self.confidence[k] for k in self.labels],
                "method": self.method,
            }
        )


@dataclass(frozen=True)
class AggregationComparison:
    """Several aggregations of the same labels and how often they differ."""

    results: dict[str, Aggregation]
    n_comparisons: int
    n_differ: int  # comparisons on which the methods do not all give the same label


def _clean(labels: pd.DataFrame) -> pd.DataFrame:
    """crowd-kit's (task, worker, label) frame: one label per (comparison, annotator), the last one."""
    rows = labels.dropna(subset=["verdict"]).drop_duplicates(["comparison_id", "annotator"], keep="last")
    return pd.DataFrame(
        {"task": rows["comparison_id"], "worker": rows["annotator"].astype(str), "label": rows["verdict"].astype(str)}
    )


def _majority(counts: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Label and vote share per row of a (task x label) count table; equal top counts give "tie"."""
    table = counts.to_numpy()
    top = table == table.max(axis=1, keepdims=True)
    names = np.array([str(c) for c in counts.columns], dtype=object)
    chosen = np.where(top.sum(axis=1) == 1, names[top.argmax(axis=1)], "tie")
    share = table.max(axis=1) / np.maximum(table.sum(axis=1), 1)
    return pd.Series(chosen, index=counts.index), pd.Series(share, index=counts.index)


def _leave_one_out_quality(data: pd.DataFrame) -> tuple[AnnotatorQuality, ...]:
    """Each annotator's agreement with the majority of the others on comparisons with >= 1 other label
    and a single top label among them: where the others split there is no majority, and the item is left
    out, as ``analysis.inter_annotator.others_majority`` does (one rule for every "agrees with the
    others" figure; counting a split as the label "tie" marked nearly everyone wrong there)."""
    counts = data.groupby(["task", "label"]).size().unstack(fill_value=0)
    rows = []
    for worker, own in data.groupby("worker", sort=True):
        others = counts.loc[own["task"]].to_numpy() - (own["label"].to_numpy()[:, None] == counts.columns.to_numpy())
        top = others == others.max(axis=1, keepdims=True)
        keep = (others.sum(axis=1) > 0) & (top.sum(axis=1) == 1)
        majority, _ = _majority(pd.DataFrame(others[keep], columns=counts.columns))
        agree = majority.to_numpy() == own["label"].to_numpy()[keep]
        per_label = {str(k): float(agree[majority.to_numpy() == k].mean()) for k in sorted(set(majority))}
        accuracy = float(agree.mean()) if keep.any() else None
        rows.append(AnnotatorQuality(str(worker), len(own), accuracy, per_label, None if keep.any() else NO_OTHERS))
    return tuple(rows)


def majority(labels: pd.DataFrame) -> Aggregation:
    """Majority vote per comparison (equal top counts give "tie"), with leave-one-out agreement."""
    data = _clean(labels)
    if data.empty:
        return Aggregation("majority", {}, {}, ())
    chosen, share = _majority(data.groupby(["task", "label"]).size().unstack(fill_value=0))
    return Aggregation(
        "majority", dict(chosen.items()), dict(share.astype(float).items()), _leave_one_out_quality(data)
    )


#: Why an annotator's quality is n/a: no other annotator's label to compare with (majority: leave-one-out) ...
NO_OTHERS = "no comparison of theirs has another annotator's label with one top label to compare with"
#: ... and Dawid-Skene with a single annotator, whose errors cannot be told from the truth (s15 methodologist).
DS_ONE_ANNOTATOR = (
    "one annotator only: Dawid-Skene cannot tell their errors from the truth (the model is not identified), "
    "so their quality is not estimated"
)


def _ds_quality(data: pd.DataFrame, errors: pd.DataFrame, priors: pd.Series) -> tuple[AnnotatorQuality, ...]:
    """Confusion-matrix diagonal P(says k | truth k) per annotator and its prior-weighted mean; n/a (with
    ``DS_ONE_ANNOTATOR``) for a single annotator, whom the EM fits perfectly by construction (quality 1.000)."""
    if data["worker"].nunique() < 2:
        return tuple(
            AnnotatorQuality(str(worker), len(own), None, {}, DS_ONE_ANNOTATOR)
            for worker, own in data.groupby("worker", sort=True)
        )
    rows = []
    for worker, own in data.groupby("worker", sort=True):
        said_by_truth = cast(pd.DataFrame, errors.loc[worker])  # index: label said, columns: true label
        matrix = said_by_truth.reindex(index=priors.index, columns=priors.index, fill_value=0.0)
        diagonal = dict(zip(map(str, priors.index), np.diag(matrix.to_numpy(dtype=float)).tolist(), strict=True))
        accuracy = float(sum(priors[k] * diagonal[str(k)] for k in priors.index))
        rows.append(AnnotatorQuality(str(worker), len(own), accuracy, diagonal))
    return tuple(rows)


def dawid_skene(labels: pd.DataFrame, *, n_iter: int = 100, tol: float = 1e-5) -> Aggregation:
    """Dawid-Skene aggregation (crowd-kit ``DawidSkene``, EM from the majority-vote start)."""
    from crowdkit.aggregation import DawidSkene

    data = _clean(labels)
    if data.empty:
        return Aggregation("dawid-skene", {}, {}, ())
    with _quiet_crowdkit():
        model = DawidSkene(n_iter=n_iter, tol=tol).fit(data)
    probas, errors, priors = cast(pd.DataFrame, model.probas_), cast(pd.DataFrame, model.errors_), model.priors_
    chosen = probas.idxmax(axis=1).astype(str)
    confidence = probas.max(axis=1).astype(float)
    quality = _ds_quality(data, errors, cast(pd.Series, priors))
    return Aggregation("dawid-skene", dict(chosen.items()), dict(confidence.items()), quality)


def mace(labels: pd.DataFrame, *, n_restarts: int = 10, n_iter: int = 50, random_state: int = 0) -> Aggregation:
    """MACE aggregation (crowd-kit ``MACE``, variational EM); quality = P(the annotator is not spamming)."""
    from crowdkit.aggregation import MACE

    data = _clean(labels)
    if data.empty:
        return Aggregation("mace", {}, {}, ())
    with _quiet_crowdkit():
        model = MACE(n_restarts=n_restarts, n_iter=n_iter, random_state=random_state).fit(data)
    probas = cast(pd.DataFrame, model.probas_)
    workers = pd.factorize(data["worker"])[1]  # MACE's row order for spamming_
    competence = dict(zip(workers, model.spamming_[:, 1], strict=True))
    counts = data.groupby("worker").size()
    quality = tuple(AnnotatorQuality(str(w), int(counts[w]), float(competence[w]), {}) for w in sorted(competence))
    chosen = probas.idxmax(axis=1).astype(str)
    return Aggregation("mace", dict(chosen.items()), dict(probas.max(axis=1).astype(float).items()), quality)


def aggregate(labels: pd.DataFrame, method: str = "majority") -> Aggregation:
    """One aggregation by name: "majority", "dawid-skene" or "mace" (the setting the report uses)."""
    functions: dict[str, Any] = {"majority": majority, "dawid-skene": dawid_skene, "mace": mace}
    if method not in functions:
        raise ValueError(f"unknown aggregation {method!r}; choose one of {', '.join(METHODS)}")
    result: Aggregation = functions[method](labels)
    return result


def compare_aggregations(
    labels: pd.DataFrame, methods: Sequence[str] = ("majority", "dawid-skene")
) -> AggregationComparison:
    """Several aggregations side by side, with the number of comparisons on which they differ."""
    results = {m: aggregate(labels, m) for m in methods}
    tasks = set().union(*(r.labels for r in results.values())) if results else set()
    differ = sum(1 for t in tasks if len({r.labels.get(t) for r in results.values()}) > 1)
    return AggregationComparison(results, len(tasks), differ)


#: What the reports say about adjudications (``report_dict``'s settings, the text summary).
ADJUDICATION_RULE = (
    "a reviewer's adjudication is the people's label of its comparison: it overrides the majority (or the "
    "chosen aggregation) in every people figure; inter-annotator agreement (Cohen's, Fleiss' kappa, "
    "Krippendorff's alpha), the per-annotator table, per-label agreement and the alt-test use the annotators' "
    "own labels only, never adjudications"
)


@dataclass(frozen=True)
class Settled:
    """How many comparisons a reviewer's adjudication settled in the people's labels."""

    n: int = 0  # comparisons whose people label is an adjudication
    overruled: int = 0  # of those, labelled by annotators with another aggregated label
    unlabelled: int = 0  # of those, with no annotator label (the reviewer's verdict is the only one)

    @property
    def note(self) -> str:
        """The one line every report shows: "N comparisons settled by a reviewer's adjudication"."""
        word = "comparison" if self.n == 1 else "comparisons"
        return f"{self.n} {word} settled by a reviewer's adjudication"


def settle(people: pd.DataFrame, adjudications: pd.DataFrame | None) -> tuple[pd.DataFrame, Settled]:
    """People's one label per comparison with each adjudicated comparison's verdict put in its place.

    ``people``: the aggregated labels (comparison_id, verdict, and comparison columns such as model1,
    model2, category). ``adjudications``: comparison_id, verdict (and the same comparison columns, for
    comparisons no annotator labelled: those rows are added at the end). Without adjudications
    ``people`` comes back as it is (same rows, same order), so the figures of unadjudicated data do
    not move; otherwise rows keep their order and only the verdict changes.
    """
    if adjudications is None or adjudications.empty:
        return people, Settled()
    final = dict(zip(adjudications["comparison_id"], adjudications["verdict"].astype(str), strict=True))
    if people.empty:
        extra = adjudications.drop(columns=["reviewer", "rationale", "created_at", "updated_at"], errors="ignore")
        return extra.reset_index(drop=True), Settled(len(final), 0, len(final))
    ids = people["comparison_id"]
    mapped = ids.map(final)
    known = mapped.notna()
    overruled = int((known & (mapped != people["verdict"].astype(str))).sum())
    settled = people.assign(verdict=people["verdict"].astype(str).where(~known, mapped))
    missing = adjudications[~adjudications["comparison_id"].isin(set(ids))]
    if not missing.empty:
        columns = [c for c in settled.columns if c in missing.columns]
        settled = pd.concat([settled, missing[columns]], ignore_index=True)
    return settled, Settled(len(final), overruled, len(missing))
