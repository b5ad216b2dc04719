"""``GET /api/v1/datasets``: the names of the stored datasets (any role); ``DELETE /api/v1/datasets/{name}``:
delete one with everything that belongs only to it (admin; ``orchestration.dataset_admin``)."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from typing import Any

from fastapi import Query
from pydantic import BaseModel, Field, create_model

from annotation_store.dataset_removal import DELETED_COUNTS
from orchestration.dataset_admin import NO_UNDO
from web.routes.common import Caller, StudioDep, answers, api_router

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
    """Names of the stored datasets (any role)."""
    studio.access.require(user.name, "annotator")
    return DatasetList(datasets=studio.dataset_names())


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
