"""Removing a dataset (admin only): what it holds, and deleting it with everything that belongs only to it.

One use case for the command line (``judge-studio datasets list|delete|runs|delete-run|merge-runs``), the REST API
(``DELETE /api/v1/datasets/{name}``) and the Admin page: each shows ``contents_text`` first and then calls
``DatasetAdmin.delete``, which the store carries out in one transaction (``Store.delete_dataset``).
Accounts are never deleted. A dataset with an open session is refused unless ``force``: people may be
answering it at that moment.

One judge run of a dataset (``runs``, ``delete_run``, ``merge_runs``; s16 judge-shopper finding 6): a try-out run
deleted without the dataset, two runs of one judge split by imports before session 16 put back together. The store
does each in one transaction (``annotation_store/run_admin.py``); people's labels are never touched.
"""

from __future__ import annotations

from analysis.wording import counted
from annotation_store import Store, StoreError
from annotation_store.dataset_removal import DatasetContents
from annotation_store.run_admin import DatasetRun, RunsMerged
from errors import InvalidInput
from orchestration.access import Access

__all__ = [
    "NO_UNDO",
    "RUN_OR_DATASET",
    "DatasetAdmin",
    "DatasetContents",
    "DatasetRun",
    "RunsMerged",
    "contents_text",
    "merged_text",
    "run_contents_text",
    "run_deleted_text",
    "run_delete_notice",
]

#: Said wherever a delete is confirmed (the CLI's prompt, the Admin page, the REST route's description): the point
#: of no return names the one lossless copy (s14 steward: exports do not import back).
NO_UNDO = "This cannot be undone; `judge-studio backup FILE` makes a copy first."


#: What ``DELETE /api/v1/datasets/{name}/runs/{id}`` may delete (its ``what`` query): one judge run of the dataset
#: ``name``, or the dataset whose whole name is ``{name}/runs/{id}`` (a dataset may be named ``x/runs/3``).
RUN_OR_DATASET = ("run", "dataset")


def contents_text(c: DatasetContents) -> str:
    """ "12 comparisons, 40 responses (20 prompts), 5 labels, ..." : what deleting ``c`` removes."""
    parts = [
        counted(c.comparisons, "comparison"),
        f"{counted(c.responses, 'response')} ({counted(c.prompts, 'prompt')})",
        counted(c.labels, "label"),
        counted(c.ratings, "rating"),
        f"{counted(c.judge_verdicts, 'judge verdict')} and {counted(c.judge_ratings, 'judge rating')} "
        f"({counted(c.judge_runs, 'judge run')})",
        counted(c.gold_marks, "gold mark"),
        counted(c.adjudications, "adjudication"),
        counted(c.sessions, "session"),
    ]
    text = ", ".join(parts)
    if c.open_sessions:
        text += f"; open sessions: {', '.join(c.open_sessions)}"
    return text


def run_contents_text(run: DatasetRun) -> str:
    """ "4 judge verdicts" (and "3 judge ratings" where it has any): what deleting ``run`` from its dataset removes."""
    parts = [counted(run.verdicts, "judge verdict")] if run.verdicts or not run.ratings else []
    parts += [counted(run.ratings, "judge rating")] if run.ratings else []
    return " and ".join(parts)


def run_delete_notice(dataset: str, run: DatasetRun) -> str:
    """What deleting ``run`` from ``dataset`` removes and keeps, said before the confirmation (CLI, Admin page)."""
    return (
        f"Deleting judge {run.label} from the dataset {dataset!r} deletes {run_contents_text(run)}. "
        f"People's labels and ratings and the other judge runs stay. {NO_UNDO}"
    )


def run_deleted_text(dataset: str, deleted: DatasetRun, gone: bool) -> str:
    """ "Deleted judge run 2 from the dataset 'votes': 4 judge verdicts." (``delete_run``'s answer, one wording for
    the CLI, REST and the Admin page); ``gone``: the run row itself went."""
    kept = "" if gone else f"; run {deleted.run_id} keeps its verdicts on other datasets"
    return f"Deleted judge run {deleted.run_id} from the dataset {dataset!r}: {run_contents_text(deleted)}{kept}."


