"""The judge checkup: run a judge over public pairs whose better response is known, in both orders.

``run_checkup`` imports each suite's dataset when the database lacks it (from ``../shared/data`` or
the folder given), judges every pair (or ``limit`` pairs, spread over the categories) in the original
order and again with the two responses swapped, stores both as verdicts of one judge run (the
swapped ones with ``swapped=True``, mapped back to the original order), and returns the figures of
``analysis.checkup`` per suite. Pairs this run already judged in an order are not judged again, so
a checkup stopped half-way goes on where it stopped.

Why not ``Studio.judge_dataset``: it judges the original order only. And why each order on its own:
a judge set to average its verdict over both orders (the demo judge's constrained verdicts) would
give the same verdict after the swap by construction, so agreement would measure nothing; each
order is judged with ``both_orders`` off, the same loaded model (``Judge.with_settings``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.checkup import CheckupResult, checkup, format_checkup
from analysis.report_text import counted
from annotation_store import NewVerdict, Store, StoreError, StoreNotFound
from interchange.evalbiasbench import old_layout_note
from judge_runtime import Judge, JudgeInputError, JudgeResult, PairCase
from judge_runtime.profiles import swapped as swap_case
from orchestration.checkup_names import DEFAULT_DATA_DIR
from orchestration.checkup_suites import SUITES, Suite, checkup_pairs, judged_pairs, suite_named
from orchestration.service import JudgeActivity, Studio, to_case, to_new_verdict

__all__ = [
    "DEFAULT_DATA_DIR",
    "SUITES",
    "CheckupProgress",
    "CheckupReport",
    "Suite",
    "SuiteCheckup",
    "checkup_pairs",
    "run_checkup",
    "stored_checkup",
    "suite_named",
]


#: ``on_progress(suite, done, total)``: judgments finished of this suite's total.
CheckupProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SuiteCheckup:
    """One suite's checkup: the run it was stored in, what was judged now, and the figures."""

    suite: str
    title: str
    dataset: str
    category_name: str
    run_id: int
    judged: int  # judgments made now (two per new pair)
    skipped: int  # judgments this run already held
    result: CheckupResult

    def table(self, judge_name: str = "") -> str:
        """The figures as a plain-text table, titled with the suite, the judge and the run."""
        who = f" · judge {judge_name}" if judge_name else ""
        title = f"{self.title}{who} · run {self.run_id} · {counted(self.result.overall.pairs, 'pair')}, both orders"
        return format_checkup(self.result, title, label=self.category_name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "title": self.title,
            "dataset": self.dataset,
            "category_name": self.category_name,
            "run_id": self.run_id,
            "judged": self.judged,
            "skipped": self.skipped,
            **self.result.to_dict(),
        }


@dataclass(frozen=True)
class CheckupReport:
    """A judge's checkup over one or more suites."""

    judge: str  # the judge's model
    profile: str
    fingerprint: dict[str, Any]
    suites: tuple[SuiteCheckup, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "judge": self.judge,
            "profile": self.profile,
            "fingerprint": self.fingerprint,
            "suites": [suite.to_dict() for suite in self.suites],
        }

    def text(self) -> str:
        return "\n\n".join(suite.table(f"{self.judge} · profile {self.profile}") for suite in self.suites)


def ensure_suite_dataset(store: Store, suite: Suite, data_dir: str | Path | None = None) -> bool:
    """Import the suite's file into its dataset unless the database has it; True when imported now. A dataset
    imported before s15 (the preferred response always first) is refused with the way out (``old_layout_note``)."""
    if suite.dataset in store.dataset_names():
        note = old_layout_note(store, suite.dataset, suite.annotator)
        if note:
            raise StoreError(note)
        return False
    folder = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    path = folder / suite.file
    if not path.is_file():
        raise StoreNotFound(
            f"The {suite.title} file is not at {path}: give the folder that holds {suite.file} "
            "(command line: --data DIR; Admin page: the data folder box)."
        )
    suite.importer(store, path)
    return True


