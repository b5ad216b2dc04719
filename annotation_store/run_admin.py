"""One judge run on one dataset (admin only): list a dataset's runs, delete one run, merge two runs of one judge.

Session 16 finding 6 (judge-shopper): a try-out run (4 items, all uncertain) stayed in every table, since only
``datasets delete`` (which also removes people's labels) removed verdicts; and runs of one judge split before
session 16 (two imports of the same judge's verdicts) could not be put back together.

- ``dataset_runs``: the runs with a verdict on the dataset's comparisons or a rating of its responses, oldest
  first, with what each holds there and elsewhere.
- ``delete_dataset_run``: the run's verdicts and judge ratings on this dataset, then the run row once nothing
  else holds it (a run that also judged another dataset keeps those verdicts and its row). People's labels,
  ratings, gold marks and the other runs stay. Nothing else refers to a judge run (the judge-version table and
  the reports are computed from the verdicts, never stored), so nothing has to be refused or cascaded.
- ``merge_dataset_runs``: only runs of the same judge by the rule an import uses to extend a run
  (``batch_import._same_judge``: both imported, fingerprints equal but for ``READ_FROM_FIELDS``), and only when
  no (comparison, order) pair, nor response, is judged by both (the overlap an import also keeps apart). FROM's
  verdicts and ratings on the dataset move into INTO; FROM is deleted once it holds nothing.

Each write is one transaction (``_write``): a failure part way leaves the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, select, update
from sqlalchemy.orm import Session

from annotation_store.base import StoreBase, StoreConflict, StoreNotFound
from annotation_store.batch_import import (
    READ_FROM_FIELDS,
    SOURCE_FIELD,
    ImportJudgeRun,
    _same_judge,
    add_sources,
    run_sources,
)
from annotation_store.dataset_removal import DatasetContents, _find, _Scope, delete_dataset_in
from annotation_store.models import Comparison, Dataset, JudgeRating, JudgeRun, JudgeVerdict


@dataclass(frozen=True)
class DatasetRun:
    """A judge run as one dataset sees it: ``verdicts`` / ``ratings`` on this dataset, ``elsewhere`` (verdicts and
    ratings on other datasets, which ``delete_dataset_run`` leaves), ``imported`` (read from a file)."""

    run_id: int
    model: str
    profile: str
    verdicts: int
    ratings: int
    elsewhere: int
    created_at: datetime
    imported: bool
    #: the files its verdicts were read from, oldest first (every file of a run extended by later imports or a
    #: merge); () for a run made by ``judge-studio judge``
    sources: tuple[str, ...] = ()

    @property
    def files(self) -> str:
        """``a.jsonl, b.jsonl``: the runs lists' "files" cell (``datasets runs``, the Admin page); '–' for none."""
        return ", ".join(self.sources) or "–"

    @property
    def label(self) -> str:
        """``run 3 (SmolLM2, profile pandalm)``: how the messages name it."""
        return f"run {self.run_id} ({self.model}, profile {self.profile})"


@dataclass(frozen=True)
class RunsMerged:
    """What ``merge_dataset_runs`` did: ``moved`` verdicts and ratings from ``from_run`` into ``into``, which now holds
    ``verdicts`` verdicts and ``ratings`` ratings on the dataset; ``from_deleted``: FROM held nothing else."""

    into: int
    from_run: int
    moved_verdicts: int
    moved_ratings: int
    verdicts: int
    ratings: int
    from_deleted: bool


def _count(db: Session, query: Select[Any]) -> int:
    return int(db.scalar(query) or 0)


def _runs(db: Session, dataset_id: int) -> list[DatasetRun]:
    s = _Scope(dataset_id)
    ids = set(db.scalars(s.runs).all())
    found = []
    for run in db.scalars(select(JudgeRun).where(JudgeRun.id.in_(ids)).order_by(JudgeRun.id)).all():
        verdicts = _count(
            db,
            select(func.count(JudgeVerdict.id)).where(
                JudgeVerdict.run_id == run.id, JudgeVerdict.comparison_id.in_(s.comparisons)
            ),
        )
        ratings = _count(
            db,
            select(func.count(JudgeRating.id)).where(
                JudgeRating.run_id == run.id, JudgeRating.response_id.in_(s.responses)
            ),
        )
        total = _count(db, select(func.count(JudgeVerdict.id)).where(JudgeVerdict.run_id == run.id))
        total += _count(db, select(func.count(JudgeRating.id)).where(JudgeRating.run_id == run.id))
        imported = SOURCE_FIELD in (run.fingerprint or {})
        found.append(
            DatasetRun(
                run.id,
                run.model,
                run.profile,
                verdicts,
                ratings,
                total - verdicts - ratings,
                run.created_at,
                imported,
                run_sources(run.fingerprint),
            )
        )
    return found


