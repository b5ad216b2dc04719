"""The REST API beside the UI, under ``/api/v1`` (OpenAPI schema at ``/api/v1/openapi.json``, docs at
``/api/v1/docs``).

Every call carries ``Authorization: Bearer <token>`` (``judge-studio users token NAME`` prints one):
no or an unknown token is 401, a role that may not is 403. Roles as in the UI: annotators list
sessions, lease items and submit labels; reviewers and admins also read comparisons (with model
names and judge verdicts), metrics and exports. Handlers only call orchestration (``Studio``,
``Access``, ``AnnotationDesk``, ``orchestration.catalog``, ``dataset_metrics``, ``export_dataset``);
errors the user can fix come back as ``{"detail": "..."}`` with 400, 404 or 409.
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
import hashlib
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from annotation_store import LabelView, VerdictView
from orchestration import (
    AccessDenied,
    AnnotationItem,
    Studio,
    SubmitOutcome,
    User,
    UserError,
    dataset_metrics,
    export_dataset,
)
from orchestration.annotation import presented_choice
from orchestration.catalog import MAX_PAGE, comparison_detail, comparison_page

API_PREFIX = "/api/v1"
EXPORT_MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


# ---------------------------------------------------------------------- errors
def error_status(exc: Exception) -> int:
    """400 for a bad request, 404 when the thing named is not there, 409 for a conflict (already
    used, changed elsewhere, taken). The store has one error type, so this reads its message."""
    if isinstance(exc, AccessDenied):
        return status.HTTP_403_FORBIDDEN
    text = str(exc).lower()
    if text.startswith("there is no") or "has no comparisons" in text:
        return status.HTTP_404_NOT_FOUND
    if any(
        word in text
        for word in ("already", "changed elsewhere", "concurrent", "is taken", "outdated", "not handed to you")
    ):
        return status.HTTP_409_CONFLICT
    return status.HTTP_400_BAD_REQUEST


class _UserErrorRoute(APIRoute):
    """Turns ``UserError`` (and ``AccessDenied``) raised in a handler into a JSON error response."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except UserError as exc:
                return JSONResponse({"detail": str(exc)}, status_code=error_status(exc))

        return route


# ---------------------------------------------------------------------- bodies
class Problem(BaseModel):
    detail: str = Field(description="what went wrong, in words a person can act on")


class DatasetList(BaseModel):
    datasets: list[str]


class ComparisonSummaryOut(BaseModel):
    id: int
    dataset: str
    prompt_key: str
    category: str
    model1: str
    model2: str
    instruction: str
    judge_verdict: Literal["1", "2", "tie"] | None = Field(description="latest judge verdict, canonical order")
    judge_status: str | None = Field(description="ok, unparsed or truncated; null when not judged")
    labels: int = Field(description="current pairwise labels by people")


class ComparisonPageOut(BaseModel):
    dataset: str
    total: int
    limit: int
    offset: int
    items: list[ComparisonSummaryOut]


class JudgeOut(BaseModel):
    run_id: int
    judge_model: str
    profile: str
    verdict: Literal["1", "2", "tie"] | None
    status: str
    reason: str
    reference: str
    probabilities: dict[str, float] | None = None


class LabelDetailOut(BaseModel):
    annotator: str
    verdict: Literal["1", "2", "tie"] | None
    skipped: bool
    flagged: bool
    confidence: int | None
    comment: str
    presented_swapped: bool
    version: int


class ComparisonOut(BaseModel):
    id: int
    dataset: str
    prompt_key: str
    category: str
    instruction: str
    input: str
    reference: str | None
    model1: str
    model2: str
    response1: str
    response2: str
    judge: JudgeOut | None
    labels: list[LabelDetailOut]


class SessionOut(BaseModel):
    name: str
    dataset: str
    kind: str
    overlap: int = Field(description="annotators per comparison")
    blind: bool = Field(description="model names hidden while labelling")
    reveal_judge: bool = Field(description="the judge's verdict is shown after a submit")
    randomize_order: bool
    lease_seconds: int
    guidelines: str


