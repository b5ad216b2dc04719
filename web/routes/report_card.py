"""``GET /api/v1/report-card``: the judge report card of a dataset (reviewer+), as JSON.

The same card as the Report card page and ``judge-studio report``, built from the same report as
``GET /api/v1/metrics`` (``orchestration.report_card``), so their figures cannot disagree.
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from typing import Annotated, Any

from fastapi import Query

from analysis.defaults import ALPHA, N_BOOTSTRAP
from orchestration.metrics import PeopleOptions
from web.routes.common import DATASET_404, Caller, StudioDep, answers, api_router
from web.routes.metrics import LABELS_FROM

router = api_router("data")


@router.get("/report-card", response_model=dict[str, Any], responses=answers(400, 401, 403, 404, notes=DATASET_404))
def report_card(
    user: Caller,
    studio: StudioDep,
    dataset: Annotated[str, Query(description="dataset name", max_length=200)],
    run_id: Annotated[int | None, Query(description="one judge run (default: every run)")] = None,
    alpha: Annotated[float, Query(gt=0, lt=1, description="significance level")] = ALPHA,
    bootstrap: Annotated[int, Query(ge=0, le=2000, description="Bradley-Terry bootstrap resamples")] = N_BOOTSTRAP,
    baseline: Annotated[str | None, Query(description="model for win rates", max_length=200)] = None,
    aggregation: Annotated[str | None, Query(description="people's labels: majority or dawid-skene")] = None,
    epsilon_expert: Annotated[float | None, Query(ge=0, lt=1, description="alt-test margin, experts")] = None,
    epsilon_skilled: Annotated[float | None, Query(ge=0, lt=1, description="alt-test margin, skilled")] = None,
    epsilon_crowd: Annotated[float | None, Query(ge=0, lt=1, description="alt-test margin, crowd")] = None,
    uncertain_margin: Annotated[
        float | None, Query(ge=0, lt=1, description="judge verdicts closer than this are uncertain (0: off)")
    ] = None,
    labels_from: Annotated[str | None, Query(description=LABELS_FROM, max_length=210)] = None,
) -> dict[str, Any]:
    """Can this judge replace people on this dataset? Answer, conclusion, figures and caveats per run."""
    studio.access.require(user.name, "reviewer")
    people = PeopleOptions.given(
        aggregation, {"expert": epsilon_expert, "skilled": epsilon_skilled, "crowd": epsilon_crowd}
    )
    return studio.report_card(
        dataset,
        run_id=run_id,
        alpha=alpha,
        n_bootstrap=bootstrap,
        baseline=baseline,
        people=people,
        uncertain_margin=uncertain_margin,
        labels_from=labels_from,
    )
