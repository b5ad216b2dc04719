"""``/api/v1/sessions``: the open annotation sessions, and leasing your next item in one."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from fastapi import APIRouter
from pydantic import BaseModel, Field

from orchestration import AnnotationItem
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


@router.get("/sessions", response_model=list[SessionOut])
def sessions(user: Caller, studio: StudioDep) -> list[SessionOut]:
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
