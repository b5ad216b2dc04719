"""Agreement between people: pairwise Cohen's kappa, Fleiss' kappa (statsmodels), Krippendorff's
alpha (the ``krippendorff`` package), each annotator against the others' majority, and the
per-annotator table (labels, skips, flags, gold accuracy, time on item).

Speed: labels are factorised once into integer codes and tallied; the library functions are called on
the tallies (weighted cells, count tables), so a million labels take well under a second.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.agreement import _tally, agreement_by_group, grouped_agreement, label_codes


@dataclass(frozen=True)
class _CodedLabels:
    """Labels as integer codes: one row per (comparison, annotator), missing verdicts dropped."""

    comparison: npt.NDArray[np.int64]
    annotator: npt.NDArray[np.int64]
    value: npt.NDArray[np.int64]
    n_comparisons: int
    annotators: pd.Index
    values: pd.Index
    comparisons: pd.Index  # comparison ids by code

    def value_counts(self) -> npt.NDArray[np.int64]:
        """(comparisons x values) table: how many annotators gave each value to each comparison."""
        n_values = len(self.values)
        table = np.bincount(self.comparison * n_values + self.value, minlength=self.n_comparisons * n_values)
        return table.reshape(self.n_comparisons, n_values)


def _coded_labels(labels: pd.DataFrame) -> _CodedLabels | None:
    """Factorise comparison ids, annotators and verdicts (hash tables, no per-row Python).

    Rows with a missing comparison id, annotator or verdict are dropped (a missing label is simply
    absent). When an annotator labelled a comparison twice, the last row counts, as in the store.
    """
    if labels.empty:
        return None
    comparison, comparisons = labels["comparison_id"].factorize()
    annotator, annotators = labels["annotator"].factorize()
    value, values = labels["verdict"].factorize()
    keep = (comparison >= 0) & (annotator >= 0) & (value >= 0)
    if not keep.all():
        comparison, annotator, value = comparison[keep], annotator[keep], value[keep]
    if len(value) == 0:
        return None
    comparison, annotator, value = comparison.astype(np.int64), annotator.astype(np.int64), value.astype(np.int64)
    duplicate = pd.Series(comparison * len(annotators) + annotator).duplicated(keep="last").to_numpy()
    if duplicate.any():
        comparison, annotator, value = comparison[~duplicate], annotator[~duplicate], value[~duplicate]
    return _CodedLabels(
        comparison,
        annotator,
        value,
        int(comparison.max()) + 1,
        pd.Index(annotators),
        pd.Index(values),
        pd.Index(comparisons),
    )


def others_majority(labels: pd.DataFrame) -> pd.DataFrame:
    """Each label next to the majority label of the OTHER annotators of its comparison.

    The majority is the most frequent of the comparison's labels minus this annotator's. Where the
    others split (two or more labels share the top count: one says 1, one says 2 at overlap 3), they
    have no majority: ``others`` is None and ``split`` True, and ``annotator_agreement`` leaves the
    row out and counts it. Why not "tie", as ``majority_labels`` does for the people's label: scoring
    a split as the label "tie" marked nearly every annotator wrong on it, so at overlap 3 an expert
    who always matched the truth scored like the crowd (tester report s10, finding 4). Leaving items
    without a strict plurality out is how a majority-vote reference is usually kept honest
    (crowd-kit's MajorityVote only breaks such ties at random, which would add noise instead).
    Labels on comparisons nobody else labelled are left out. Input columns: comparison_id,
    annotator, verdict (the last row counts when an annotator labelled a comparison twice). Output
    columns: comparison_id, annotator, verdict, others (that majority, or None), n_others (how many
    other labels it is taken from), split.
    """
    columns = ["comparison_id", "annotator", "verdict", "others", "n_others", "split"]
    coded = _coded_labels(labels)
    if coded is None:
        return pd.DataFrame(columns=columns)
    rows = np.arange(len(coded.value))
    others = coded.value_counts()[coded.comparison]  # (labels x values): every label of the comparison ...
    others[rows, coded.value] -= 1  # ... minus this one
    n_others = others.sum(axis=1)
    top = others == others.max(axis=1, keepdims=True)
    names = np.array([str(v) for v in coded.values], dtype=object)
    split = top.sum(axis=1) > 1
    majority = np.where(split, None, names[top.argmax(axis=1)])
    keep = n_others > 0
    return pd.DataFrame(
        {
            "comparison_id": coded.comparisons.to_numpy()[coded.comparison[keep]],
            "annotator": coded.annotators.to_numpy()[coded.annotator[keep]],
            "verdict": names[coded.value[keep]],
            "others": majority[keep],
            "n_others": n_others[keep].astype(int),
            "split": split[keep],
        }
    )


def annotator_agreement(labels: pd.DataFrame, verdicts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per annotator: label count, agreement with the others' majority and (optionally) with a judge.

    * with the others (``others_majority``): over the annotator's labels on comparisons someone else
      labelled too and where the others have a majority, the share equal to it (``with_others``) and
      Cohen's kappa between the two; ``others_split`` counts the labels left out because the others
      split;
    * with the judge (when ``verdicts`` is given): ``human_judge_agreement`` on the annotator's
      labels alone (same pairing: the judge's latest parsed verdict per comparison).

    Computed for every annotator at once (``analysis.agreement.grouped_agreement``: scikit-learn's
    formulas on per-annotator confusion matrices; equal to calling scikit-learn per annotator).
    Output columns, one row per annotator sorted by name: annotator, labels, n_with_others,
    with_others, kappa_with_others, others_split, and with verdicts also n_with_judge, with_judge,
    kappa_with_judge. NaN where undefined.
    """
    columns = ["annotator", "labels", "n_with_others", "with_others", "kappa_with_others", "others_split"]
    if verdicts is not None:
        columns += ["n_with_judge", "with_judge", "kappa_with_judge"]
    if labels.empty:
        return pd.DataFrame(columns=columns)
    who = labels["annotator"].astype(str)
    names = sorted(str(name) for name in pd.unique(who))
    index = pd.Index(names)
    everything = others_majority(labels)
    compared = everything[~everything["split"].astype(bool)]
    split = everything["split"].astype(bool).groupby(everything["annotator"].astype(str)).sum()
    group = index.get_indexer(pd.Index(compared["annotator"].astype(str)))
    others = grouped_agreement(label_codes(compared["verdict"]), label_codes(compared["others"]), group, len(names))
    table = pd.DataFrame(
        {
            "annotator": names,
            "labels": labels["verdict"].notna().groupby(who).sum().reindex(index).to_numpy(dtype=int),
            "n_with_others": others["n"].astype(int),
            "with_others": others["accuracy"],
            "kappa_with_others": others["cohen_kappa"],
            "others_split": split.reindex(index).fillna(0).to_numpy(dtype=int),
        }
    )
    if verdicts is not None:
        judged = agreement_by_group(labels, verdicts, who).reindex(index)
        table["n_with_judge"] = judged["n"].fillna(0).to_numpy(dtype=int)
        table["with_judge"] = judged["accuracy"].to_numpy(dtype=float)
        table["kappa_with_judge"] = judged["cohen_kappa"].to_numpy(dtype=float)
    return table[columns]


def krippendorff_alpha(labels: pd.DataFrame) -> float | None:
    """Krippendorff's alpha (nominal) over all annotators; comparisons may miss any number of labels.

    Computed by the ``krippendorff`` package from the (comparisons x labels) count table, which is
    its ``value_counts`` input and avoids building an annotators x comparisons matrix. Comparisons
    with fewer than two labels carry no pairable values and are left out (they would add nothing).
    None when alpha is undefined (no comparison labelled twice, or a single label value in use).
    """
    import krippendorff

    coded = _coded_labels(labels)
    if coded is None or len(coded.values) < 2:
        return None
    counts = coded.value_counts()
    counts = counts[counts.sum(axis=1) >= 2]
    if len(counts) == 0:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = float(krippendorff.alpha(value_counts=counts, level_of_measurement="nominal"))
    return alpha if np.isfinite(alpha) else None


def fleiss_kappa(labels: pd.DataFrame) -> float | None:
    """Fleiss' kappa (statsmodels.stats.inter_rater.fleiss_kappa, method="fleiss").

    Fleiss' kappa needs the same number of ratings for every subject, so it uses ONLY the
    comparisons labelled by the modal number of annotators (the most common count among
    comparisons with at least two labels; a tie between counts goes to the larger count). Which
    annotators gave the labels does not matter. Use krippendorff_alpha for all comparisons;
    ``fleiss_basis`` also says how many comparisons the kappa read (the reports print that n).
    None when undefined (no comparison labelled twice, or every label the same value).
    """
    return fleiss_basis(labels).kappa


@dataclass(frozen=True)
class FleissBasis:
    """Fleiss' kappa and what it was computed on: ``comparisons`` comparisons with ``labels_each`` labels
    each (the modal count), out of ``multi_labelled`` comparisons labelled twice or more."""

    kappa: float | None
    comparisons: int = 0
    labels_each: int = 0
    multi_labelled: int = 0
    comparison_ids: tuple[Any, ...] = ()  # the comparisons it read
    left_out: tuple[tuple[int, int], ...] = ()  # (labels each, comparisons) of the other counts, most first


def fleiss_basis(labels: pd.DataFrame) -> FleissBasis:
    """``fleiss_kappa`` with the comparisons it used (see there for the rule)."""
    coded = _coded_labels(labels)
    if coded is None:
        return FleissBasis(None)
    counts = coded.value_counts()
    raters = counts.sum(axis=1)
    comparisons_per_count = np.bincount(raters)
    comparisons_per_count[:2] = 0
    multi = int(comparisons_per_count.sum())
    if not comparisons_per_count.any():
        return FleissBasis(None)
    modal = len(comparisons_per_count) - 1 - int(np.argmax(comparisons_per_count[::-1]))
    # Imported here: statsmodels adds ~0.3 s to the app's start-up and only this function needs it.
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = float(statsmodels_fleiss_kappa(counts[raters == modal], method="fleiss"))
    used = int(comparisons_per_count[modal])
    read = tuple(coded.comparisons.to_numpy()[: len(raters)][raters == modal].tolist())
    others = [(int(n), int(k)) for k, n in enumerate(comparisons_per_count) if n and k != modal]
    left_out = tuple((k, n) for n, k in sorted(others, key=lambda pair: (-pair[0], pair[1])))
    return FleissBasis(kappa if np.isfinite(kappa) else None, used, modal, multi, read, left_out)


#: Where the labels Fleiss' kappa read come from, said when every label is counted but some are imported
#: (s13 newfeat 7: κ 1.000 over the 12 items only PandaLM's three annotators labelled, while the session's
#: people disagreed): ``InterAnnotator.fleiss_source``.
FLEISS_SOURCE_WORDS = {
    "imported": "all of them imported labels: for the sessions' own people see κ by pair, or choose a session",
    "sessions": "all of them labels from sessions: choose 'imported labels' for the imported ones",
}


#: Why Fleiss' kappa leaves comparisons out (statsmodels' ``fleiss_kappa`` takes a table with the same number of
#: ratings per subject; Krippendorff's α, reported beside it, takes any number).
FLEISS_NEEDS = "Fleiss' kappa needs the same number of labels on each"


def fleiss_basis_words(
    comparisons: int,
    labels_each: int,
    multi_labelled: int,
    alpha_word: str = "α",
    source: str | None = None,
    left_out: Sequence[tuple[int, int]] = (),
) -> str:
    """What Fleiss' kappa was computed on, in the words every report prints beside it: "48 comparisons with 5
    labels each" when it read every comparison labelled twice or more, else why it did not and what it left out
    (s14 steward: "702 comparisons with 3 labels each" of 999 said neither): "702 of 999 comparisons, those with
    3 labels each: Fleiss' kappa needs the same number of labels on each; 297 with 4 labels left out;
    Krippendorff's α uses all 999". ``left_out``: (labels each, comparisons) of the other counts. Over all labels
    with imported ones among them, where the labels it read come from (``source``: ``FLEISS_SOURCE_WORDS``).
    Empty when no kappa was computed."""
    if not comparisons:
        return ""
    source_words = f", {FLEISS_SOURCE_WORDS[source]}" if source in FLEISS_SOURCE_WORDS else ""
    if multi_labelled <= comparisons:
        noun = "comparison" if comparisons == 1 else "comparisons"
        return f"{comparisons} {noun} with {labels_each} labels each{source_words}"
    if left_out:
        groups = [f"{n} with {k} labels" for k, n in left_out]
        dropped = ", ".join(groups[:-1]) + (" and " if len(groups) > 1 else "") + groups[-1]
    else:  # a caller that does not know the other counts
        dropped = f"{multi_labelled - comparisons} with other counts"
    return (
        f"{comparisons} of {multi_labelled} comparisons, those with {labels_each} labels each{source_words}: "
        f"{FLEISS_NEEDS}; {dropped} left out; Krippendorff's {alpha_word} uses all {multi_labelled}"
    )


def _label_pairs(coded: _CodedLabels) -> tuple[npt.NDArray[np.int64], ...]:
    """Every pair of labels two different annotators gave to the same comparison.

    Returns (annotator a, annotator b, value of a, value of b) with a < b. Vectorised: rows are
    sorted by comparison and row i is paired with row i + d for d = 1, 2, ... while both lie in the
    same comparison, so the work is proportional to the number of pairs.
    """
    order = np.argsort(coded.comparison, kind="stable")
    annotator, value = coded.annotator[order], coded.value[order]
    sizes = np.bincount(coded.comparison, minlength=coded.n_comparisons)
    sizes = sizes[sizes > 0]
    starts = np.cumsum(sizes) - sizes
    later = np.repeat(starts + sizes, sizes) - np.arange(len(order)) - 1  # rows after this one, same comparison
    firsts, seconds, first_values, second_values = [], [], [], []
    rows, step = np.flatnonzero(later >= 1), 1
    while rows.size:
        a, b = annotator[rows], annotator[rows + step]
        va, vb = value[rows], value[rows + step]
        swap = a > b
        firsts.append(np.where(swap, b, a))
        seconds.append(np.where(swap, a, b))
        first_values.append(np.where(swap, vb, va))
        second_values.append(np.where(swap, va, vb))
        step += 1
        rows = rows[later[rows] >= step]
    if not firsts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    return tuple(np.concatenate(part) for part in (firsts, seconds, first_values, second_values))


def pairwise_cohen_kappa(labels: pd.DataFrame) -> pd.DataFrame:
    """Cohen's kappa between every two annotators, over the comparisons both of them labelled.

    A symmetric annotator x annotator DataFrame (sorted names; 1.0 on the diagonal; NaN where two
    annotators share no comparison or kappa is undefined because both used one and the same label).
    scikit-learn's cohen_kappa_score computes each entry from that pair's label cross-tabulation
    (weighted cells), so the cost is one vectorised pass over label pairs plus one call per pair.
    """
    from sklearn.metrics import cohen_kappa_score

    coded = _coded_labels(labels)
    if coded is None:
        return pd.DataFrame()
    names = [str(name) for name in coded.annotators]
    n_annotators, n_values = len(names), len(coded.values)
    matrix = np.full((n_annotators, n_annotators), np.nan)
    np.fill_diagonal(matrix, 1.0)
    first, second, first_value, second_value = _label_pairs(coded)
    size = n_annotators * n_annotators * n_values * n_values
    keys, counts = _tally(((first * n_annotators + second) * n_values + first_value) * n_values + second_value, size)
    pair, cell = keys // (n_values * n_values), keys % (n_values * n_values)
    bounds = np.flatnonzero(np.diff(pair)) + 1
    if len(keys):
        starts = np.concatenate(([0], bounds))
        value_labels = list(range(n_values))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # undefined kappa (one shared label) -> NaN, as documented
            for start, pair_cells, pair_counts in zip(
                starts, np.split(cell, bounds), np.split(counts, bounds), strict=True
            ):
                a, b = divmod(int(pair[start]), n_annotators)
                kappa = cohen_kappa_score(
                    pair_cells // n_values, pair_cells % n_values, labels=value_labels, sample_weight=pair_counts
                )
                matrix[a, b] = matrix[b, a] = float(kappa)
    order = np.argsort(names, kind="stable")
    frame = pd.DataFrame(matrix, index=names, columns=names)
    return frame.iloc[order, order]


@dataclass(frozen=True)
class InterAnnotator:
    """Agreement among people: over comparisons labelled by two or more of them."""

    multi_labelled: int  # comparisons with at least two labels
    fleiss_kappa: float | None  # statsmodels; only comparisons with the modal number of labels
    krippendorff_alpha: float | None  # nominal, every comparison labelled twice or more
    pairwise_kappa: pd.DataFrame  # annotator x annotator Cohen's kappa (NaN: nothing shared / undefined)
    shared: pd.DataFrame  # annotator x annotator: comparisons both labelled
    fleiss_comparisons: int = 0  # the comparisons Fleiss' kappa read (those with the modal number of labels)
    fleiss_labels_each: int = 0  # that modal number
    # over labels of both kinds: "imported" / "sessions" when every label Fleiss read is of one kind, else None
    fleiss_source: str | None = None
    fleiss_left_out: tuple[tuple[int, int], ...] = ()  # (labels each, comparisons) Fleiss' kappa left out

    @property
    def fleiss_basis(self) -> str:
        """ "48 comparisons with 5 labels each", or what it left out and why (``fleiss_basis_words``)."""
        return fleiss_basis_words(
            self.fleiss_comparisons,
            self.fleiss_labels_each,
            self.multi_labelled,
            source=self.fleiss_source,
            left_out=self.fleiss_left_out,
        )


def fleiss_source(labels: pd.DataFrame, read: tuple[Any, ...], imported: frozenset[tuple[int, str]]) -> str | None:
    """Where the labels on the comparisons Fleiss' kappa ``read`` come from: "imported" when every one of them
    is in ``imported`` ((comparison_id, annotator) of the labels given in no session), "sessions" when none
    is, None when both kinds are there (or nothing was read)."""
    if not read or not imported:
        return None
    rows = labels[labels["comparison_id"].isin(read)]
    keys = zip(rows["comparison_id"].astype(int), rows["annotator"].astype(str), strict=True)
    kinds = {key in imported for key in keys}
    return {frozenset({True}): "imported", frozenset({False}): "sessions"}.get(frozenset(kinds))


def inter_annotator(labels: pd.DataFrame, imported: frozenset[tuple[int, str]] | None = None) -> InterAnnotator:
    """Every inter-annotator figure of ``labels`` (comparison_id, annotator, verdict). ``imported``: the
    imported labels' keys when ``labels`` mixes them with sessions' labels (``LabelScope.mixed``), so that
    Fleiss' kappa can say when it read one kind only (``fleiss_source``)."""
    from scipy import sparse

    if labels.empty:
        return InterAnnotator(0, None, None, pd.DataFrame(), pd.DataFrame())
    per_comparison = labels.groupby("comparison_id").size()
    kappa = pairwise_cohen_kappa(labels)
    # comparisons each two annotators both labelled: (annotators x comparisons) incidence times its transpose
    who, names = pd.factorize(labels["annotator"].astype(str))
    what, comparisons = pd.factorize(labels["comparison_id"])
    incidence = sparse.csr_matrix((np.ones(len(who)), (who, what)), shape=(len(names), len(comparisons)))
    incidence.data[:] = 1.0  # (duplicates were summed: count each comparison once)
    shared = pd.DataFrame((incidence @ incidence.T).toarray(), index=names, columns=names).astype(int)
    shared = shared.reindex(index=kappa.index, columns=kappa.columns)
    fleiss = fleiss_basis(labels)
    return InterAnnotator(
        int((per_comparison >= 2).sum()),
        fleiss.kappa,
        krippendorff_alpha(labels),
        kappa,
        shared,
        fleiss.comparisons if fleiss.kappa is not None else 0,
        fleiss.labels_each if fleiss.kappa is not None else 0,
        fleiss_source(labels, fleiss.comparison_ids, imported) if imported and fleiss.kappa is not None else None,
        fleiss.left_out if fleiss.kappa is not None else (),
    )


ANNOTATOR_TABLE_COLUMNS = [
    "annotator",
    "kind",
    "labels",
    "skipped",
    "flagged",
    "n_with_others",
    "with_others",
    "kappa_with_others",
    "others_split",
    "n_gold",
    "gold_accuracy",
    "median_time_s",
]


def _first_answers(labels: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    """``labels`` with each verdict replaced by the label's first (non-skip) verdict where ``info``
    (label details) records one."""
    if info.empty or "first_verdict" not in info:
        return labels
    first = info[["comparison_id", "annotator", "first_verdict"]].dropna(subset=["first_verdict"])
    merged = labels.merge(first, on=["comparison_id", "annotator"], how="left")
    return merged.assign(verdict=merged["first_verdict"].where(merged["first_verdict"].notna(), merged["verdict"]))


def _gold_checks_taken(graded: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    """The labels on gold comparisons that were gold checks: given in a session, or shown through a lease
    (a recorded left/right order), or saved once the comparison was gold. A label imported from a file
    (no session, no order) before the comparison was marked gold was never a check, and scoring it gave
    imported annotators "1.00 (n=4)" for checks they never took (tester report s12 "crowd", finding 3).
    Without ``info``'s session and gold_marked_at columns (``Store.label_sources``) every label counts."""
    needed = {"session", "gold_marked_at", "presented_swapped", "created_at"}
    if info.empty or not needed <= set(info.columns):
        return graded
    source = info[["comparison_id", "annotator", *sorted(needed)]]
    merged = graded.merge(source, on=["comparison_id", "annotator"], how="left")
    marked = pd.to_datetime(merged["gold_marked_at"])
    after_mark = pd.to_datetime(merged["created_at"]) >= marked
    taken = merged["session"].notna() | merged["presented_swapped"].notna() | after_mark.fillna(False)
    return graded[taken.to_numpy(dtype=bool)]


def annotator_table(
    labels: pd.DataFrame, details: pd.DataFrame | None = None, gold: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per annotator (everyone with a label or, in ``details``, a skip), sorted by name.

    * labels: current pairwise labels; with ``details`` (``Store.label_details``) also kind, skips,
      flagged items and the median time on item over non-skipped labels with a recorded time;
    * with_others / kappa_with_others / n_with_others / others_split: ``annotator_agreement``;
    * gold_accuracy / n_gold: the share of the annotator's labels on gold comparisons (``gold``:
      comparison_id, verdict) equal to the gold answer, each scored by its first answer that was no skip
      (``details``' ``first_verdict``, where given): the known answer is shown after it, so a later edit
      would score what was shown.

    NaN (None for kind) where there is nothing to compare. Agreement with a judge run is per run:
    ``annotator_agreement(labels, verdicts)``.
    """
    people = annotator_agreement(labels).set_index("annotator")
    names = set(people.index)
    info = pd.DataFrame()
    if details is not None and not details.empty:
        info = details.assign(annotator=details["annotator"].astype(str))
        names |= set(info["annotator"])
    table = people.reindex(sorted(names))
    table.index.name = "annotator"
    table["kind"] = None
    table["skipped"] = table["flagged"] = 0
    table["median_time_s"] = np.nan
    if not info.empty:
        grouped = info.groupby("annotator")
        table["kind"] = grouped["kind"].last()
        table["skipped"] = grouped["skipped"].agg(lambda s: int(s.astype(bool).sum()))
        table["flagged"] = grouped["flagged"].agg(lambda s: int(s.astype(bool).sum()))
        timed = info[~info["skipped"].astype(bool) & info["time_on_item_ms"].notna()]
        table["median_time_s"] = timed.groupby("annotator")["time_on_item_ms"].median() / 1000.0
    table["n_gold"], table["gold_accuracy"] = 0, np.nan
    if gold is not None and not gold.empty and not labels.empty:
        mine = _first_answers(labels.assign(annotator=labels["annotator"].astype(str)), info)
        graded = mine.merge(gold[["comparison_id", "verdict"]], on="comparison_id", suffixes=("", "_gold"))
        graded = _gold_checks_taken(graded, info)
        equal = (graded["verdict"].astype(str) == graded["verdict_gold"].astype(str)).groupby(graded["annotator"])
        table["n_gold"], table["gold_accuracy"] = equal.size(), equal.mean()
    counts = ["labels", "skipped", "flagged", "n_with_others", "others_split", "n_gold"]
    table[counts] = table[counts].fillna(0).astype(int)
    rates = ["with_others", "kappa_with_others", "gold_accuracy", "median_time_s"]
    table[rates] = table[rates].astype(float)
    return table.reset_index()[ANNOTATOR_TABLE_COLUMNS]
