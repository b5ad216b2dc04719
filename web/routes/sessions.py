"""``/api/v1/sessions``: the open annotation sessions (pairwise, or with ``?kind=single`` the grading
sessions with their scale and rubric), and leasing your next item in either kind: a comparison in a
pairwise session, a response to grade in a grading one (answered with ``POST /labels`` and
``POST /ratings``). The lease's answer says its ``kind``, a discriminator in the OpenAPI schema; the
pairwise answer keeps the fields it had before grading sessions were leased here."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, Field

from annotation_store import SessionView, WrongSessionKind
from errors import InvalidInput
from orchestration import AdminDesk, AnnotationItem, GradingItem, Studio
from orchestration.activity import day_of, records
from orchestration.admin import UNFINISHED_LISTED
from orchestration.session_admin import change_members, members_view, session_activity
from web.routes.common import (
    BODY,
    ITEM_OUT,
    Caller,
    LabelOut,
    ProgressOut,
    RequestIn,
    StudioDep,
    answers,
    api_router,
    label_out,
)
from web.routes.ratings import RatingOut, rating_out

# ``done``'s message when nothing else is to be said: the pages' "Thank you" line (a client showed nothing)
ALL_ANSWERED = "You have answered every comparison this session has for you."
ALL_RATED = "You have rated every response this session has for you."

router = api_router("annotation")


class SessionOut(BaseModel):
    name: str
    dataset: str
    kind: str
    overlap: int = Field(description="annotators per comparison")
    blind: bool = Field(description="model names hidden while labelling")
    reveal_judge: bool = Field(
        description="after each answer (not a skip) the judge's verdict or rating is shown and, in a blind session, "
        "the model names; an answer is final once they were shown (changing it is 409)"
    )
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
    item: str = Field(description=ITEM_OUT)
    comparison_id: int | None = Field(description="the comparison's id for reviewers and admins; null for annotators")
    instruction: str
    input: str
    left: str
    right: str
    left_model: str | None = Field(description="null in a blind session")
    right_model: str | None = Field(description="null in a blind session")
    current_label: LabelOut | None = Field(description="your label when the item comes back to you")
    final: str = Field(
        default="",
        description="why your earlier answer on this item can no longer be changed (the judge's answer, the model "
        "names or a gold item's known answer was shown to you after it: a changed answer is 409); '' when it can",
    )
    progress: ProgressOut


class NextOut(BaseModel):
    """The lease in a pairwise session (its fields as before grading sessions were leased here)."""

    done: bool = Field(description="true when this session has nothing more for you")
    item: ItemOut | None
    progress: ProgressOut | None = None
    message: str = Field(
        default="",
        description="when done: why the session may have ended early for you (you answered items of its dataset "
        "in another session: each person answers an item once, whatever the session); '' otherwise",
    )
    kind: Literal["pairwise"] = Field(description="a pairwise session: answer with POST /labels")


class GradingItemOut(BaseModel):
    session: str
    item: str = Field(description=ITEM_OUT)
    response_id: int | None = Field(description="the response's id for reviewers and admins; null for annotators")
    category: str
    instruction: str
    input: str
    response: str = Field(description="the answer to grade")
    reference: str | None = Field(description="the reference answer, where the dataset has one (as the Grade page)")
    model: str | None = Field(description="null in a blind session")
    scale: int = Field(description="rate 1..scale (10 or 5)")
    rubric: str = Field(description="what each score means ('' when the session has none)")
    rubric_is_default: bool = Field(description="a 1-5 session without its own rubric: Prometheus 2's default")
    guideline_version: int | None = Field(description="the guidelines in force, recorded with your rating")
    current_rating: RatingOut | None = Field(description="your rating when the response comes back to you")
    final: str = Field(
        default="",
        description="why your earlier answer on this item can no longer be changed (the judge's answer, the model "
        "names or a gold item's known answer was shown to you after it: a changed answer is 409); '' when it can",
    )
    progress: ProgressOut


class GradingNextOut(BaseModel):
    """The lease in a grading session: a response to rate. The judge's rating is not part of it; it
    comes only with the submit's answer, and only when the session reveals the judge."""

    done: bool = Field(description="true when this session has nothing more for you")
    item: GradingItemOut | None
    progress: ProgressOut | None = None
    message: str = Field(
        default="",
        description="when done: why the session may have ended early for you (you answered items of its dataset "
        "in another session: each person answers an item once, whatever the session); '' otherwise",
    )
    kind: Literal["single"] = Field(description="a grading session: answer with POST /ratings")


