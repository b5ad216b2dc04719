"""``GET /api/v1/export``: labels (long), items (wide), DPO pairs, judgments or ratings as a JSONL, CSV or Parquet
download (the formats of ``judge-studio export`` and the Admin page). The file is written to a private temporary
folder and streamed to the caller only; nothing stays on disk."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
import tempfile
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import Query, Response

from orchestration.datasets import KEEP_EMPTY_ELSEWHERE, ExportPeople, OptionWords
from web.routes.common import DATASET_404, Caller, StudioDep, answers, api_router

router = api_router("data")
#: the response header with the export's note ("Left out 7 labels of 'ann4'", ...; absent when there is none),
#: percent-encoded UTF-8 (``urllib.parse.unquote`` reads it back): annotator names may hold any character
EXPORT_NOTE = "X-Export-Note"
NOTE_SAFE = " '\",.;:()!?-_/=+*<>[]{}#@$&~"
EXPORT_MEDIA = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",  # registered with IANA in 2024
}


def _safe_filename(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name).strip(".-")
    return cleaned[:80] or "dataset"


#: How ``X-Export-Note`` names the options: this route's query parameters (the command line's flags are its own).
REST_WORDS = OptionWords(
    "exclude_annotator",
    "min_labels={n}",
    "uncertain_margin",
    KEEP_EMPTY_ELSEWHERE,
    labels_from="labels_from",
    min_labels_name="min_labels",
    kinds="kind {kinds}",
)


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
    min_labels: Annotated[
        int, Query(ge=0, le=1_000_000, description="wide, dpo: only comparisons with at least this many counted labels")
    ] = 0,
    exclude_annotator: Annotated[
        list[str] | None,
        Query(description="labels, wide, dpo: leave this person's labels out (repeat for more)", max_length=200),
    ] = None,
    labels_from: Annotated[
        str | None,
        Query(description="labels, wide, dpo: all, imported, a session's name or session:NAME", max_length=210),
    ] = None,
    uncertain_margin: Annotated[
        float | None, Query(ge=0, lt=1, description="0 to <1 (0: off); default: the server's setting")
    ] = None,
) -> Response:
    """Labels (long), items (wide), DPO pairs, judgments or ratings as a JSONL, CSV or Parquet download (reviewer+).
    Rows of an adjudicated comparison carry adjudication, adjudicated_by and adjudication_rationale (else empty).
    ``min_labels``, ``exclude_annotator``, ``labels_from`` and ``uncertain_margin`` as ``judge-studio export``
    takes them (``--min-labels``, ``--exclude-annotator``, ...). ``X-Rows``: the rows written; ``X-Export-Note``
    (only when something was left out): the note ``judge-studio export`` prints, naming this route's parameters
    (``REST_WORDS``), percent-encoded UTF-8."""
    studio.access.require(user.name, "reviewer")
    people = ExportPeople(labels_from, tuple(exclude_annotator or ()), min_labels, uncertain_margin, REST_WORDS)
    with tempfile.TemporaryDirectory(prefix="judge-studio-export-") as folder:
        target = Path(folder) / f"{kind}.{format}"
        summary = studio.export_summary(
            dataset, kind, fmt=format, output=target, include_judges=judges, source=source, people=people
        )
        content = target.read_bytes()
    headers = {
        "Content-Disposition": f'attachment; filename="{_safe_filename(dataset)}-{kind}.{format}"',
        "X-Rows": str(summary.rows),
        "Cache-Control": "no-store",
    }
    if summary.note:  # what was left out, as ``judge-studio export`` prints it; percent-encoded UTF-8 (s18 review 4)
        headers[EXPORT_NOTE] = quote(summary.note, safe=NOTE_SAFE)
    return Response(content, media_type=EXPORT_MEDIA[format], headers=headers)
