"""The judge checkup's figures: how a judge does on pairs whose better response is known, in both orders.

Why both orders: a judge that always picks the first response shown scores the share of pairs whose better
response is first (EvalBiasBench and HHH imported before session 15 put it first everywhere: 100%); judged
again with the responses swapped, it scores the rest. So the checkup reports, per category (bias type, HHH subset) and
overall:

* per-order accuracy: right in the original order, right in the swapped order, and both orders'
  judgments together;
* pair accuracy: right in both orders (position bias cannot earn it);
* pair agreement: the same verdict (mapped back to the original order) in both orders, right or not;

each beside the **always-first baseline**, computed from the same pairs by the same code (a judge
that always picks the first-shown response: the first-side share / the rest per order, 0 pair accuracy,
0 agreement). Verdicts without a vote (unparsed, truncated, error, not judged in that order) and
uncertain verdicts are counted apart and never count as right; a tie is a vote and is wrong.

Inputs are plain frames (``Store.judge_verdicts`` rows of one run, and the known-better side per
comparison), so every figure can be recomputed from an export. Imports nothing of ours but
``analysis``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.verdicts import DECISIVE, LABELS, UNCERTAIN, verdict_that_counts

OVERALL = "overall"
BASELINE = "always first"
#: Outcome of a pair not judged in one order.
MISSING = "missing"


@dataclass(frozen=True)
class CheckupFigures:
    """One category's figures (or ``overall``). Rates are None when there are no pairs."""

    category: str
    pairs: int
    right_original: int
    right_swapped: int
    right_both: int
    consistent: int
    accuracy_original: float | None
    accuracy_swapped: float | None
    accuracy: float | None  # both orders' judgments together: (right_original + right_swapped) / (2 * pairs)
    pair_accuracy: float | None
    pair_agreement: float | None
    ties: int  # tie verdicts, both orders together (votes, never right: every pair has a better side)
    uncertain: int  # both orders together
    unparsed: int  # no verdict (unparsed, truncated, error, not judged), both orders together
    not_counted: Mapping[str, Mapping[str, int]]  # order -> outcome -> count, for the outcomes without a vote


@dataclass(frozen=True)
class CheckupResult:
    """A judge's figures and the always-first baseline's, per category in first-seen order, then overall."""

    judge: tuple[CheckupFigures, ...]
    baseline: tuple[CheckupFigures, ...]

    @property
    def overall(self) -> CheckupFigures:
        return self.judge[-1]

    @property
    def overall_baseline(self) -> CheckupFigures:
        return self.baseline[-1]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: {"categories": [{category, judge: {...}, always_first: {...}}], "overall": {...}}."""
        rows = [
            {"category": mine.category, "judge": _figures_dict(mine), "always_first": _figures_dict(first)}
            for mine, first in zip(self.judge, self.baseline, strict=True)
        ]
        return {"categories": rows[:-1], "overall": rows[-1]}


def _figures_dict(figures: CheckupFigures) -> dict[str, Any]:
    data = asdict(figures)
    data.pop("category")
    data["not_counted"] = {order: dict(counts) for order, counts in figures.not_counted.items()}
    return data


def _outcomes(verdicts: pd.DataFrame, order: str, ids: Sequence[int], margin: float | None) -> pd.Series:
    """comparison_id -> outcome in ``order``: "1", "2", "tie", "uncertain", a status, or "missing"."""
    if verdicts.empty:
        return pd.Series(MISSING, index=pd.Index(ids, name="comparison_id"), dtype=object)
    given = {} if margin is None else {"margin": margin}
    rows = verdict_that_counts(verdicts, order=order, by_run=False, **given)
    status = rows["status"].astype(object).to_numpy() if "status" in rows.columns else np.full(len(rows), "ok")
    verdict = rows["verdict"].astype(object).to_numpy()
    voted = (status == "ok") & pd.Series(verdict).isin(LABELS).to_numpy()
    values = np.where(voted, verdict, np.where(status == "ok", "unparsed", status))
    found = pd.Series(values, index=rows["comparison_id"].astype(int).to_numpy(), dtype=object)
    return found.reindex(pd.Index(ids, name="comparison_id")).fillna(MISSING).astype(object)


def _rate(count: int, total: int) -> float | None:
    return count / total if total else None


def _figures(category: str, gold: pd.Series, original: pd.Series, swapped: pd.Series) -> CheckupFigures:
    """Figures of the pairs ``gold`` (comparison_id -> "1"/"2") from each order's outcomes."""
    n = len(gold)
    right1 = original.to_numpy() == gold.to_numpy()
    right2 = swapped.to_numpy() == gold.to_numpy()
    both = right1 & right2
    consistent = original.isin(LABELS).to_numpy() & (original.to_numpy() == swapped.to_numpy())
    not_counted = {
        name: {str(k): int(v) for k, v in outcomes[~outcomes.isin(LABELS)].value_counts().sort_index().items()}
        for name, outcomes in (("original", original), ("swapped", swapped))
    }
    uncertain = sum(counts.get(UNCERTAIN, 0) for counts in not_counted.values())
    unparsed = sum(sum(counts.values()) for counts in not_counted.values()) - uncertain
    return CheckupFigures(
        category=category,
        pairs=n,
        right_original=int(right1.sum()),
        right_swapped=int(right2.sum()),
        right_both=int(both.sum()),
        consistent=int(consistent.sum()),
        accuracy_original=_rate(int(right1.sum()), n),
        accuracy_swapped=_rate(int(right2.sum()), n),
        accuracy=_rate(int(right1.sum() + right2.sum()), 2 * n),
        pair_accuracy=_rate(int(both.sum()), n),
        pair_agreement=_rate(int(consistent.sum()), n),
        ties=int((original == "tie").sum() + (swapped == "tie").sum()),
        uncertain=uncertain,
        unparsed=unparsed,
        not_counted=not_counted,
    )