class ProgressOut(BaseModel):
    mine: int = Field(description="comparisons you answered in this session's dataset")
    done: int = Field(description="comparisons with `overlap` labels")
    total: int
    overlap: int


class LabelOut(BaseModel):
    comparison_id: int
    annotator: str
    choice: Literal["left", "right", "tie", "skip"] = Field(description="the answer in the order you saw")
    verdict: Literal["1", "2", "tie"] | None = Field(description="the stored verdict about response 1 and 2")
    swapped: bool = Field(description="response 2 was shown on the left")
    version: int
    confidence: int | None
    comment: str
    flagged: bool
    time_on_item_ms: int | None


class ItemOut(BaseModel):
    session: str
    comparison_id: int
    instruction: str
    input: str
    left: str
    right: str
    swapped: bool = Field(description="send it back with the label")
    left_model: str | None = Field(description="null in a blind session")
    right_model: str | None = Field(description="null in a blind session")
    current_label: LabelOut | None = Field(description="your label when the item comes back to you")
    progress: ProgressOut


class NextOut(BaseModel):
    done: bool = Field(description="true when this session has nothing more for you")
    item: ItemOut | None
    progress: ProgressOut | None = None


class LabelIn(BaseModel):
    session: str = Field(max_length=200)
    comparison_id: int
    choice: Literal["left", "right", "tie", "skip"] = Field(description="about what you were shown")
    swapped: bool = Field(description="as the item said")
    confidence: int | None = Field(default=None, ge=1, le=5)
    comment: str = Field(default="", max_length=5000)
    flagged: bool = False
    time_on_item_ms: int | None = Field(default=None, ge=0)
    expected_version: int | None = Field(
        default=None, ge=0, description="edit only if your label is still this version (0: no label yet)"
    )


class JudgeRevealOut(BaseModel):
    judge_model: str
    verdict: Literal["1", "2", "tie"] | None
    choice: Literal["left", "right", "tie"] | None = Field(description="the judge's verdict in your left/right terms")
    status: str
    reason: str


class GoldOut(BaseModel):
    correct: bool | None
    choice: Literal["left", "right", "tie"] | None
    explanation: str


class SubmitOut(BaseModel):
    label: LabelOut
    judge: JudgeRevealOut | None = Field(description="only when the session reveals the judge")
    gold: GoldOut | None = Field(description="feedback on an attention-check item")


# ---------------------------------------------------------------------- conversions
def _label_out(label: LabelView) -> LabelOut:
    choice = "skip" if label.skipped else presented_choice(label.verdict, label.presented_swapped)
    return LabelOut(
        comparison_id=label.comparison_id,
        annotator=label.annotator,
        choice=choice or "skip",  # type: ignore[arg-type]
        verdict=label.verdict,  # type: ignore[arg-type]
        swapped=label.presented_swapped,
        version=label.version,
        confidence=label.confidence,
        comment=label.comment,
        flagged=label.flagged,
        time_on_item_ms=label.time_on_item_ms,
    )


def _judge_out(v: VerdictView) -> JudgeOut:
    return JudgeOut(
        run_id=v.run_id,
        judge_model=v.judge_model,
        profile=v.profile,
        verdict=v.verdict,  # type: ignore[arg-type]
        status=v.status,
        reason=v.reason,
        reference=v.reference,
        probabilities=v.probabilities,
    )


def _item_out(item: AnnotationItem) -> ItemOut:
    blind = item.session.blind
    return ItemOut(
        session=item.session.name,
        comparison_id=item.comparison.id,
        instruction=item.comparison.instruction,
        input=item.comparison.input,
        left=item.left,
        right=item.right,
        swapped=item.swapped,
        left_model=None if blind else item.left_model,
        right_model=None if blind else item.right_model,
        current_label=_label_out(item.label) if item.label is not None else None,
        progress=ProgressOut(**vars(item.progress)),
    )