def merged_text(merged: RunsMerged) -> str:
    """ "merged run 2 into run 1 (now 60 verdicts)": what ``merge_runs`` did, in one line."""
    now = counted(merged.verdicts, "verdict")
    if merged.ratings:
        now += f", {counted(merged.ratings, 'rating')}"
    text = f"merged run {merged.from_run} into run {merged.into} (now {now})"
    if not merged.from_deleted:
        text += f"; run {merged.from_run} keeps its verdicts on other datasets"
    return text


class DatasetAdmin:
    """Admin-only reads and the delete; every method asks ``Access.require(actor, "admin")`` first."""

    def __init__(self, store: Store, access: Access) -> None:
        self.store = store
        self.access = access

    def overview(self, actor: str | None) -> list[DatasetContents]:
        self.access.require(actor, "admin")
        return self.store.dataset_overview()

    def contents(self, actor: str | None, name: str) -> DatasetContents:
        self.access.require(actor, "admin")
        return self.store.dataset_contents(name)

    def delete(self, actor: str | None, name: str, *, force: bool = False, typed: str | None = None) -> DatasetContents:
        """Delete ``name`` (see the module docstring) and return what was deleted. ``typed``: the name the
        person typed to confirm (the Admin page); refused unless it is exactly the dataset's name."""
        self.access.require(actor, "admin")
        if typed is not None and typed.strip() != name:
            raise StoreError(f"Type the dataset's name ({name!r}) exactly to confirm; nothing was deleted.")
        return self.store.delete_dataset(name, force=force)

    def delete_run_path(
        self, actor: str | None, dataset: str, run_id: int, whole: str, what: str | None = None, *, force: bool = False
    ) -> tuple[DatasetRun, bool] | DatasetContents:
        """Delete what a path ``{dataset}/runs/{run_id}`` names (``whole``: the path as one dataset name), the choice
        and the delete in one transaction (``Store.delete_run_path``): ``what`` ("run" / "dataset") when given; else
        judge run ``run_id`` whenever the dataset ``dataset`` exists (a 404 saying so when it has no such run, never
        the dataset ``whole`` instead; a Conflict when ``whole`` is a dataset too, naming the ``what`` that picks
        one); else the dataset ``whole``. ``force``: a dataset's open sessions do not stop it."""
        self.access.require(actor, "admin")
        if what is not None and what not in RUN_OR_DATASET:
            raise InvalidInput(f"`what` is 'run' or 'dataset', not {what!r}. Nothing was deleted.")
        return self.store.delete_run_path(dataset, run_id, whole, what, force=force)

    def runs(self, actor: str | None, dataset: str) -> list[DatasetRun]:
        """The judge runs on ``dataset``, oldest first (StoreNotFound naming the datasets when unknown)."""
        self.access.require(actor, "admin")
        return self.store.dataset_runs(dataset)

    def run(self, actor: str | None, dataset: str, run_id: int) -> DatasetRun:
        """Run ``run_id`` as ``dataset`` sees it: what ``delete_run`` would delete."""
        self.access.require(actor, "admin")
        return self.store.dataset_run(dataset, run_id)

    def delete_run(self, actor: str | None, dataset: str, run_id: int) -> tuple[DatasetRun, bool]:
        """Delete run ``run_id``'s verdicts and ratings on ``dataset`` (and the run, once it holds nothing else);
        returns what was deleted and whether the run itself went."""
        self.access.require(actor, "admin")
        return self.store.delete_dataset_run(dataset, run_id)

    def merge_runs(self, actor: str | None, dataset: str, into: int, from_run: int) -> RunsMerged:
        """Move run ``from_run``'s verdicts on ``dataset`` into run ``into`` (the same judge, nothing judged twice)."""
        self.access.require(actor, "admin")
        return self.store.merge_dataset_runs(dataset, into, from_run)
