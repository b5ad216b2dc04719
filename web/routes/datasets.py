"""``GET /api/v1/datasets``: the names of the stored datasets (reviewers and admins; an annotator only those of the
sessions open to them); ``DELETE /api/v1/datasets/{name}``:
delete one with everything that belongs only to it (admin; ``orchestration.dataset_admin``). A dataset's judge runs
(admin; ``judge-studio datasets runs|delete-run|merge-runs``): ``GET .../{name}/runs``, ``DELETE
.../{name}/runs/{run_id}``, ``POST .../{name}/runs/{into}/merge``; their messages are the CLI's."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import Query, Request
from pydantic import BaseModel, Field, create_model

from annotation_store.dataset_removal import DELETED_COUNTS
from orchestration.dataset_admin import NO_UNDO, DatasetContents, DatasetRun, merged_text, run_deleted_text
from web.routes.common import BODY, Caller, RequestIn, StudioDep, answers, api_router

router = api_router("data")


class DatasetList(BaseModel):
    datasets: list[str]


COUNT_NOTES = {"judge_runs": "judge runs that had verdicts or ratings on the dataset"}  # the schema's descriptions

#: The dataset's name, then every count of ``DatasetContents`` in its order (``DELETED_COUNTS``: the store's one list).
_COUNT_FIELDS: dict[str, Any] = {name: (int, Field(description=COUNT_NOTES.get(name))) for name in DELETED_COUNTS}
DatasetDeleted: type[BaseModel] = create_model(
    "DatasetDeleted",
    __doc__="What was deleted with the dataset; accounts are never deleted.",
    dataset=(str, ...),
    **_COUNT_FIELDS,
)


@router.get("/datasets", response_model=DatasetList, responses=answers(401))
def datasets(user: Caller, studio: StudioDep) -> DatasetList:
    """Names of the stored datasets (reviewers and admins). An annotator is told only the datasets of the open
    sessions they may work in (none limited to members they are not one of), so `[]` when there are none."""
    return DatasetList(datasets=studio.dataset_names_for(user.name))


# ---------------------------------------------------------------------- one judge run of a dataset (admin)
class RunOut(BaseModel):
    run_id: int
    judge: str = Field(description="the judge's model name")
    profile: str
    verdicts: int = Field(description="the run's verdicts on this dataset")
    ratings: int = Field(description="the run's judge ratings on this dataset")
    elsewhere: int = Field(description="its verdicts and ratings on other datasets (deleting it here leaves those)")
    created_at: datetime
    imported: bool = Field(description="read from a file (`import --judge`), not made by `judge-studio judge`")
    sources: list[str] = Field(
        description="the files its verdicts were read from, oldest first: every file of a run extended by later "
        "imports or a merge; [] for a run made by `judge-studio judge`"
    )


class RunsOut(BaseModel):
    dataset: str
    runs: list[RunOut] = Field(description="oldest first")


class RunDeletedOut(RunOut):
    dataset: str
    run_deleted: bool = Field(description="the run itself went (false: it keeps its verdicts on other datasets)")
    message: str = Field(description="what `judge-studio datasets delete-run` prints")


class MergeIn(RequestIn):
    from_run: int = Field(description="the run merged into the path's run, then deleted once it holds nothing else")


class RunsMergedOut(BaseModel):
    dataset: str
    into: int
    from_run: int
    moved_verdicts: int
    moved_ratings: int
    verdicts: int = Field(description="the verdicts `into` now holds on the dataset")
    ratings: int = Field(description="the judge ratings `into` now holds on the dataset")
    from_deleted: bool = Field(description="`from_run` held nothing else and was deleted")
    message: str = Field(description="what `judge-studio datasets merge-runs` prints")


RUN_NOTES = {403: "admins only", 404: "no such dataset (the message names them), or no such run on it"}


def _run_out(run: DatasetRun) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "judge": run.model,
        "profile": run.profile,
        "verdicts": run.verdicts,
        "ratings": run.ratings,
        "elsewhere": run.elsewhere,
        "created_at": run.created_at.replace(tzinfo=UTC),
        "imported": run.imported,
        "sources": list(run.sources),
    }


@router.get("/datasets/{name:path}/runs", response_model=RunsOut, responses=answers(401, 403, 404, notes=RUN_NOTES))
def dataset_runs(user: Caller, studio: StudioDep, name: str) -> RunsOut:
    """The dataset's judge runs, oldest first (admin; `judge-studio datasets runs NAME`)."""
    runs = studio.datasets.runs(user.name, name)
    return RunsOut(dataset=name, runs=[RunOut(**_run_out(r)) for r in runs])