def _submit_out(outcome: SubmitOutcome) -> SubmitOut:
    judge = None
    if outcome.judge is not None:
        judge = JudgeRevealOut(
            judge_model=outcome.judge.judge_model,
            verdict=outcome.judge.verdict,  # type: ignore[arg-type]
            choice=outcome.judge_choice,  # type: ignore[arg-type]
            status=outcome.judge.status,
            reason=outcome.judge.reason,
        )
    gold = None
    if outcome.gold_verdict is not None:
        gold = GoldOut(
            correct=outcome.gold_correct,
            choice=outcome.gold_choice,  # type: ignore[arg-type]
            explanation=outcome.gold_explanation,
        )
    return SubmitOut(label=_label_out(outcome.label), judge=judge, gold=gold)


def _idempotency_key(user: str, key: str | None) -> str | None:
    """Keys are per user (two clients may both send "1"), and the stored column is 100 characters."""
    if not key:
        return None
    return "api:" + hashlib.sha256(f"{user}\n{key}".encode()).hexdigest()


# ---------------------------------------------------------------------- the router
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no or an unknown API token"},
    403: {"model": Problem, "description": "your role may not do this"},
    400: {"model": Problem, "description": "a request you can fix (the message says how)"},
    404: {"model": Problem, "description": "no such dataset, session or comparison"},
}