def _one(db: Session, dataset: str, run_id: int) -> tuple[int, DatasetRun]:
    """The dataset's id and its run ``run_id``; StoreNotFound naming what exists when either is unknown."""
    found = _find(db, dataset)
    runs = _runs(db, found.id)
    for run in runs:
        if run.run_id == run_id:
            return found.id, run
    held = ", ".join(f"run {r.run_id} ({r.model})" for r in runs)
    raise StoreNotFound(
        f"The dataset {dataset!r} has no judge run {run_id} "
        f"({f'its judge runs: {held}' if runs else 'it has no judge runs'}; see `judge-studio datasets runs "
        f"{dataset}`). Nothing was changed."
    )


def _path_names(db: Session, dataset: str, run_id: int, whole: str) -> str:
    """What the path ``{dataset}/runs/{run_id}`` means without a ``what`` ("run" or "dataset", see
    ``delete_run_path``): never a whole dataset while the dataset ``dataset`` exists."""
    there = set(db.scalars(select(Dataset.name).where(Dataset.name.in_([dataset, whole]))).all())
    if dataset not in there:
        return "dataset" if whole in there else "run"  # neither: the run's 404 names the datasets
    if whole not in there:
        return "run"
    try:
        _one(db, dataset, run_id)
    except StoreNotFound as exc:
        raise StoreNotFound(
            f"{exc} The path also names the dataset {whole!r}: add `?what=dataset` to delete that dataset."
        ) from exc
    raise StoreConflict(
        f"{whole!r} names both the dataset {whole!r} and judge run {run_id} of the dataset {dataset!r}: add "
        "`?what=dataset` to delete the dataset, or `?what=run` to delete the run. Nothing was deleted."
    )


def _delete_run(db: Session, dataset: str, run_id: int) -> tuple[DatasetRun, bool]:
    """``Store.delete_dataset_run`` inside the caller's transaction ``db``."""
    dataset_id, run = _one(db, dataset, run_id)
    s = _Scope(dataset_id)
    db.execute(delete(JudgeVerdict).where(JudgeVerdict.run_id == run_id, JudgeVerdict.comparison_id.in_(s.comparisons)))
    db.execute(delete(JudgeRating).where(JudgeRating.run_id == run_id, JudgeRating.response_id.in_(s.responses)))
    return run, _drop_if_unused(db, run_id)


def _drop_if_unused(db: Session, run_id: int) -> bool:
    """Delete judge run ``run_id`` when no verdict or rating refers to it any more; whether it was deleted."""
    if db.scalar(select(JudgeVerdict.id).where(JudgeVerdict.run_id == run_id).limit(1)) is not None:
        return False
    if db.scalar(select(JudgeRating.id).where(JudgeRating.run_id == run_id).limit(1)) is not None:
        return False
    db.execute(delete(JudgeRun).where(JudgeRun.id == run_id))
    return True


def _not_same_judge(into: JudgeRun, other: JudgeRun) -> str:
    """Why ``other`` is not the same judge as ``into`` by the import's rule ('' when it is)."""
    if into.model == other.model and _same_judge(
        into, ImportJudgeRun(other.fingerprint_key, dict(other.fingerprint), ())
    ):
        return ""
    live = [f"run {run.id}" for run in (into, other) if SOURCE_FIELD not in (run.fingerprint or {})]
    if live:
        return (
            f"{' and '.join(live)} {'was' if len(live) == 1 else 'were'} made by `judge-studio judge`, not imported; "
            "only imported runs of one judge are merged (a live judge continues its own run)"
        )
    mine, theirs = dict(into.fingerprint or {}), dict(other.fingerprint or {})
    differ = sorted(k for k in set(mine) | set(theirs) if k not in READ_FROM_FIELDS and mine.get(k) != theirs.get(k))
    return f"their fingerprints differ in {', '.join(differ) or 'the judge name'}"


def _overlap(db: Session, dataset_id: int, into: int, other: int) -> tuple[int, int]:
    """(comparison, order) pairs judged by both runs on the dataset, and responses rated by both."""
    mine, theirs = JudgeVerdict.__table__.alias("mine"), JudgeVerdict.__table__.alias("theirs")
    pairs = _count(
        db,
        select(func.count())
        .select_from(mine)
        .join(theirs, and_(theirs.c.comparison_id == mine.c.comparison_id, theirs.c.swapped == mine.c.swapped))
        .join(Comparison, Comparison.id == mine.c.comparison_id)
        .where(mine.c.run_id == into, theirs.c.run_id == other, Comparison.dataset_id == dataset_id),
    )
    rated, rated_too = JudgeRating.__table__.alias("rated"), JudgeRating.__table__.alias("rated_too")
    responses = _count(
        db,
        select(func.count())
        .select_from(rated)
        .join(rated_too, rated_too.c.response_id == rated.c.response_id)
        .where(
            rated.c.run_id == into,
            rated_too.c.run_id == other,
            rated.c.response_id.in_(_Scope(dataset_id).responses),
        ),
    )
    return pairs, responses