class HolderOut(BaseModel):
    name: str = Field(description="the account holding a live lease on the item")
    since: datetime = Field(description="when they were handed it (UTC)")


class UnfinishedItemOut(BaseModel):
    item_id: int = Field(description="a comparison id (pairwise session) or a response id (grading session)")
    prompt_key: str
    instruction: str = Field(description="the start of the prompt's instruction ('…' where it was cut)")
    answers: int = Field(description="answers in this session so far (skips do not count)")
    needed: int = Field(description="answers the session needs per item (its overlap)")
    skips: int = Field(description="skips in this session (each owed an answer only by the person who skipped)")
    leased_to: list[HolderOut] = Field(description="live leases on the item now, oldest first")


class UnfinishedOut(BaseModel):
    session: str
    kind: Literal["pairwise", "single"]
    overlap: int
    total: int = Field(description="unfinished items in the session (all of them, however many are listed)")
    items: list[UnfinishedItemOut] = Field(description="the first `limit` of them, in item order")


LeaseOut = Annotated[NextOut | GradingNextOut, Field(discriminator="kind")]


def _item_out(item: AnnotationItem) -> ItemOut:
    blind, ref = item.session.blind, item.ref
    return ItemOut(
        session=item.session.name,
        item=ref.handle,
        comparison_id=ref.id if ref.sees_id else None,
        instruction=item.comparison.instruction,
        input=item.comparison.input,
        left=item.left,
        right=item.right,
        left_model=None if blind else item.left_model,
        right_model=None if blind else item.right_model,
        current_label=label_out(item.label, ref) if item.label is not None else None,
        final=item.final,
        progress=ProgressOut(**vars(item.progress)),
    )


