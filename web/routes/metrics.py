"""``GET /api/v1/metrics``: a dataset's full report, as ``judge-studio metrics --json`` prints it, or with
``format=csv`` its headline figures, one row per judge run, as ``judge-studio metrics --format csv`` prints them
(``orchestration.metrics.metrics_csv``: the same report, flattened)."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from typing import Annotated, Any, Literal

from fastapi import Query, Response

from analysis.defaults import ALPHA, N_BOOTSTRAP
from orchestration.metrics import metrics_csv
from web.routes.common import DATASET_404, Caller, StudioDep, answers, api_router

LABELS_FROM = (
    "whose labels the people figures read: 'all' (default), 'imported' (labels given in no session) or a "
    "session's name on the dataset ('session:NAME' for a session named 'all' or 'imported')"
)
router = api_router("data")


CSV_MEDIA = "text/csv; charset=utf-8"


@router.get(
    "/metrics",
    response_model=dict[str, Any],
    responses={200: {"content": {"text/csv": {}}}, **answers(400, 401, 403, 404, notes=DATASET_404)},
)
def metrics(
    user: Caller,
    studio: StudioDep,
    dataset: Annotated[str, Query(description="dataset name", max_length=200)],
    alpha: Annotated[float, Query(gt=0, lt=1, description="significance level of the partial order")] = ALPHA,
    bootstrap: Annotated[int, Query(ge=0, le=2000, description="Bradley-Terry bootstrap resamples")] = N_BOOTSTRAP,
    baseline: Annotated[str | None, Query(description="model for win rates", max_length=200)] = None,
    uncertain_margin: Annotated[
        float | None, Query(ge=0, lt=1, description="judge verdicts closer than this are uncertain (0: off)")
    ] = None,
    labels_from: Annotated[str | None, Query(description=LABELS_FROM, max_length=210)] = None,
    format: Annotated[
        Literal["json", "csv"],
        Query(description="json: every figure (default); csv: one row per judge run with its headline figures"),
    ] = "json",
) -> Any:
    """The full metrics report of a dataset (reviewer+). ``uncertain_margin`` as ``/report-card`` takes it
    (default: the server's setting), so the two answer with the same figures for the same margin. ``format=csv``:
    the same report's headline figures, one row per judge run (text/csv, the columns of ``metrics --format csv``)."""
    studio.access.require(user.name, "reviewer")
    report = studio.metrics(
        dataset,
        alpha=alpha,
        n_bootstrap=bootstrap,
        baseline=baseline,
        uncertain_margin=uncertain_margin,
        labels_from=labels_from,
    )
    if format == "csv":
        headers = {"Content-Disposition": f'inline; filename="{_safe_name(dataset)}-metrics.csv"'}
        return Response(metrics_csv(report), media_type=CSV_MEDIA, headers=headers)
    return report


def _safe_name(name: str) -> str:
    """The dataset's name as a file name in a header: letters, digits, - _ . only."""
    cleaned = "".join(ch if ch.isalnum() and ch.isascii() else ch if ch in "-_." else "-" for ch in name).strip(".-")
    return cleaned[:80] or "dataset"
