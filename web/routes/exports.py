"""``GET /api/v1/export``: labels (long), items (wide), DPO pairs, judgments or ratings as a JSONL, CSV or Parquet
download (the formats of ``judge-studio export`` and the Admin page). The file is written to a private temporary
folder and streamed to the caller only; nothing stays on disk."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Query, Response

from web.routes.common import DATASET_404, Caller, StudioDep, answers, api_router

router = api_router("data")
EXPORT_MEDIA = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",  # registered with IANA in 2024
}


def _safe_filename(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name).strip(".-")
    return cleaned[:80] or "dataset"


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {"content": {media: {} for media in EXPORT_MEDIA.values()}},
        **answers(400, 401, 403, 404, notes=DATASET_404),
    },
)
def export(
    user: Caller,
    studio: StudioDep,
    dataset: Annotated[str, Query(description="dataset name", max_length=200)],
    kind: Annotated[
        Literal["labels", "wide", "dpo", "judgments", "ratings"],
        Query(
            description="labels (long), wide, dpo, judgments (each judge verdict with its reasons), or ratings "
            "(each single-answer rating or skip, with its gold range)"
        ),
    ] = "labels",
    format: Annotated[Literal["jsonl", "csv", "parquet"], Query()] = "jsonl",
    judges: Annotated[
        bool, Query(description="labels: add every judge verdict as rows; ratings: every judge rating")
    ] = False,
    source: Annotated[
        str, Query(description="dpo: 'majority' (people's label, adjudications first) or a judge run id", max_length=40)
    ] = "majority",
) -> Response:
    """Labels (long), items (wide), DPO pairs, judgments or ratings as a JSONL, CSV or Parquet download (reviewer+).
    Rows of an adjudicated comparison carry adjudication, adjudicated_by and adjudication_rationale (else empty)."""
    studio.access.require(user.name, "reviewer")
    with tempfile.TemporaryDirectory(prefix="judge-studio-export-") as folder:
        target = Path(folder) / f"{kind}.{format}"
        rows = studio.export(dataset, kind, fmt=format, output=target, include_judges=judges, source=source)
        content = target.read_bytes()
    filename = f"{_safe_filename(dataset)}-{kind}.{format}"
    return Response(
        content,
        media_type=EXPORT_MEDIA[format],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Rows": str(rows),
            "Cache-Control": "no-store",
        },
    )