class RunAdminMixin(StoreBase):
    """The judge runs of one dataset: list, delete one, merge two (``Store``)."""

    def dataset_runs(self, dataset: str) -> list[DatasetRun]:
        """The judge runs on ``dataset``, oldest first; StoreNotFound (naming the datasets) when unknown."""
        with self._read() as db:
            return _runs(db, _find(db, dataset).id)

    def dataset_run(self, dataset: str, run_id: int) -> DatasetRun:
        """Run ``run_id`` as ``dataset`` sees it (what ``delete_dataset_run`` would delete)."""
        with self._read() as db:
            return _one(db, dataset, run_id)[1]

    def delete_dataset_run(self, dataset: str, run_id: int) -> tuple[DatasetRun, bool]:
        """Delete run ``run_id``'s verdicts and ratings on ``dataset``, and the run once nothing else holds it, in one
        transaction. Returns what was deleted and whether the run row went too."""
        with self._write() as db:
            return _delete_run(db, dataset, run_id)

    def delete_run_path(
        self, dataset: str, run_id: int, whole: str, what: str | None = None, *, force: bool = False
    ) -> tuple[DatasetRun, bool] | DatasetContents:
        """The REST path ``{dataset}/runs/{run_id}`` (``whole``: the same path as one dataset name) deleted, the
        choice and the delete in one transaction: ``what`` ("run" / "dataset") when given; else the run when the
        dataset ``dataset`` exists (StoreNotFound when it has no run ``run_id``, naming ``whole`` when that is a
        dataset; StoreConflict when ``whole`` is a dataset too and the run exists); else the dataset ``whole`` when
        there is one. Returns ``delete_dataset_run``'s answer for a run, ``delete_dataset``'s for a dataset."""
        with self._write() as db:
            if (what or _path_names(db, dataset, run_id, whole)) == "dataset":
                return delete_dataset_in(db, whole, force=force)
            return _delete_run(db, dataset, run_id)

    def merge_dataset_runs(self, dataset: str, into: int, from_run: int) -> RunsMerged:
        """Move run ``from_run``'s verdicts and ratings on ``dataset`` into run ``into`` (the same judge, no overlap;
        module docstring), deleting ``from_run`` once it holds nothing, in one transaction."""
        if into == from_run:
            raise StoreConflict(f"Run {into} cannot be merged into itself; name two runs. Nothing was merged.")
        with self._write() as db:
            dataset_id, target = _one(db, dataset, into)
            source = _one(db, dataset, from_run)[1]
            why = _not_same_judge(db.get_one(JudgeRun, into), db.get_one(JudgeRun, from_run))
            if why:
                raise StoreConflict(
                    f"Run {from_run} ({source.model}) and run {into} ({target.model}) are not the same judge: {why}. "
                    "Runs are merged only by the rule an import uses to extend a run. Nothing was merged."
                )
            pairs, responses = _overlap(db, dataset_id, into, from_run)
            if pairs or responses:
                both = [f"{pairs} (comparison, order) pair{'s' if pairs != 1 else ''}"] if pairs else []
                both += [f"{responses} response{'s' if responses != 1 else ''}"] if responses else []
                raise StoreConflict(
                    f"Run {from_run} and run {into} both judged {' and '.join(both)} on dataset {dataset!r}: merged, "
                    "one judge would hold two verdicts there. Nothing was merged; delete one run "
                    f"(`judge-studio datasets delete-run {dataset} RUN_ID`) instead if it is a repeat."
                )
            s = _Scope(dataset_id)
            db.execute(
                update(JudgeVerdict)
                .where(JudgeVerdict.run_id == from_run, JudgeVerdict.comparison_id.in_(s.comparisons))
                .values(run_id=into)
            )
            db.execute(
                update(JudgeRating)
                .where(JudgeRating.run_id == from_run, JudgeRating.response_id.in_(s.responses))
                .values(run_id=into)
            )
            add_sources(db.get_one(JudgeRun, into), source.sources)  # INTO now holds FROM's files' verdicts too
            deleted = _drop_if_unused(db, from_run)
            return RunsMerged(
                into,
                from_run,
                source.verdicts,
                source.ratings,
                target.verdicts + source.verdicts,
                target.ratings + source.ratings,
                deleted,
            )


__all__ = ["DatasetRun", "RunAdminMixin", "RunsMerged"]