#: The ``what`` query of a run's DELETE path (``RUN_OR_DATASET``), in the schema.
WHAT_HELP = (
    "'run' deletes judge run `run_id` of the dataset `name`, 'dataset' the dataset named `name/runs/run_id`; without "
    "it the path means the run whenever the dataset `name` exists (a 409 when `name/runs/run_id` is a dataset too)"
)


@router.delete(
    "/datasets/{name:path}/runs/{run_id:int}",
    response_model=RunDeletedOut | DatasetDeleted,
    responses=answers(401, 403, 404, 409, notes={**RUN_NOTES, 409: "the path names a dataset and a run (see `what`)"}),
    description=(
        "Delete one judge run's verdicts and ratings on the dataset (admin; `judge-studio datasets delete-run`; one "
        "transaction, no confirmation asked). People's labels and ratings and the other runs stay; the run itself "
        "goes once it holds nothing on other datasets. Returns what was deleted. A dataset may itself be named "
        "`x/runs/3`: while a dataset `x` exists this path means its judge run 3 (404 when it has none: never the "
        "dataset `x/runs/3` instead), and a 409 when `x/runs/3` is a dataset too; `what=dataset` deletes the dataset "
        "`x/runs/3` (as `DELETE /datasets/{name}` does, `force` included), as the path alone does when there is no "
        "dataset `x`. The choice and the delete are one transaction. "
        f"{NO_UNDO}"
    ),
)
def delete_dataset_run(
    request: Request,
    user: Caller,
    studio: StudioDep,
    name: str,
    run_id: int,
    what: Literal["run", "dataset"] | None = Query(None, description=WHAT_HELP),
    force: bool = Query(False, description="a dataset only (see above): delete it even while a session is open"),
) -> Any:
    """Delete one judge run of a dataset, or the dataset the whole path names (the route's ``description``)."""
    whole = f"{name}/runs/{request.scope['path'].rsplit('/', 1)[-1]}"  # the id as sent ("03" stays "03")
    done = studio.datasets.delete_run_path(user.name, name, run_id, whole, what, force=force)  # one transaction
    if isinstance(done, DatasetContents):
        return {"dataset": done.name, **done.counts()}  # what DELETE /datasets/{name} answers
    deleted, gone = done
    return RunDeletedOut(
        dataset=name, run_deleted=gone, message=run_deleted_text(name, deleted, gone), **_run_out(deleted)
    )


@router.post(
    "/datasets/{name:path}/runs/{into}/merge",
    response_model=RunsMergedOut,
    responses=answers(
        400, 401, 403, 404, 409, *BODY, notes={**RUN_NOTES, 409: "not one judge's imported runs, or they overlap"}
    ),
)
def merge_dataset_runs(user: Caller, studio: StudioDep, name: str, into: int, body: MergeIn) -> RunsMergedOut:
    """Move run `from_run`'s verdicts on the dataset into run `into` (admin; `judge-studio datasets merge-runs`): only
    two imported runs of one judge that judged nothing twice, by the rule an import uses to extend a run."""
    merged = studio.datasets.merge_runs(user.name, name, into, body.from_run)
    return RunsMergedOut(
        dataset=name,
        into=merged.into,
        from_run=merged.from_run,
        moved_verdicts=merged.moved_verdicts,
        moved_ratings=merged.moved_ratings,
        verdicts=merged.verdicts,
        ratings=merged.ratings,
        from_deleted=merged.from_deleted,
        message=merged_text(merged),
    )


@router.delete(
    "/datasets/{name:path}",
    response_model=DatasetDeleted,
    responses=answers(401, 403, 404, 409, notes={404: "no such dataset", 409: "a session on the dataset is open"}),
    description=(
        "Delete a dataset and everything that belongs only to it: prompts, responses, comparisons, labels, ratings, "
        "judge verdicts and ratings, gold marks, adjudications, its sessions (admin; one transaction). 409 while "
        f"one of its sessions is open, unless `force`. Returns the counts deleted. {NO_UNDO}"
    ),
)
def delete_dataset(
    user: Caller,
    studio: StudioDep,
    name: str,
    force: bool = Query(False, description="delete even while a session on the dataset is open (else 409)"),
) -> dict[str, Any]:
    """Delete a dataset (the route's ``description`` says what goes, and that it cannot be undone)."""
    deleted = studio.datasets.delete(user.name, name, force=force)
    return {"dataset": deleted.name, **deleted.counts()}