def _by_category(gold: pd.DataFrame, verdicts: pd.DataFrame, margin: float | None = None) -> tuple[CheckupFigures, ...]:
    ids = gold["comparison_id"].astype(int).tolist()
    original = _outcomes(verdicts, "original", ids, margin)
    swapped = _outcomes(verdicts, "swapped", ids, margin)
    better = pd.Series(gold["verdict"].astype(str).to_numpy(), index=original.index, dtype=object)
    categories = gold["category"].fillna("").astype(str).to_numpy()
    rows = [
        _figures(name, better[categories == name], original[categories == name], swapped[categories == name])
        for name in dict.fromkeys(categories)
    ]
    return (*rows, _figures(OVERALL, better, original, swapped))


def always_first_verdicts(gold: pd.DataFrame) -> pd.DataFrame:
    """The verdicts of a judge that always picks the first-shown response, in canonical order: "1" in
    the original order, "2" in the swapped one (response 2 was shown first)."""
    ids = gold["comparison_id"].astype(int).tolist()
    return pd.DataFrame(
        {
            "comparison_id": ids + ids,
            "swapped": [False] * len(ids) + [True] * len(ids),
            "verdict": ["1"] * len(ids) + ["2"] * len(ids),
            "status": ["ok"] * (2 * len(ids)),
        }
    )


def checkup(verdicts: pd.DataFrame, gold: pd.DataFrame, *, margin: float | None = None) -> CheckupResult:
    """The checkup's figures for one judge run.

    ``verdicts``: rows of ONE judge run (comparison_id, swapped, verdict in canonical order, status;
    optionally p_1 / p_2 / p_tie, for the uncertain rule), in write order: the latest per order counts.
    ``gold``: one row per pair to score: comparison_id, verdict (the known-better side, "1" or "2") and
    category. Pairs of ``verdicts`` that are not in ``gold`` are ignored; pairs of ``gold`` without a
    verdict in an order count as "missing" there (never right). ``margin``: the uncertain rule's
    (``analysis.verdicts``; None: its default).
    """
    gold = gold.drop_duplicates("comparison_id", keep="last").reset_index(drop=True)
    if "category" not in gold.columns:
        gold = gold.assign(category="")
    bad = sorted(set(gold["verdict"].astype(str)) - set(DECISIVE))
    if bad:
        raise ValueError(f"the known-better side must be '1' or '2', got {', '.join(map(repr, bad))}")
    rows = verdicts
    if not rows.empty:
        rows = rows[rows["comparison_id"].astype(int).isin(set(gold["comparison_id"].astype(int)))]
        if "swapped" not in rows.columns:
            rows = rows.assign(swapped=False)
    return CheckupResult(_by_category(gold, rows, margin), _by_category(gold, always_first_verdicts(gold)))


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def format_checkup(result: CheckupResult, title: str = "", *, label: str = "") -> str:
    """A plain-text table: one row per category and overall, then the always-first baseline overall.
    ``label`` heads the category column ("bias type")."""
    head = (label, "pairs", "original", "swapped", "pair acc.", "agreement", "ties", "uncertain", "unparsed")
    rows = [
        (
            f.category or "(none)",
            str(f.pairs),
            _percent(f.accuracy_original),
            _percent(f.accuracy_swapped),
            _percent(f.pair_accuracy),
            _percent(f.pair_agreement),
            str(f.ties),
            str(f.uncertain),
            str(f.unparsed),
        )
        for f in result.judge
    ]
    first = result.overall_baseline
    rows.append(
        (
            f"{BASELINE} (baseline)",
            str(first.pairs),
            _percent(first.accuracy_original),
            _percent(first.accuracy_swapped),
            _percent(first.pair_accuracy),
            _percent(first.pair_agreement),
            "",
            "",
            "",
        )
    )
    widths = [max(len(row[i]) for row in (head, *rows)) for i in range(len(head))]
    lines = [title] if title else []
    for index, row in enumerate((head, *rows)):
        if index == len(rows):  # a rule above the baseline
            lines.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