def per_order_judge(judge: Judge) -> Judge:
    """The judge with ``both_orders`` off when it averages over both orders itself (see the module docstring)."""
    if not judge.fingerprint.get("both_orders"):
        return judge
    try:
        return judge.with_settings(both_orders=False)
    except JudgeInputError as exc:
        raise StoreError(
            f"This judge averages its verdicts over both orders and cannot be set to judge one order ({exc}); "
            "load it with both orders off."
        ) from exc


def _save_result(store: Store, run_id: int, comparison_id: int, is_swapped: bool, result: JudgeResult) -> None:
    """Store one order's verdict in the original order (a swapped verdict and its probabilities mapped back)."""
    new = to_new_verdict(comparison_id, result)
    if is_swapped:
        back = {"1": "2", "2": "1"}.get(new.verdict or "", new.verdict)  # judge_runtime's unswap, on stored words
        new = replace(new, swapped=True, verdict=back, p_1=new.p_2, p_2=new.p_1)
    store.save_verdict(run_id, new)


def _todo(store: Store, run_id: int, dataset: str, ids: Sequence[int]) -> list[tuple[int, bool]]:
    """(comparison id, swapped) of the judgments ``ids`` still need in this run, original order first."""
    stored = store.judge_verdicts(dataset)
    done = {(int(c), bool(s)) for c, s in stored.loc[stored["run_id"] == run_id, ["comparison_id", "swapped"]].values}
    return [(i, s) for i in ids for s in (False, True) if (i, s) not in done]


def judge_both_orders(
    store: Store,
    judge: Judge,
    dataset: str,
    ids: Sequence[int],
    *,
    batch_size: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
    activity: JudgeActivity | None = None,
) -> tuple[int, int, int]:
    """Judge comparisons ``ids`` in both orders with ``judge`` (one order at a time) into its run.

    Returns (run id, judgments made now, judgments already stored). A case the judge refuses (an empty
    response, too long for its context) is stored with status "error" and the reason, never as a verdict.
    ``activity``: the Studio's, to count the run as in use while judging (``JudgeActivity.claim_run``), so
    that a failing ``judge_dataset`` of the same process does not delete it meanwhile (review 2 of s14, 3).
    """
    ensure = partial(store.ensure_judge_run, judge.fingerprint_key, judge.fingerprint)
    if activity is None:
        return _judge_both_orders(store, judge, ensure(), dataset, ids, batch_size, on_progress)
    run_id = activity.claim_run(ensure)
    try:
        return _judge_both_orders(store, judge, run_id, dataset, ids, batch_size, on_progress)
    finally:
        activity.release_run(run_id)


def _judge_both_orders(
    store: Store,
    judge: Judge,
    run_id: int,
    dataset: str,
    ids: Sequence[int],
    batch_size: int,
    on_progress: Callable[[int, int], None] | None,
) -> tuple[int, int, int]:
    """``judge_both_orders`` once its run is found (and claimed)."""
    todo = _todo(store, run_id, dataset, ids)
    cases: list[PairCase] = []
    owners: list[tuple[int, bool]] = []
    texts = {i: to_case(store.get_comparison(i)) for i in dict.fromkeys(i for i, _ in todo)}
    for comparison_id, is_swapped in todo:
        case = swap_case(texts[comparison_id]) if is_swapped else texts[comparison_id]
        try:
            judge.validate(case)
        except JudgeInputError as exc:
            store.save_verdict(run_id, _refused(comparison_id, is_swapped, str(exc)))
            continue
        cases.append(case)
        owners.append((comparison_id, is_swapped))
    finished = len(todo) - len(cases)

    def save(index: int, result: JudgeResult) -> None:
        nonlocal finished
        _save_result(store, run_id, *owners[index], result)
        finished += 1
        if on_progress is not None:
            on_progress(finished, len(todo))

    if on_progress is not None:
        on_progress(finished, len(todo))
    if cases:
        judge.judge_many(cases, batch_size=batch_size, on_result=save, progress=False)
    return run_id, len(todo), 2 * len(ids) - len(todo)