def api_router(studio: Studio) -> APIRouter:
    """The ``/api/v1`` routes over one ``Studio``."""
    router = APIRouter(prefix=API_PREFIX, route_class=_UserErrorRoute, responses=ERRORS)
    bearer = HTTPBearer(auto_error=False, description="an API token: `judge-studio users token NAME`")

    def current_user(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> User:
        user = studio.access.token_user(credentials.credentials) if credentials is not None else None
        if user is None:
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="Send a valid API token as 'Authorization: Bearer <token>' (judge-studio users token NAME).",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return user

    Caller = Annotated[User, Depends(current_user)]

    @router.get("/datasets", response_model=DatasetList, tags=["data"])
    def datasets(user: Caller) -> DatasetList:
        """Names of the stored datasets (any role)."""
        studio.access.require(user.name, "annotator")
        return DatasetList(datasets=studio.dataset_names())

    @router.get("/comparisons", response_model=ComparisonPageOut, tags=["data"])
    def comparisons(
        user: Caller,
        dataset: Annotated[str, Query(description="dataset name")],
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> ComparisonPageOut:
        """A page of a dataset's comparisons with model names and the judge's latest verdict (reviewer+)."""
        page = comparison_page(studio.access, user.name, dataset, limit=limit, offset=offset)
        return ComparisonPageOut(
            dataset=page.dataset,
            total=page.total,
            limit=page.limit,
            offset=page.offset,
            items=[ComparisonSummaryOut(**vars(item)) for item in page.items],
        )

    @router.get("/comparisons/{comparison_id}", response_model=ComparisonOut, tags=["data"])
    def comparison(user: Caller, comparison_id: int) -> ComparisonOut:
        """One comparison: both responses, models, the judge's latest verdict and every label (reviewer+)."""
        detail = comparison_detail(studio.access, user.name, comparison_id)
        c = detail.comparison
        return ComparisonOut(
            id=c.id,
            dataset=c.dataset,
            prompt_key=c.prompt_key,
            category=c.category,
            instruction=c.instruction,
            input=c.input,
            reference=c.reference,
            model1=c.model1,
            model2=c.model2,
            response1=c.response1,
            response2=c.response2,
            judge=_judge_out(detail.judge) if detail.judge is not None else None,
            labels=[LabelDetailOut(**vars(label)) for label in detail.labels],
        )

    @router.get("/sessions", response_model=list[SessionOut], tags=["annotation"])
    def sessions(user: Caller) -> list[SessionOut]:
        """The open annotation sessions (annotator+)."""
        return [
            SessionOut(
                name=s.name,
                dataset=s.dataset,
                kind=s.kind,
                overlap=s.overlap,
                blind=s.blind,
                reveal_judge=s.reveal_judge,
                randomize_order=s.randomize_order,
                lease_seconds=s.lease_seconds,
                guidelines=s.guidelines,
            )
            for s in studio.desk.sessions(user.name)
        ]

    @router.post("/sessions/{name}/next", response_model=NextOut, tags=["annotation"])
    def next_item(user: Caller, name: str) -> NextOut:
        """Lease your next comparison in this session, in your left/right order (annotator+). Model names
        are null in a blind session; the judge's verdict comes only with the submit's answer."""
        item = studio.desk.next_item(user.name, name)
        if item is None:
            progress = studio.desk.progress(user.name, name)
            return NextOut(done=True, item=None, progress=ProgressOut(**vars(progress)))
        out = _item_out(item)
        return NextOut(done=False, item=out, progress=out.progress)

    @router.post("/labels", response_model=SubmitOut, tags=["annotation"])
    def submit_label(
        user: Caller,
        body: LabelIn,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                max_length=200,
                description="send the same key when you retry: the label is stored once and the same answer comes back",
            ),
        ] = None,
    ) -> SubmitOut:
        """Submit (or change) your label on a leased comparison (annotator+)."""
        outcome = studio.desk.submit(
            user.name,
            body.session,
            body.comparison_id,
            body.choice,
            swapped=body.swapped,
            confidence=body.confidence,
            comment=body.comment,
            flagged=body.flagged,
            time_on_item_ms=body.time_on_item_ms,
            idempotency_key=_idempotency_key(user.name, idempotency_key),
            expected_version=body.expected_version,
        )
        return _submit_out(outcome)

    @router.get("/metrics", response_model=dict[str, Any], tags=["data"])
    def metrics(
        user: Caller,
        dataset: Annotated[str, Query(description="dataset name")],
        alpha: Annotated[float, Query(gt=0, lt=1, description="significance level of the partial order")] = 0.05,
        bootstrap: Annotated[int, Query(ge=0, le=2000, description="Bradley-Terry bootstrap resamples")] = 200,
        baseline: Annotated[str | None, Query(description="model for win rates")] = None,
    ) -> dict[str, Any]:
        """The full metrics report of a dataset, as ``judge-studio metrics --json`` prints it (reviewer+)."""
        studio.access.require(user.name, "reviewer")
        return dataset_metrics(studio.store, dataset, alpha=alpha, n_bootstrap=bootstrap, baseline=baseline)

    @router.get(
        "/export",
        tags=["data"],
        response_class=Response,
        responses={200: {"content": {media: {} for media in EXPORT_MEDIA.values()}}},
    )
    def export(
        user: Caller,
        dataset: Annotated[str, Query(description="dataset name")],
        kind: Annotated[Literal["labels", "wide", "dpo"], Query(description="labels (long), wide or dpo")] = "labels",
        format: Annotated[Literal["jsonl", "csv"], Query()] = "jsonl",
        judges: Annotated[bool, Query(description="labels: add every judge verdict as rows")] = False,
        source: Annotated[str, Query(description="dpo: 'majority' or a judge run id")] = "majority",
    ) -> Response:
        """Labels (long), items (wide) or DPO pairs as a JSONL or CSV download (reviewer+)."""
        studio.access.require(user.name, "reviewer")
        with tempfile.TemporaryDirectory(prefix="judge-studio-export-") as folder:
            target = Path(folder) / f"{kind}.{format}"
            rows = export_dataset(
                studio.store, dataset, kind, fmt=format, output=target, include_judges=judges, source=source
            )
            content = target.read_bytes()
        filename = f"{_safe_filename(dataset)}-{kind}.{format}"
        return Response(
            content,
            media_type=EXPORT_MEDIA[format],
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Rows": str(rows)},
        )

    return router


def _safe_filename(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name).strip(".-")
    return cleaned[:80] or "dataset"