# --------------------------------------------------------------------------- in the report


@dataclass(frozen=True)
class CheckupInput:
    """One stored checkup as the report reads it: a judge run's verdicts on a checkup suite's dataset.

    ``verdicts``: that run's rows on the suite's dataset (both orders, write order); ``gold``: one
    row per pair the run judged in either order: comparison_id, verdict (the known-better side),
    category. ``for_runs``: the report's runs this checkup describes (the same run, or the same judge
    with its verdicts averaged over both orders: the checkup judges each order on its own)."""

    suite: str
    title: str
    dataset: str
    category_name: str
    run_id: int
    model: str
    profile: str
    verdicts: pd.DataFrame
    gold: pd.DataFrame
    for_runs: tuple[int, ...] = ()


@dataclass(frozen=True)
class StoredCheckup:
    """A checkup's figures as the report holds them (``CheckupInput`` without the rows, plus the figures)."""

    suite: str
    title: str
    dataset: str
    category_name: str
    run_id: int
    model: str
    profile: str
    for_runs: tuple[int, ...]
    result: CheckupResult

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: who and where, then ``CheckupResult.to_dict``'s categories and overall."""
        return {
            "suite": self.suite,
            "title": self.title,
            "dataset": self.dataset,
            "category_name": self.category_name,
            "run_id": self.run_id,
            "model": self.model,
            "profile": self.profile,
            "for_run_ids": list(self.for_runs),
            **self.result.to_dict(),
        }


def stored_checkup_figures(given: CheckupInput, margin: float | None = None) -> StoredCheckup:
    """The figures of one stored checkup (``checkup`` on its rows) with who and where it ran."""
    result = checkup(given.verdicts, given.gold, margin=margin)
    return StoredCheckup(
        given.suite,
        given.title,
        given.dataset,
        given.category_name,
        given.run_id,
        given.model,
        given.profile,
        tuple(given.for_runs),
        result,
    )


CHECKUP_RULE = (
    "per judge run that judged a checkup suite (pairs whose better response is known, e.g. EvalBiasBench), "
    "each pair judged in the original and in the swapped order; "
    "accuracy per order, pair accuracy (right in both orders), pair agreement (the same verdict after the "
    "swap, right or not), beside a judge that always picks the response shown first; ties, uncertain and "
    "unparsed verdicts are never right"
)


def checkup_json(checkups: Sequence[StoredCheckup]) -> dict[str, Any]:
    """The report's "checkup" section: the rule in words and one entry per stored checkup."""
    return {"rule": CHECKUP_RULE, "runs": [item.to_dict() for item in checkups]}


def checkup_text_lines(section: Mapping[str, Any] | None) -> list[str]:
    """The text summary's lines for the report's "checkup" section (read from its JSON): the overall
    row per checkup beside the always-first baseline, then the weakest bias type by pair accuracy."""
    if not section or not section.get("runs"):
        return []
    lines = ["Judge checkup (both orders; pair accuracy = right in both orders):"]
    for item in section["runs"]:
        mine, first = item["overall"]["judge"], item["overall"]["always_first"]
        lines.append(
            f"  {item['title']}, run {item['run_id']} ({item['model']}, profile {item['profile']}), "
            f"{mine['pairs']} pairs: accuracy original {_percent(mine['accuracy_original'])} / swapped "
            f"{_percent(mine['accuracy_swapped'])}, pair accuracy {_percent(mine['pair_accuracy'])}, pair "
            f"agreement {_percent(mine['pair_agreement'])}; always first {_percent(first['accuracy_original'])} / "
            f"{_percent(first['accuracy_swapped'])}, {_percent(first['pair_accuracy'])}, "
            f"{_percent(first['pair_agreement'])}"
        )
        rated = [row for row in item["categories"] if row["judge"]["pair_accuracy"] is not None]
        if len(rated) > 1:
            worst = min(rated, key=lambda row: row["judge"]["pair_accuracy"])
            lines.append(
                f"    weakest {item['category_name']}: {worst['category']} (pair accuracy "
                f"{_percent(worst['judge']['pair_accuracy'])} of {worst['judge']['pairs']} pairs)"
            )
    return lines
