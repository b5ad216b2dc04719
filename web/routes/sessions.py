"""``/api/v1/sessions``: the open annotation sessions (pairwise, or with ``?kind=single`` the grading
sessions with their scale and rubric), and leasing your next item in a pairwise one."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from annotation_store import SessionView
from orchestration import AnnotationItem, Studio
from web.routes.common import API_PREFIX, ERRORS, Caller, LabelOut, ProgressOut, StudioDep, label_out

router = APIRouter(prefix=API_PREFIX, responses=ERRORS, tags=["annotation"])


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
    guideline_version: int | None = Field(
        description="the number of the guidelines version in force (1, 2, ...: each saved change of the text "
        "is a new one, and every label records the version it was given under); null if none is recorded"
    )
    scale: int | None = Field(
        default=None, description="grading sessions: ratings are 1..scale (10 or 5); null for pairwise sessions"
    )
    rubric: str | None = Field(
        default=None,
        description="grading sessions: the rubric graders and a rubric-using judge grade against ('[criterion]' "
        "then 'Score 1: ...' to 'Score N: ...'); '' when there is none; null for pairwise sessions",
    )
    rubric_is_default: bool | None = Field(
        default=None,
        description="grading sessions: true when the session has no rubric of its own and a 1-5 session uses "
        "Prometheus 2's default (helpfulness); null for pairwise sessions",
    )


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
        current_label=label_out(item.label) if item.label is not None else None,
        progress=ProgressOut(**vars(item.progress)),
    )


def _session_out(studio: Studio, s: SessionView) -> SessionOut:
    """One session as the API shows it; a grading session's scale and rubric (the default rubric of a
    1-5 session resolved, as the Grade page shows it: ``GradingDesk.scale_and_rubric``)."""
    scale: int | None = None
    rubric: str | None = None
    is_default: bool | None = None
    if s.kind == "single":
        scale, rubric, is_default = studio.grading.scale_and_rubric(s.name)
    return SessionOut(
        name=s.name,
        dataset=s.dataset,
        kind=s.kind,
        overlap=s.overlap,
        blind=s.blind,
        reveal_judge=s.reveal_judge,
        randomize_order=s.randomize_order,
        lease_seconds=s.lease_seconds,
        guidelines=s.guidelines,
        guideline_version=s.guideline_version,
        scale=scale,
        rubric=rubric,
        rubric_is_default=is_default,
    )


@router.get("/sessions", response_model=list[SessionOut])
def sessions(
    user: Caller,
    studio: StudioDep,
    kind: Annotated[
        Literal["pairwise", "single"],
        Query(description="pairwise: label comparisons (the default); single: grade single answers"),
    ] = "pairwise",
) -> list[SessionOut]:
    """The open annotation sessions of one kind (annotator+): pairwise, or the grading sessions with
    their rating scale and rubric."""
    desk = studio.grading if kind == "single" else studio.desk
    return [_session_out(studio, s) for s in desk.sessions(user.name)]


@router.post("/sessions/{name}/next", response_model=NextOut)
def next_item(user: Caller, studio: StudioDep, name: str) -> NextOut:
    """Lease your next comparison in this session, in your left/right order (annotator+). Model names
    are null in a blind session; the judge's verdict comes only with the submit's answer."""
    item = studio.desk.next_item(user.name, name)
    if item is None:
        progress = studio.desk.progress(user.name, name)
        return NextOut(done=True, item=None, progress=ProgressOut(**vars(progress)))
    out = _item_out(item)
    return NextOut(done=False, item=out, progress=out.progress)
