"""Which verdict counts: the one rule every figure uses, for people and for judges.

* People: each comparison's **majority label** (most frequent; equal top counts give "tie"), and per
  vote every current label.
* A judge run: per comparison, the **latest verdict in the original presentation order**
  (``verdict_that_counts``). Its status is kept: an output without a verdict is not a vote, it is
  counted as unparsed and left out of agreement (never turned into a tie).
* A run judged in both orders: the two orders' own latest parsed verdicts, side by side
  (``orders_side_by_side``), combined by PandaLM's maintainers' rule (``combine_orders``): both
  agree -> that verdict; otherwise -> "tie"; a comparison without a parsed verdict in both orders is
  "incomplete". Swap consistency and first-position preference are measured on those per-order
  verdicts only, never on a verdict a judge averaged over both orders (see ``analysis.bias``).

* **Uncertain** (``outcome`` for one verdict, ``with_outcomes`` for a frame; issue 14): a parsed verdict
  that carries probabilities (p_1, p_2, p_tie: constrained / forward-pass verdicts, remote logprobs)
  whose top two probabilities lie less than ``margin`` apart (default ``UNCERTAIN_MARGIN``) is a coin
  flip, not a verdict. It gets status "uncertain", its verdict moves to ``leaning`` (verdict None), and
  every figure counts it on its own (``judge_uncertain``, ``n_uncertain``, the win table's
  ``uncertain``), never as a win, a tie or an unparsed output. Applied when the rows are read, so a
  new margin needs no re-judging; rows without probabilities are never uncertain.

Verdict labels are the strings "1" (response 1 better), "2" (response 2 better) and "tie".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.defaults import UNCERTAIN_MARGIN

LABELS = ["1", "2", "tie"]
DECISIVE = ["1", "2"]
ORDERS = ("original", "swapped", "combined")
UNCERTAIN = "uncertain"
#: The store's probability columns, in LABELS order (canonical order: "1" is always response 1).
PROBABILITY_COLUMNS = ("p_1", "p_2", "p_tie")
#: Statuses that carry a verdict (the uncertain one in ``leaning``): a vote was cast, decisive or not.
VOTED = ("ok", UNCERTAIN)
#: The verdict an output without a decisive verdict (uncertain, unparsed, truncated) gets where it counts as a
#: disagreement (``no_verdict_as_wrong``): it matches no label.
NO_VERDICT = "no verdict"
#: Statuses of comparisons the judge was not asked about or whose call failed (an empty response refused under
#: ``empty_response`` "leave-out", a server error): not judged, so left out rather than counted as wrong.
NOT_JUDGED = ("error",)


def no_verdict_as_wrong(verdicts: pd.DataFrame) -> pd.DataFrame:
    """The one rule of the headline accuracy and the alternative-annotator test (s15 methodologist, finding 1): a
    judged comparison without a decisive verdict (uncertain, unparsed, truncated) counts as a disagreement, so a
    judge that abstains on the hard items is not rewarded for it. Such rows get verdict ``NO_VERDICT`` and status
    "ok"; rows of ``NOT_JUDGED`` statuses are dropped (never judged)."""
    if verdicts.empty or "status" not in verdicts.columns:
        return verdicts
    judged = verdicts[~verdicts["status"].isin(NOT_JUDGED)]
    decisive = (judged["status"] == "ok") & judged["verdict"].notna()
    return judged.assign(verdict=judged["verdict"].where(decisive, NO_VERDICT), status="ok")


def top_two_margin(probabilities: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Per row of (p(1), p(2), p(tie)): the largest minus the second largest probability.

    NaN for a row without probabilities (p(1) missing); a missing p(2) or p(tie) beside a present p(1)
    counts as 0, as the store reads them."""
    table = np.atleast_2d(np.asarray(probabilities, dtype=float))
    missing = np.isnan(table[:, 0])
    ordered = np.sort(np.nan_to_num(table, nan=0.0), axis=1)
    return np.where(missing, np.nan, ordered[:, -1] - ordered[:, -2])


