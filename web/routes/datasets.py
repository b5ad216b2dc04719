"""``GET /api/v1/datasets``: the names of the stored datasets (any role); ``DELETE /api/v1/datasets/{name}``:
delete one with everything that belongs only to it (admin; ``orchestration.dataset_admin``)."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from orchestration.dataset_admin import DatasetAdmin
from web.routes.common import API_PREFIX, ERRORS, Caller, StudioDep

router = APIRouter(prefix=API_PREFIX, responses=ERRORS, tags=["data"])


class DatasetList(BaseModel):
    datasets: list[str]


class DatasetDeleted(BaseModel):
    """What was deleted with the dataset; accounts are never deleted."""

    dataset: str
    prompts: int
    responses: int
    comparisons: int
    labels: int
    ratings: int
    judge_verdicts: int
    judge_ratings: int
    judge_runs: int = Field(description="judge runs that had verdicts or ratings on the dataset")
    gold_marks: int
    adjudications: int
    sessions: int


@router.get("/datasets", response_model=DatasetList)
def datasets(user: Caller, studio: StudioDep) -> DatasetList:
    """Names of the stored datasets (any role)."""
    studio.access.require(user.name, "annotator")
    return DatasetList(datasets=studio.dataset_names())


@router.delete("/datasets/{name:path}", response_model=DatasetDeleted)
def delete_dataset(
    user: Caller,
    studio: StudioDep,
    name: str,
    force: bool = Query(False, description="delete even while a session on the dataset is open (else 409)"),
) -> DatasetDeleted:
    """Delete a dataset and everything that belongs only to it: prompts, responses, comparisons, labels,
    ratings, judge verdicts and ratings, gold marks, adjudications, its sessions (admin; one transaction).
    409 while one of its sessions is open, unless ``force``. Returns the counts deleted."""
    c = DatasetAdmin(studio.store, studio.access).delete(user.name, name, force=force)
    return DatasetDeleted(
        dataset=c.name,
        prompts=c.prompts,
        responses=c.responses,
        comparisons=c.comparisons,
        labels=c.labels,
        ratings=c.ratings,
        judge_verdicts=c.judge_verdicts,
        judge_ratings=c.judge_ratings,
        judge_runs=c.judge_runs,
        gold_marks=c.gold_marks,
        adjudications=c.adjudications,
        sessions=c.sessions,
    )