def _refused(comparison_id: int, is_swapped: bool, why: str) -> NewVerdict:
    """A judgment the judge refused before running: no verdict, status "error", the reason as its output."""
    return NewVerdict(comparison_id=comparison_id, verdict=None, status="error", raw_output=why, swapped=is_swapped)


def suite_result(
    store: Store, suite: Suite, run_id: int, pairs: pd.DataFrame, margin: float | None = None
) -> CheckupResult:
    """The figures of run ``run_id`` on ``pairs`` of the suite (from what the store holds)."""
    verdicts = store.judge_verdicts(suite.dataset)
    return checkup(verdicts[verdicts["run_id"] == run_id], pairs, margin=margin)


def run_checkup(
    source: Studio | Store,
    judge: Judge | None = None,
    *,
    suites: Sequence[str] = ("evalbiasbench",),
    limit: int | None = None,
    data_dir: str | Path | None = None,
    on_progress: CheckupProgress | None = None,
    batch_size: int | None = None,
    margin: float | None = None,
) -> CheckupReport:
    """Check a judge on each suite in both orders; the figures per category and overall (see the module docstring).

    ``source``: a Studio (its judge and batch size unless given) or a Store (then ``judge`` is needed).
    ``limit``: at most this many pairs per suite, taken in turn from each category. ``data_dir``: the
    folder holding the suites' files (default ``../shared/data``), read only when a dataset is absent.
    ``on_progress(suite, done, total)`` as judgments finish. ``margin``: the uncertain rule's (default:
    the Studio's ``uncertain_margin`` setting, else ``analysis.verdicts``' default).
    """
    store = source.store if isinstance(source, Studio) else source
    if judge is None:
        if not isinstance(source, Studio):
            raise StoreError("run_checkup needs a judge when it is given a store.")
        judge = source.judge()
    if batch_size is None:
        batch_size = source.settings.batch_size if isinstance(source, Studio) else 1
    if margin is None and isinstance(source, Studio):
        margin = source.settings.uncertain_margin
    activity = source.activity if isinstance(source, Studio) else None  # the Admin page's checkup, in-process
    chosen = [suite_named(name) for name in dict.fromkeys(suites)]
    if not chosen:
        raise StoreError(f"Name at least one checkup suite ({', '.join(SUITES)}).")
    if limit is not None and limit < 1:
        raise StoreError(f"--limit must be at least 1, got {limit}.")
    one_order = per_order_judge(judge)
    results = []
    for suite in chosen:
        ensure_suite_dataset(store, suite, data_dir)
        pairs = checkup_pairs(store, suite, limit)

        def progress(done: int, total: int, name: str = suite.name) -> None:
            if on_progress is not None:
                on_progress(name, done, total)

        ids = pairs["comparison_id"].astype(int).tolist()
        run_id, judged, skipped = judge_both_orders(
            store, one_order, suite.dataset, ids, batch_size=batch_size, on_progress=progress, activity=activity
        )
        result = suite_result(store, suite, run_id, pairs, margin)
        results.append(
            SuiteCheckup(suite.name, suite.title, suite.dataset, suite.category_name, run_id, judged, skipped, result)
        )
    fingerprint = dict(one_order.fingerprint)
    return CheckupReport(str(fingerprint.get("model", "")), one_order.profile.name, fingerprint, tuple(results))


def stored_checkup(store: Store, run_id: int, suite: str = "evalbiasbench") -> SuiteCheckup | None:
    """The figures of a judge run already stored on a suite's dataset (no judge needed, nothing judged):
    the pairs it judged in either order. None when the dataset is absent or the run judged none of it.
    For pages that show a checkup after the fact (the dashboard, the report)."""
    chosen = suite_named(suite)
    if chosen.dataset not in store.dataset_names():
        return None
    verdicts = store.judge_verdicts(chosen.dataset)
    mine = verdicts[verdicts["run_id"] == run_id]
    if mine.empty:
        return None
    result = checkup(mine, judged_pairs(store, chosen, mine))
    return SuiteCheckup(chosen.name, chosen.title, chosen.dataset, chosen.category_name, run_id, 0, 0, result)
