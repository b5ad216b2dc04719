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

Verdict labels are the strings "1" (response 1 better), "2" (response 2 better) and "tie".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LABELS = ["1", "2", "tie"]
DECISIVE = ["1", "2"]
ORDERS = ("original", "swapped", "combined")


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


def verdict_that_counts(verdicts: pd.DataFrame, *, order: str = "original", by_run: bool = True) -> pd.DataFrame:
    """The judge verdict that counts, one row per (run, comparison), status kept.

    ``verdicts``: rows as ``Store.judge_verdicts`` gives them (comparison_id, verdict, status, and
    optionally run_id and swapped), in write order. ``order``:

    * "original" (the default, what every agreement figure of a stored run uses): the latest verdict
      in the original presentation order;
    * "swapped": the latest in the swapped order (for that order's own accuracy);
    * "combined": ``combine_orders`` of the two (the pipeline's verdict when it judged both orders);
      a run without any swapped-order verdict falls back to "original".

    ``by_run=False`` keeps one row per comparison across runs (the latest written), which is what a
    listing of comparisons shows next to each one.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    has_swapped = "swapped" in verdicts.columns and bool(verdicts["swapped"].astype(bool).any())
    if order == "combined":
        if not has_swapped:
            return verdict_that_counts(verdicts, by_run=by_run)
        if by_run and "run_id" in verdicts.columns:
            parts = [combine_orders(rows).assign(run_id=run) for run, rows in verdicts.groupby("run_id", sort=False)]
            return pd.concat(parts, ignore_index=True)
        return combine_orders(verdicts)
    rows = verdicts
    if "swapped" in rows.columns and not rows.empty:
        swapped = rows["swapped"].astype(bool)
        rows = rows[swapped] if order == "swapped" else rows[~swapped]
    elif order == "swapped":
        rows = rows.iloc[0:0]
    keys = ["run_id", "comparison_id"] if by_run and "run_id" in rows.columns else ["comparison_id"]
    return rows.drop_duplicates(keys, keep="last")


def parsed_orders(verdicts_both_orders: pd.DataFrame) -> pd.DataFrame:
    """Rows with a verdict in LABELS (and status "ok" when a status column exists), latest per order."""
    frame = verdicts_both_orders
    parsed = frame["verdict"].isin(LABELS)
    if "status" in frame.columns:
        parsed &= frame["status"] == "ok"
    rows = frame.loc[parsed, ["comparison_id", "swapped", "verdict"]]
    rows = rows.assign(swapped=rows["swapped"].astype(bool))
    return rows.drop_duplicates(["comparison_id", "swapped"], keep="last")


def orders_side_by_side(parsed: pd.DataFrame) -> pd.DataFrame:
    """One row per comparison judged in both orders: columns original, swapped (canonical verdicts)."""
    original = parsed.loc[~parsed["swapped"], ["comparison_id", "verdict"]]
    swapped = parsed.loc[parsed["swapped"], ["comparison_id", "verdict"]]
    return original.merge(swapped, on="comparison_id", suffixes=("_original", "_swapped"))


def combine_orders(verdicts_both_orders: pd.DataFrame) -> pd.DataFrame:
    """One verdict per comparison from its two presentation orders (same input as swap_consistency).

    Rule: both orders agree -> that verdict; anything else (one says "1", the other "2"; or one a
    tie and the other decisive) -> "tie". So a verdict only stands when it survives the swap, which
    is how PandaLM / MT-Bench neutralise position bias. A comparison without a parsed verdict in
    both orders gets verdict None and status "incomplete" instead of a made-up tie, so the output
    (columns comparison_id, verdict, status) can be passed straight to human_judge_agreement, which
    leaves non-"ok" verdicts out and counts them as unparsed.
    """
    columns = ["comparison_id", "verdict", "status"]
    if verdicts_both_orders.empty:
        return pd.DataFrame(columns=columns)
    pairs = orders_side_by_side(parsed_orders(verdicts_both_orders))
    agreed = pairs["verdict_original"] == pairs["verdict_swapped"]
    combined = pd.DataFrame(
        {
            "comparison_id": pairs["comparison_id"],
            "verdict": pairs["verdict_original"].where(agreed, "tie").astype(object),
            "status": "ok",
        }
    )
    everything = verdicts_both_orders[["comparison_id"]].drop_duplicates()
    result = everything.merge(combined, on="comparison_id", how="left")
    result["verdict"] = result["verdict"].astype(object).where(result["status"].notna(), None)
    result["status"] = result["status"].fillna("incomplete")
    return result[columns].reset_index(drop=True)