def _below(margins: npt.NDArray[np.float64], margin: float) -> npt.NDArray[np.bool_]:
    """The one comparison behind "uncertain": a margin strictly below the setting (NaN: never)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(margins < margin, dtype=bool)


def outcome(
    verdict: str | None,
    status: str | None = "ok",
    probabilities: Mapping[str, float] | None = None,
    margin: float = UNCERTAIN_MARGIN,
) -> str:
    """One verdict's outcome: "1", "2", "tie", "uncertain", or its status when it has no verdict
    ("unparsed", "truncated", "incomplete", ...).

    ``probabilities``: {"1", "2", "tie"} as the store and ``VerdictView.probabilities`` give them (None:
    the judge gave none, so the verdict is never uncertain). What every page, export and figure shows.
    """
    if status is not None and status != "ok":
        return str(status)
    if verdict not in LABELS:
        return "unparsed"
    if probabilities:
        row = [[probabilities.get(label, 0.0) for label in LABELS]]
        if _below(top_two_margin(row), margin)[0]:
            return UNCERTAIN
    return str(verdict)


def probability_table(verdicts: pd.DataFrame) -> npt.NDArray[np.float64]:
    """rows x 3 probabilities (p(1), p(2), p(tie)) from the store's p_1 / p_2 / p_tie columns or from a
    ``probabilities`` column of dicts (the pipeline's records); NaN rows where there are none."""
    if all(c in verdicts.columns for c in PROBABILITY_COLUMNS):
        return verdicts[list(PROBABILITY_COLUMNS)].to_numpy(dtype=float, na_value=np.nan)
    table = np.full((len(verdicts), 3), np.nan)
    if "probabilities" in verdicts.columns:
        for i, given in enumerate(verdicts["probabilities"].to_numpy(dtype=object)):
            if isinstance(given, Mapping) and given:
                table[i] = [float(given.get(label) or 0.0) for label in LABELS]
    return table


def with_outcomes(verdicts: pd.DataFrame, margin: float = UNCERTAIN_MARGIN) -> pd.DataFrame:
    """``verdicts`` with the uncertain rule applied (``outcome``, for a whole frame at once).

    Adds ``margin`` (top two probabilities' gap; NaN without probabilities), ``leaning`` (the verdict
    an uncertain row would have given, else None) and ``outcome`` (``outcome()`` of each row). Rows
    that become uncertain get status "uncertain" and verdict None, so every figure that reads parsed
    verdicts (status "ok") leaves them out and can count them apart. Rows already marked uncertain stay so.
    """
    frame = verdicts.copy()
    if "status" not in frame.columns:
        frame["status"] = "ok"
    gaps = top_two_margin(probability_table(frame)) if len(frame) else np.empty(0)
    verdict = frame["verdict"].astype(object)
    uncertain = (frame["status"] == "ok").to_numpy() & verdict.isin(LABELS).to_numpy() & _below(gaps, margin)
    values = verdict.to_numpy(dtype=object)
    nothing = np.full(len(frame), None, dtype=object)
    earlier = frame["leaning"].to_numpy(dtype=object) if "leaning" in frame.columns else nothing
    frame["margin"] = gaps
    frame["leaning"] = _objects(np.where(uncertain, values, earlier), frame.index)
    frame["verdict"] = _objects(np.where(uncertain, nothing, values), frame.index)
    frame["status"] = frame["status"].where(~uncertain, UNCERTAIN)
    status = frame["status"].to_numpy(dtype=object)
    frame["outcome"] = _objects(np.where(status == "ok", frame["verdict"].to_numpy(dtype=object), status), frame.index)
    return frame


def _objects(values: npt.NDArray[Any], index: pd.Index) -> pd.Series:
    """A column of Python objects (None stays None, never NaN)."""
    return pd.Series(values.astype(object), index=index, dtype="object")


def majority_labels(labels: pd.DataFrame) -> pd.DataFrame:
    """One label per comparison: the most frequent; a tie between the top counts gives "tie".

    Input columns: comparison_id, verdict (+ any comparison columns, kept from the first row).
    """
    if labels.empty:
        return labels.iloc[0:0]
    counts = labels.groupby(["comparison_id", "verdict"]).size().unstack(fill_value=0)
    table = counts.to_numpy()
    top = table == table.max(axis=1, keepdims=True)
    names = np.array([str(c) for c in counts.columns], dtype=object)
    chosen = np.where(top.sum(axis=1) == 1, names[top.argmax(axis=1)], "tie")
    majority = pd.Series(chosen, index=counts.index, name="verdict").astype(str)
    extra = labels.drop(columns=["verdict", "annotator", "updated_at"], errors="ignore")
    extra = extra.drop_duplicates("comparison_id").set_index("comparison_id")
    return extra.join(majority).reset_index()


def latest_per_comparison(verdicts: pd.DataFrame) -> pd.DataFrame:
    """The last row per comparison (frame order is write order): a re-judged comparison counts once."""
    return verdicts.drop_duplicates("comparison_id", keep="last")


def verdict_that_counts(
    verdicts: pd.DataFrame, *, order: str = "original", by_run: bool = True, margin: float = UNCERTAIN_MARGIN
) -> pd.DataFrame:
    """The judge verdict that counts, one row per (run, comparison), status kept.

    ``verdicts``: rows as ``Store.judge_verdicts`` gives them (comparison_id, verdict, status, and
    optionally run_id, swapped and p_1 / p_2 / p_tie), in write order. ``order``:

    * "original" (the default, what every agreement figure of a stored run uses): the latest verdict
      in the original presentation order;
    * "swapped": the latest in the swapped order (for that order's own accuracy);
    * "combined": ``combine_orders`` of the two (the pipeline's verdict when it judged both orders);
      a run without any swapped-order verdict falls back to "original".

    ``margin``: the uncertain rule (``with_outcomes``) is applied first, so a verdict whose top two
    probabilities lie closer than ``margin`` counts with status "uncertain" (verdict in ``leaning``).
    ``by_run=False`` keeps one row per comparison across runs (the latest written), which is what a
    listing of comparisons shows next to each one.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    has_swapped = "swapped" in verdicts.columns and bool(verdicts["swapped"].astype(bool).any())
    if order == "combined":
        if not has_swapped:
            return verdict_that_counts(verdicts, by_run=by_run, margin=margin)
        if by_run and "run_id" in verdicts.columns:
            parts = [
                combine_orders(rows, margin=margin).assign(run_id=run)
                for run, rows in verdicts.groupby("run_id", sort=False)
            ]
            return pd.concat(parts, ignore_index=True)
        return combine_orders(verdicts, margin=margin)
    rows = with_outcomes(verdicts, margin)
    if "swapped" in rows.columns and not rows.empty:
        swapped = rows["swapped"].astype(bool)
        rows = rows[swapped] if order == "swapped" else rows[~swapped]
    elif order == "swapped":
        rows = rows.iloc[0:0]
    keys = ["run_id", "comparison_id"] if by_run and "run_id" in rows.columns else ["comparison_id"]
    return rows.drop_duplicates(keys, keep="last")


def parsed_orders(verdicts_both_orders: pd.DataFrame, statuses: tuple[str, ...] = ("ok",)) -> pd.DataFrame:
    """Rows with a verdict in LABELS (and a status in ``statuses`` when a status column exists), latest
    per order. ``statuses=VOTED`` also keeps uncertain rows (their verdict read from ``leaning``)."""
    frame = verdicts_both_orders
    if "leaning" in frame.columns:
        frame = frame.assign(verdict=frame["verdict"].where(frame["verdict"].notna(), frame["leaning"]))
    parsed = frame["verdict"].isin(LABELS)
    if "status" in frame.columns:
        parsed &= frame["status"].isin(statuses)
    kept = ["comparison_id", "swapped", "verdict"] + (["status"] if "status" in frame.columns else [])
    rows = frame.loc[parsed, kept]
    rows = rows.assign(swapped=rows["swapped"].astype(bool))
    return rows.drop_duplicates(["comparison_id", "swapped"], keep="last")


def orders_side_by_side(parsed: pd.DataFrame) -> pd.DataFrame:
    """One row per comparison judged in both orders: columns original, swapped (canonical verdicts),
    and status_original / status_swapped when the rows carry a status."""
    kept = ["comparison_id", "verdict"] + (["status"] if "status" in parsed.columns else [])
    original = parsed.loc[~parsed["swapped"], kept]
    swapped = parsed.loc[parsed["swapped"], kept]
    return original.merge(swapped, on="comparison_id", suffixes=("_original", "_swapped"))


def combine_orders(verdicts_both_orders: pd.DataFrame, *, margin: float = UNCERTAIN_MARGIN) -> pd.DataFrame:
    """One verdict per comparison from its two presentation orders (same input as swap_consistency).

    Rule: both orders agree -> that verdict; anything else (one says "1", the other "2"; or one a
    tie and the other decisive) -> "tie". So a verdict only stands when it survives the swap, which
    is how PandaLM / MT-Bench neutralise position bias. When either order's verdict is uncertain
    (``with_outcomes`` at ``margin``), the combination is uncertain too (status "uncertain", the
    rule's verdict in ``leaning``). A comparison without a verdict in both orders gets verdict None and
    status "incomplete" instead of a made-up tie, so the output (columns comparison_id, verdict,
    status, leaning) can be passed straight to human_judge_agreement, which leaves non-"ok" verdicts
    out and counts them apart.
    """
    columns = ["comparison_id", "verdict", "status", "leaning"]
    if verdicts_both_orders.empty:
        return pd.DataFrame(columns=columns)
    applied = with_outcomes(verdicts_both_orders, margin)
    pairs = orders_side_by_side(parsed_orders(applied, VOTED))
    agreed = pairs["verdict_original"] == pairs["verdict_swapped"]
    rule = pairs["verdict_original"].where(agreed, "tie").astype(object)
    certain = (pairs["status_original"] == "ok") & (pairs["status_swapped"] == "ok")
    combined = pd.DataFrame(
        {
            "comparison_id": pairs["comparison_id"],
            "verdict": rule.where(certain, None),
            "status": np.where(certain, "ok", UNCERTAIN),
            "leaning": rule.where(~certain, None),
        }
    )
    everything = applied[["comparison_id"]].drop_duplicates()
    result = everything.merge(combined, on="comparison_id", how="left")
    result["verdict"] = result["verdict"].astype(object).where(result["status"].notna(), None)
    result["leaning"] = result["leaning"].astype(object).where(result["leaning"].notna(), None)
    result["status"] = result["status"].fillna("incomplete")
    return result[columns].reset_index(drop=True)
