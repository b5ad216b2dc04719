"""``GET /api/v1/datasets``: the names of the stored datasets (any role)."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from fastapi import APIRouter
from pydantic import BaseModel

from web.routes.common import API_PREFIX, ERRORS, Caller, StudioDep

router = APIRouter(prefix=API_PREFIX, responses=ERRORS, tags=["data"])


class DatasetList(BaseModel):
    datasets: list[str]


@router.get("/datasets", response_model=DatasetList)
def datasets(user: Caller, studio: StudioDep) -> DatasetList:
    """Names of the stored datasets (any role)."""
    studio.access.require(user.name, "annotator")
    return DatasetList(datasets=studio.dataset_names())