def _grading_item_out(item: GradingItem) -> GradingItemOut:
    r, ref = item.response, item.ref
    return GradingItemOut(
        session=item.session.name,
        item=ref.handle,
        response_id=ref.id if ref.sees_id else None,
        category=r.category,
        instruction=r.instruction,
        input=r.input,
        response=r.text,
        reference=r.reference if r.reference and r.reference.strip() else None,
        model=item.model,  # None in a blind session
        scale=item.scale,
        rubric=item.rubric,
        rubric_is_default=item.rubric_is_default,
        guideline_version=item.session.guideline_version,
        current_rating=rating_out(item.rating, ref) if item.rating is not None else None,
        final=item.final,
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


@router.get("/sessions", response_model=list[SessionOut], responses=answers(401))
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


def _next_response(user: str, studio: Studio, name: str) -> GradingNextOut:
    item = studio.grading.next_item(user, name)
    if item is None:
        progress = ProgressOut(**vars(studio.grading.progress(user, name)))
        message = studio.grading.done_note(user, name) or ALL_RATED
        return GradingNextOut(done=True, item=None, progress=progress, message=message, kind="single")
    out = _grading_item_out(item)
    return GradingNextOut(done=False, item=out, progress=out.progress, kind="single")


@router.post(
    "/sessions/{name}/next",
    response_model=LeaseOut,
    responses=answers(
        401,
        403,
        404,
        409,
        notes={
            403: "your account may not answer (deactivated)",
            404: "no such session open to you: unknown, or limited to members you are not one of (the same answer)",
            409: "the session is closed",
        },
    ),
)
def next_item(user: Caller, studio: StudioDep, name: str) -> NextOut | GradingNextOut:
    """Lease your next item in this session (annotator+): in a pairwise session a comparison in your left/right
    order (``kind`` "pairwise", answer with ``POST /labels``), in a grading session a response to rate on the
    session's scale and rubric (``kind`` "single", answer with ``POST /ratings``). The left/right order is the one
    drawn for you and kept with the lease (no ``swapped``: it would tell which side is the dataset's response 1);
    the item is named by ``item``, a handle of yours to send back with the answer (annotators get no
    ``comparison_id`` / ``response_id``: null; reviewers and admins get both); model names are null in a blind
    session; the judge's verdict or rating comes only with the submit's answer, and
    only when the session reveals the judge. An item you answered before comes back with ``final`` saying why it can
    no longer be changed, if so; ``done`` comes with a ``message`` saying why the session ended early for you, if it
    did (items answered in another session), and naming your skips that still need an answer. A skip comes back
    once, with ``current_label`` "skip", when nothing new is left for you; skipped again, it is only named in
    ``message`` (answer it with ``POST /labels``)."""
    try:
        item = studio.desk.next_item(user.name, name)
    except WrongSessionKind as wrong:  # a grading session: no read to learn the kind on the pairwise path
        if wrong.kind != "single":
            raise
        return _next_response(user.name, studio, name)
    if item is None:
        progress = ProgressOut(**vars(studio.desk.progress(user.name, name)))
        message = studio.desk.done_note(user.name, name) or ALL_ANSWERED
        return NextOut(done=True, item=None, progress=progress, message=message, kind="pairwise")
    out = _item_out(item)
    return NextOut(done=False, item=out, progress=out.progress, kind="pairwise")


@router.get(
    "/sessions/{name}/unfinished",
    response_model=UnfinishedOut,
    responses=answers(401, 403, 404, notes={404: "no such session"}),
)
def unfinished(
    user: Caller,
    studio: StudioDep,
    name: str,
    limit: Annotated[int, Query(ge=1, le=100_000, description="list at most this many items")] = UNFINISHED_LISTED,
) -> UnfinishedOut:
    """The session's items that still lack answers, one by one (admin; open or closed, either kind): each
    item's answers so far and needed, its skips and who holds a live lease on it now, and since when."""
    found = AdminDesk(studio).unfinished(user.name, name, limit)
    items = [
        UnfinishedItemOut(
            item_id=i.item_id,
            prompt_key=i.prompt_key,
            instruction=i.instruction,
            answers=i.answers,
            needed=i.needed,
            skips=i.skips,
            leased_to=[HolderOut(name=h.name, since=h.since.replace(tzinfo=UTC)) for h in i.leased_to],
        )
        for i in found.items
    ]
    kind: Literal["pairwise", "single"] = "single" if found.kind == "single" else "pairwise"
    return UnfinishedOut(session=found.session, kind=kind, overlap=found.overlap, total=found.total, items=items)


# ---------------------------------------------------------------------- members and activity (admin)
class MembersOut(BaseModel):
    session: str
    members: list[str] = Field(description="the accounts the session is limited to, by name; [] when open to all")
    open_to_everyone: bool = Field(description="true when the session has no members: every annotator may work in it")
    message: str = Field(description="what `judge-studio sessions members NAME` prints")


class MembersIn(RequestIn):
    add: list[str] = Field(default=[], max_length=1000, description="accounts to make members")
    remove: list[str] = Field(default=[], max_length=1000, description="members to remove")


class MembersChangedOut(MembersOut):
    added: list[str] = Field(description="accounts made members by this request")
    already: list[str] = Field(description="accounts in `add` that were members already (no change)")
    removed: list[str] = Field(description="accounts no longer members")


MEMBERS_NOTES = {
    400: "nothing to change (neither `add` nor `remove` names an account)",
    403: "admins only",
    404: "no such session (the message names the sessions there are), or no such account, or `remove` names "
    "an account that is not a member (nothing is changed)",
}


@router.get(
    "/sessions/{name}/members", response_model=MembersOut, responses=answers(401, 403, 404, notes=MEMBERS_NOTES)
)
def members(user: Caller, studio: StudioDep, name: str) -> MembersOut:
    """Who may work in this session (admin): a session with no members is open to every annotator; one with
    members only to them (reviewers and admins see and work in every session)."""
    view = members_view(studio.access, user.name, name)
    return MembersOut(session=view.session, members=view.members, open_to_everyone=not view.members, message=view.said)


@router.put(
    "/sessions/{name}/members",
    response_model=MembersChangedOut,
    responses=answers(400, 401, 403, 404, *BODY, notes=MEMBERS_NOTES),
)
def change_members_route(user: Caller, studio: StudioDep, name: str, body: MembersIn) -> MembersChangedOut:
    """Add and remove members of this session (admin), all or nothing; logged to the security log. Adding a member
    again is no change; removing the last member opens the session to every annotator again."""
    if not body.add and not body.remove:
        raise InvalidInput("Nothing to change: give `add` and/or `remove` (account names); GET lists the members.")
    changed, lines = change_members(studio.access, user.name, name, body.add, body.remove)
    return MembersChangedOut(
        session=name.strip(),
        members=changed.members,
        open_to_everyone=not changed.members,
        message=" ".join(lines),
        added=changed.added,
        already=changed.already,
        removed=changed.removed,
    )


LABELS_ONLY = "a pairwise session's rows only"
RATINGS_ONLY = "a grading session's rows only (`counts` 'ratings')"


class ActivityRowOut(BaseModel):
    annotator: str | None = Field(default=None, description="by person or person-day; absent by day")
    day: str | None = Field(default=None, description="YYYY-MM-DD (UTC), by day or person-day; absent by person")
    labels: int | None = Field(None, description=f"answers that count (skips and answers set aside not); {LABELS_ONLY}")
    ratings: int | None = Field(None, description=f"ratings that count (skips and set-aside not); {RATINGS_ONLY}")
    skipped: int
    set_aside: int = Field(description="answers of accounts set aside (`users set-aside`), left out of every figure")
    gold_checks: int | None = Field(None, description=LABELS_ONLY)
    gold_right: int | None = Field(None, description=LABELS_ONLY)
    gold_accuracy: float | None = Field(
        None, description=f"gold_right / gold_checks; null without a gold check; {LABELS_ONLY}"
    )
    first_label_at: str | None = Field(None, description=f"ISO 8601 UTC ('...Z'); {LABELS_ONLY}")
    last_label_at: str | None = Field(None, description=f"ISO 8601 UTC ('...Z'); {LABELS_ONLY}")
    first_rating_at: str | None = Field(None, description=f"ISO 8601 UTC ('...Z'); {RATINGS_ONLY}")
    last_rating_at: str | None = Field(None, description=f"ISO 8601 UTC ('...Z'); {RATINGS_ONLY}")


class ActivityOut(BaseModel):
    session: str
    counts: Literal["labels", "ratings"] = Field(
        description="what the rows count: a pairwise session's labels, or a grading session's ratings"
    )
    by: Literal["person", "day", "person-day"]
    since: str | None = Field(description="the first UTC day counted (YYYY-MM-DD); null: from the first answer")
    until: str | None = Field(description="the last UTC day counted (both included); null: to today")
    rows: list[ActivityRowOut]


@router.get(
    "/sessions/{name}/activity",
    response_model=ActivityOut,
    response_model_exclude_unset=True,
    responses=answers(
        400,
        401,
        403,
        404,
        notes={
            400: "`since` or `until` is not a YYYY-MM-DD day, or the range ends before it starts",
            403: "admins only",
            404: "no such session (the message names the sessions there are)",
        },
    ),
)
def activity(
    user: Caller,
    studio: StudioDep,
    name: str,
    by: Annotated[
        Literal["person", "day", "person-day"], Query(description="one row per person, per UTC day, or both")
    ] = "person",
    since: Annotated[str | None, Query(description="answers given on or after this UTC day (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, Query(description="answers given on or before this UTC day (YYYY-MM-DD)")] = None,
) -> ActivityOut:
    """Labels per person and/or UTC day in this session (admin), as `judge-studio sessions activity --session NAME
    --format json`: answers that count, skips, answers set aside, gold checks taken and right, first and last label;
    a grading session's ratings (`counts` 'ratings'): ratings that count, skips, set aside, first and last rating."""
    first = day_of(since, "since") if since else None
    last = day_of(until, "until") if until else None
    found = session_activity(studio.access, user.name, name, by=by, since=first, until=last)
    return ActivityOut(
        session=name.strip(),
        counts="ratings" if found.counts == "ratings" else "labels",
        by=by,
        since=first.isoformat() if first else None,
        until=last.isoformat() if last else None,
        rows=[ActivityRowOut(**row) for row in records(found)],
    )
