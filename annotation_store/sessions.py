"""Annotation sessions and gold (attention-check) comparisons.

A session names a dataset and how people answer it: ``overlap`` annotators per item, blind or not,
the judge revealed after submitting or never, left/right order randomized, the lease length, the
share of gold comparisons, and guidelines. Its kind says what is answered: 'pairwise' (a label on a
comparison) or 'single' (a 1-10 rating of one response). ``answers.py`` leases, checks and writes
the answers; this module holds the configuration. ``strategy`` and ``audit_rate`` say how items are
handed out (``assignment.py``: least-annotated, or judge-uncertain-first with a random audit share),
and ``draw_probabilities`` gives the bias-corrected estimates each comparison's draw probability π.
Grading sessions also have a ``scale`` (1-10 or 1-5) and a ``rubric`` (``scales.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import EllipsisType
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, object_session

from annotation_store.accounts import ROLE_RANK, release_leases
from annotation_store.assignment import (
    ASSIGNMENT_DEFAULTS,
    JUDGE_UNCERTAIN_FIRST,
    check_assignment,
    inclusion,
    session_draws,
    uncertain_sessions,
)
from annotation_store.base import StoreBase, StoreConflict, StoreNotFound
from annotation_store.batch_import import rows_progress
from annotation_store.errors import StoreError
from annotation_store.gold_ratings import GoldImportCounts
from annotation_store.guidelines import guideline_version_in_force, record_guidelines
from annotation_store.models import (
    LEASE_MIN_SECONDS,
    SESSION_KINDS,
    VERDICT_VALUES,
    AnnotationSession,
    Annotator,
    Assignment,
    Comparison,
    Dataset,
    GoldLabel,
    GuidelineVersion,
    Label,
    Rating,
    RatingAssignment,
    SessionMember,
    utcnow,
)
from annotation_store.scales import GRADING_DEFAULTS, check_grading, check_rubric
from annotation_store.views import HistoryItem, Progress, SessionView

if TYPE_CHECKING:
    import pandas as pd

# ``fill``: "breadth" hands out the least-annotated item first (every item gets one answer before any gets
# a second); "depth" the most-covered item still short of the overlap (items reach k answers one after
# another, so agreement shows early). Either way nobody gets an item twice; gold items and leases as ever.
BREADTH, DEPTH = "breadth", "depth"
FILL_ORDERS = (BREADTH, DEPTH)
# The one place each session default is written down (the settings table refers to it by name).
SESSION_DEFAULTS: dict[str, Any] = {
    "overlap": 1,  # annotators per item
    "blind": True,  # model names hidden while answering
    "reveal_judge": True,  # the judge's answer shown after a submit
    "randomize_order": True,  # left/right drawn per (comparison, annotator)
    "lease_seconds": 900,  # an item not answered within this returns to the pool
    "gold_rate": 0.0,  # share of gold (attention-check) comparisons
    "guidelines": "",
    "fill": BREADTH,  # the order items are handed out in (``FILL_ORDERS``)
}
MAX_OVERLAP = 50
MAX_LEASE_SECONDS = 7 * 24 * 3600
MAX_GOLD_RATE = 0.5
MAX_GUIDELINES = 50_000

MEMBERS_NAMED = 20  # an unknown session or account is answered with at most this many known names
#: The lowest role that sees and works in every open session, members or not (to manage them); below it, a
#: session with members (``judge-studio sessions members``, migration 0022) is open to its members only.
SEES_EVERY_SESSION = "reviewer"

__all__ = [
    "FILL_ORDERS",
    "HistoryItem",
    "MEMBER_ROLES",
    "MemberScope",
    "MembersChanged",
    "SEES_EVERY_SESSION",
    "Progress",
    "SESSION_DEFAULTS",
    "SessionCreated",
    "SessionView",
    "SessionsMixin",
    "sees_every_session",
]


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_setting(key: str, value: Any) -> Any:
    """One session setting, checked; the message names the field and the allowed range."""
    if key == "overlap":
        if not _whole(value) or not 1 <= value <= MAX_OVERLAP:
            raise StoreError(f"Overlap (annotators per comparison) must be 1 to {MAX_OVERLAP}, got {value!r}.")
    elif key == "lease_seconds":
        if not _whole(value) or not LEASE_MIN_SECONDS <= value <= MAX_LEASE_SECONDS:
            raise StoreError(
                f"The lease must be {LEASE_MIN_SECONDS} seconds to 7 days, got {value!r}: a shorter lease "
                "expires while people still read, and their items are handed to someone else."
            )
    elif key == "gold_rate":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_GOLD_RATE:
            raise StoreError(f"The gold rate must be a share from 0 to {MAX_GOLD_RATE}, got {value!r}.")
        return float(value)
    elif key == "fill":
        if value not in FILL_ORDERS:
            raise StoreError(
                f"The fill order must be 'breadth' (every item gets one answer before any gets a second) or "
                f"'depth' (items are filled to the overlap one after another), got {value!r}; nothing was saved."
            )
    elif key == "guidelines":
        if not isinstance(value, str) or len(value) > MAX_GUIDELINES:
            raise StoreError(f"Guidelines must be text of at most {MAX_GUIDELINES:,} characters.")
    elif not isinstance(value, bool):
        raise StoreError(f"Session setting {key!r} must be true or false, got {value!r}.")
    return value


def session_values(values: dict[str, Any]) -> dict[str, Any]:
    """Validate session settings before any SQL runs; a message names the field."""
    unknown = [key for key in values if key not in SESSION_DEFAULTS]
    if unknown:
        raise StoreError(f"Unknown session setting {unknown[0]!r}.")
    return {key: _check_setting(key, value) for key, value in values.items()}


def session_view(row: AnnotationSession, dataset: str, version: int | None | EllipsisType = ...) -> SessionView:
    """The session as the pages see it, with the number of its guideline version in force (read in the
    row's own transaction, so the text and its number match; ``version``: already read with the row,
    see ``find_session_in_force``)."""
    if version is ...:
        owner = object_session(row)
        version = guideline_version_in_force(owner, row.id) if owner is not None and row.id is not None else None
    return SessionView(
        row.name,
        dataset,
        row.kind,
        row.overlap,
        bool(row.blind),
        bool(row.reveal_judge),
        bool(row.randomize_order),
        row.lease_seconds,
        float(row.gold_rate),
        row.guidelines,
        bool(row.active),
        version,
        int(row.scale),
        row.fill,
        row.id,
    )


def find_session(session: Session, name: str) -> tuple[AnnotationSession, str]:
    """The session row called ``name`` and its dataset's name, or StoreNotFound."""
    found = session.execute(
        select(AnnotationSession, Dataset.name)
        .join(Dataset, AnnotationSession.dataset_id == Dataset.id)
        .where(AnnotationSession.name == name)
    ).first()
    if found is None:
        raise StoreNotFound(f"There is no annotation session {name!r}.")
    return found[0], found[1]


def find_session_in_force(
    session: Session, name: str, account: str | None = None
) -> tuple[AnnotationSession, str, int | None]:
    """``find_session`` and the session's guideline version in force, read in one SELECT (a submit's
    first statement: one round trip fewer inside its write transaction). With ``account`` (the answer flow:
    lease, submit, reopen, history), the same SELECT reads whether the session is open to that account
    (``open_to``), so membership is checked inside the caller's transaction, with no statement of its own; a
    session not open to them is refused with the words of an unknown one (``not_open_to_you``: 404 alike)."""
    version = (
        select(func.max(GuidelineVersion.version))
        .where(GuidelineVersion.session_id == AnnotationSession.id)
        .correlate(AnnotationSession)
        .scalar_subquery()
    )
    columns = _scope_columns(account) if account is not None else ()
    found = session.execute(
        select(AnnotationSession, Dataset.name, version, *columns)
        .join(Dataset, AnnotationSession.dataset_id == Dataset.id)
        .where(AnnotationSession.name == name)
    ).first()
    if account is not None and (found is None or not open_to(MemberScope(bool(found[3]), bool(found[4]), found[5]))):
        raise StoreNotFound(not_open_to_you(name))
    if found is None:
        raise StoreNotFound(f"There is no annotation session {name!r}.")
    return found[0], found[1], int(found[2]) if found[2] is not None else None


#: Ids per ``IN (...)`` query of a bulk gold write (well under SQLite's and PostgreSQL's parameter limits).
GOLD_CHUNK = 500
#: ``Store.gold_rows``' keys and ``Store.gold_marks``' columns, in order.
GOLD_COLUMNS = ("comparison_id", "dataset", "verdict", "explanation")


@dataclass(frozen=True)
class GoldMark:
    """One gold mark of a bulk write (``set_gold_many``); ``where`` is its place in the file it came
    from ("gold.csv, row 3"), so a refusal names it."""

    comparison_id: int
    verdict: str
    explanation: str
    where: str = ""

    @property
    def place(self) -> str:
        return self.where or f"The mark of comparison {self.comparison_id}"


@dataclass(frozen=True)
class MemberScope:
    """Who a session is open to, as one account asks (``SessionsMixin.member_scope``): ``limited`` when the
    session has members (then only they, and reviewers and admins, may work in it), ``member`` when this
    account is one, ``role`` the account's role (None: no such account)."""

    limited: bool
    member: bool
    role: str | None


@dataclass(frozen=True)
class SessionCreated:
    """What ``SessionsMixin.create_session`` saved: the session, and its members by name ([]: open to everyone)."""

    view: SessionView
    members: list[str]


@dataclass(frozen=True)
class MembersChanged:
    """What ``change_session_members`` did: accounts added, already members, removed; the members now."""

    added: list[str]
    already: list[str]
    removed: list[str]
    members: list[str]
    released: dict[str, int] = field(default_factory=dict)  # items released, per account that can no longer work there


def sees_every_session(role: str | None) -> bool:
    """Whether an account of ``role`` sees and works in every session, members or not: ``SEES_EVERY_SESSION`` and
    the roles above it (``ROLE_RANK``). The one threshold of ``open_to``, of who loses their leases when a session
    gets members (``MEMBER_ROLES``) and of who the Admin page offers as members."""
    return role is not None and ROLE_RANK.get(role, -1) >= ROLE_RANK[SEES_EVERY_SESSION]


#: The roles that a session limited to members shuts out unless they are one (below ``SEES_EVERY_SESSION``).
MEMBER_ROLES = tuple(role for role in ROLE_RANK if not sees_every_session(role))


def open_to(scope: MemberScope | None) -> bool:
    """The one rule of who may work in a session: a session with no members (or none by that name: the answer
    flow says so itself) is open to everyone; one with members to them, and to reviewers and admins
    (``sees_every_session``). Checked inside the answer flow's transaction (``find_session_in_force``)."""
    if scope is None or not scope.limited or scope.member:
        return True
    return sees_every_session(scope.role)


def not_open_to_you(session_name: str | None) -> str:
    """The refusal of a session that is unknown, or limited to members the caller is not one of: the same words
    for both (a 404 over REST), so the answer does not tell a non-member that the session exists."""
    return f"There is no annotation session {session_name!r} open to you."


def _scope_columns(account: str) -> tuple[Any, Any, Any]:
    """(limited, member, role) of ``account`` for the session row of the SELECT they join (``MemberScope``)."""
    member = select(SessionMember.id).where(
        SessionMember.session_id == AnnotationSession.id,
        SessionMember.annotator_id == select(Annotator.id).where(Annotator.name == account).scalar_subquery(),
    )
    limited = select(SessionMember.id).where(SessionMember.session_id == AnnotationSession.id)
    role = select(Annotator.role).where(Annotator.name == account).scalar_subquery()
    return limited.exists(), member.exists(), role


def _named(names: Sequence[str]) -> str:
    """The first ``MEMBERS_NAMED`` of ``names`` for a message ("none" when there are none)."""
    shown = ", ".join(repr(name) for name in names[:MEMBERS_NAMED])
    return (shown + (", …" if len(names) > MEMBERS_NAMED else "")) or "none"


def _release_outsiders(session: Session, session_id: int, members: list[str]) -> dict[str, int]:
    """Inside the members change's write transaction: release the live leases in the session of the annotators
    who may no longer work there (not members of a session limited to members; reviewers and admins see every
    session), with ``accounts.release_leases``, the rule deactivation and set-aside use. Returns how many items
    each of them held (none when the session is open to everyone)."""
    if not members:
        return {}
    now = utcnow()
    held: dict[str, int] = {}
    for lease in (Assignment, RatingAssignment):
        holders = session.execute(
            select(Annotator.name, Annotator.id)
            .join(lease, lease.annotator_id == Annotator.id)
            .where(
                lease.session_id == session_id,
                lease.completed_at.is_(None),
                lease.lease_expires_at > now,
                Annotator.role.in_(MEMBER_ROLES),  # reviewers and admins see every session
                Annotator.name.not_in(members),
            )
            .distinct()
        ).all()
        for name, account_id in holders:
            if name not in held:
                held[name] = release_leases(session, account_id, session_id)
    return held


def _members_session(session: Session, name: str) -> AnnotationSession:
    """The session ``name`` (open or closed, either kind); unknown: StoreNotFound naming the sessions there are."""
    row = session.scalar(select(AnnotationSession).where(AnnotationSession.name == (name or "").strip()))
    if row is None:
        known = list(session.scalars(select(AnnotationSession.name).order_by(AnnotationSession.name)))
        raise StoreNotFound(f"There is no annotation session {name!r}; sessions: {_named(known)}. Nothing was changed.")
    return row


def _member_names(session: Session, session_id: int) -> list[str]:
    query = (
        select(Annotator.name)
        .join(SessionMember, SessionMember.annotator_id == Annotator.id)
        .where(SessionMember.session_id == session_id)
        .order_by(Annotator.name)
    )
    return list(session.scalars(query))


def _accounts_named(session: Session, names: Sequence[str]) -> dict[str, int]:
    """name -> account id for each of ``names``; one unknown: StoreNotFound naming the accounts there are."""
    wanted = list(dict.fromkeys(name.strip() for name in names if name and name.strip()))
    query = select(Annotator.name, Annotator.id).where(Annotator.name.in_(wanted))
    found: dict[str, int] = {name: int(account_id) for name, account_id in session.execute(query)}
    missing = [name for name in wanted if name not in found]
    if missing:
        known = list(session.scalars(select(Annotator.name).where(Annotator.active.is_(True)).order_by(Annotator.name)))
        raise StoreNotFound(
            f"There is no account named {_named(missing)}; accounts: {_named(known)}. Nothing was changed."
        )
    return {name: found[name] for name in wanted}


def _check_fill(row: AnnotationSession) -> None:
    """Depth fill orders the least-annotated hand-out; a judge-uncertain-first session draws by the judge's
    uncertainty (with known draw probabilities), which a fill order would change: refuse the pair."""
    if row.fill == DEPTH and row.strategy == JUDGE_UNCERTAIN_FIRST:
        raise StoreError(
            "The fill order 'depth' works with the least-annotated strategy only: a judge-uncertain-first "
            "session draws items by the judge's uncertainty and its audit share. Choose fill 'breadth' or the "
            "least-annotated strategy; nothing was saved."
        )


class SessionsMixin(StoreBase):
    """Sessions and gold labels for ``Store``."""

    def save_session(self, name: str, dataset: str, **settings: Any) -> SessionView:
        """Create the session ``name`` on ``dataset``, or change the given settings of an existing one.
        A save whose guidelines differ from the latest version adds the next one (``guidelines.py``; the
        first comes with the session), recording ``edited_by=`` (who saved, optional).

        ``kind``: 'pairwise' (the default for a new session) or 'single' (single-answer grading).
        ``fill``: 'breadth' (the default: least-annotated item first) or 'depth' (each item filled to the
        overlap first, so agreement shows early); see ``FILL_ORDERS``.
        ``strategy``: 'least-annotated' (the default) or 'judge-uncertain-first' (either kind), with
        ``audit_rate`` the share of leases drawn at random (0.01 to 1, default 0.2); see ``assignment.py``.
        Single-answer sessions: ``scale`` 10 (default) or 5, ``rubric`` (optional); see ``scales.py``."""
        return self._save_session(name, dataset, settings).view

    def create_session(
        self, name: str, dataset: str, members: Sequence[str] = (), *, added_by: str | None = None, **settings: Any
    ) -> SessionCreated:
        """Create the session ``name`` on ``dataset`` (``save_session``'s settings) limited to ``members`` (none:
        open to every annotator), in ONE write transaction, all or nothing: a session of that name already there
        (checked inside the transaction, so two creates of one name cannot both win) or a member that is no
        account (``change_session_members``' rule and words) saves nothing, and no one can work in the new session
        before its members are in (``judge-studio sessions create --members``; review18 1). ``added_by``: who added
        the members (kept with their rows, as ``change_session_members``' ``by``)."""
        return self._save_session(name, dataset, settings, new_with=list(members), added_by=added_by)

    def _save_session(
        self,
        name: str,
        dataset: str,
        settings: dict[str, Any],
        new_with: list[str] | None = None,
        added_by: str | None = None,
    ) -> SessionCreated:
        """``save_session`` (``new_with`` None) or ``create_session`` (``new_with``: the members)."""
        settings = dict(settings)
        cleaned = (name or "").strip() if isinstance(name, str) else ""
        if not cleaned or len(cleaned) > 200:
            raise StoreError("A session needs a name of 1 to 200 characters.")
        active = settings.pop("active", None)
        edited_by = settings.pop("edited_by", None)
        kind = settings.pop("kind", None)
        if kind is not None and kind not in SESSION_KINDS:
            raise StoreError(f"Session kind {kind!r} is not one of {', '.join(SESSION_KINDS)}; nothing was saved.")
        assignment = {key: check_assignment(key, settings.pop(key)) for key in ASSIGNMENT_DEFAULTS if key in settings}
        grading = {key: check_grading(key, settings.pop(key)) for key in GRADING_DEFAULTS if key in settings}
        values = session_values(settings)
        by = edited_by if isinstance(edited_by, str) else None
        with self._write() as session:
            dataset_id = session.scalar(select(Dataset.id).where(Dataset.name == dataset))
            if dataset_id is None:
                raise StoreNotFound(f"There is no dataset {dataset!r}; import it first.")
            row = session.scalar(select(AnnotationSession).where(AnnotationSession.name == cleaned))
            if row is not None and new_with is not None:
                raise StoreConflict(
                    f"A session named {cleaned!r} already exists; change it on the Admin page. Nothing was saved."
                )
            if row is None:
                row = AnnotationSession(name=cleaned, dataset_id=dataset_id, kind="pairwise", active=True)
                for key, default in SESSION_DEFAULTS.items():
                    setattr(row, key, default)
                for key, default in {**ASSIGNMENT_DEFAULTS, **GRADING_DEFAULTS}.items():
                    setattr(row, key, default)
                session.add(row)
            routed = row.id is not None and row.strategy == JUDGE_UNCERTAIN_FIRST  # as stored, before this save
            row.dataset_id = dataset_id
            for key, value in {**values, **assignment}.items():
                setattr(row, key, value)
            if active is not None:
                row.active = bool(active)
            _check_fill(row)
            _set_kind_and_grading(session, row, kind, grading, routed)
            session.flush()
            record_guidelines(session, row, by)
            members: list[str] = []
            if new_with:
                for account_id in _accounts_named(session, new_with).values():
                    session.add(SessionMember(session_id=row.id, annotator_id=account_id, added_by=added_by))
                session.flush()
                members = _member_names(session, row.id)
            return SessionCreated(session_view(row, dataset), members)

    def sessions(self, *, active_only: bool = False) -> list[SessionView]:
        query = (
            select(AnnotationSession, Dataset.name)
            .join(Dataset, AnnotationSession.dataset_id == Dataset.id)
            .order_by(AnnotationSession.id)
        )
        if active_only:
            query = query.where(AnnotationSession.active.is_(True))
        with self._read() as session:
            return [session_view(row, dataset) for row, dataset in session.execute(query).all()]

    def get_session(self, name: str) -> SessionView:
        with self._read() as session:
            return session_view(*find_session(session, name))

    def session_assignment(self, name: str) -> dict[str, Any]:
        """How the session hands out items: {'strategy': ..., 'audit_rate': ...} (the Admin form's fields)."""
        with self._read() as session:
            row, _dataset = find_session(session, name)
            return {"strategy": row.strategy, "audit_rate": float(row.audit_rate)}

    def session_grading(self, name: str) -> dict[str, Any]:
        """The session's rating scale and rubric as stored: {'scale': 10 | 5, 'rubric': str ('': none or,
        on a 1-5 session, the default rubric; ``orchestration.grading.session_rubric`` resolves it)}."""
        with self._read() as session:
            row, _dataset = find_session(session, name)
            return {"scale": int(row.scale), "rubric": row.rubric or ""}

    def draw_probabilities(self, dataset: str, session_name: str | None = None) -> pd.DataFrame:
        """comparison_id, draw_probability π of every comparison of the dataset, for the corrected
        estimates (pass it as the ``draw_probability`` column of their ``comparisons``).

        π is the probability that the comparison was drawn for people by the dataset's
        judge-uncertain-first sessions (or by ``session_name`` alone), defined in ``assignment.py``.
        NaN for every comparison when that design does not explain the labels: the session is
        least-annotated, or (for the whole dataset) some labels were given outside such sessions."""
        with self._read() as session:
            dataset_id = session.scalar(select(Dataset.id).where(Dataset.name == dataset))
            if dataset_id is None:
                raise StoreNotFound(f"There is no dataset {dataset!r}.")
            if session_name is not None:
                row, on = find_session(session, session_name)
                if on != dataset:
                    raise StoreError(f"The session {session_name!r} is on {on!r}, not on {dataset!r}.")
                ids = [row.id] if row.strategy == JUDGE_UNCERTAIN_FIRST else []
            else:
                ids = uncertain_sessions(session, dataset_id)
            return _draw_frame(session, dataset_id, ids, whole_dataset=session_name is None)

    # ------------------------------------------------------------------ members
    def session_members(self, name: str) -> list[str]:
        """The accounts a session is limited to, by name ([]: it is open to every annotator); an unknown
        session is StoreNotFound naming the sessions there are."""
        with self._read() as session:
            return _member_names(session, _members_session(session, name).id)

    def change_session_members(
        self, name: str, add: Sequence[str] = (), remove: Sequence[str] = (), by: str | None = None
    ) -> MembersChanged:
        """Add and remove members of session ``name`` in one write transaction, all or nothing: an unknown session
        or account, or removing an account that is not a member, is refused naming the known ones (adding a member
        again is no change). ``by``: who made the change (kept with the row)."""
        with self._write() as session:
            row = _members_session(session, name)
            current = set(_member_names(session, row.id))
            adding = _accounts_named(session, add)
            removing = _accounts_named(session, remove)
            strangers = [who for who in removing if who not in current]
            if strangers:
                raise StoreNotFound(
                    f"{_named(strangers)} {'is' if len(strangers) == 1 else 'are'} not a member of the session "
                    f"{row.name!r}; members: {_named(sorted(current))}. Nothing was changed."
                )
            for who, account_id in adding.items():
                if who not in current and who not in removing:
                    session.add(SessionMember(session_id=row.id, annotator_id=account_id, added_by=by))
            if removing:
                gone = SessionMember.annotator_id.in_(list(removing.values()))
                session.execute(delete(SessionMember).where(SessionMember.session_id == row.id, gone))
            session.flush()
            members = _member_names(session, row.id)
            return MembersChanged(
                added=[who for who in adding if who not in current and who not in removing],
                already=[who for who in adding if who in current],
                removed=list(removing),
                members=members,
                released=_release_outsiders(session, row.id, members),
            )

    def member_scope(self, session_name: str | None, account: str) -> MemberScope | None:
        """Whether session ``session_name`` is limited to members and ``account`` is one, with the account's role,
        in one SELECT; None when there is no such session (the answer flow then says so itself)."""
        query = select(*_scope_columns(account)).where(AnnotationSession.name == (session_name or ""))
        with self._read() as session:
            found = session.execute(query).first()
        return MemberScope(bool(found[0]), bool(found[1]), found[2]) if found is not None else None

    def sessions_closed_to(self, account: str) -> set[str]:
        """The names of the sessions limited to members that ``account`` is not one of (one SELECT)."""
        mine = select(SessionMember.session_id).join(Annotator, SessionMember.annotator_id == Annotator.id)
        query = (
            select(AnnotationSession.name)
            .join(SessionMember, SessionMember.session_id == AnnotationSession.id)
            .where(SessionMember.session_id.not_in(mine.where(Annotator.name == account)))
            .distinct()
        )
        with self._read() as session:
            return set(session.scalars(query))

    # ------------------------------------------------------------------ gold
    def set_gold(self, comparison_id: int, verdict: str, explanation: str = "") -> None:
        """Mark a comparison as gold with its known answer (canonical order); setting it again edits it."""
        if verdict not in VERDICT_VALUES:
            raise StoreError(f"Gold answer {verdict!r} is not one of {', '.join(VERDICT_VALUES)}.")
        with self._write() as session:
            if session.get(Comparison, comparison_id) is None:
                raise StoreNotFound(f"There is no comparison with id {comparison_id}.")
            row = session.scalar(select(GoldLabel).where(GoldLabel.comparison_id == comparison_id))
            if row is None:
                row = GoldLabel(comparison_id=comparison_id)
                session.add(row)
            row.verdict, row.explanation = verdict, explanation or ""

    def remove_gold(self, comparison_id: int) -> int:
        """Remove a comparison's gold mark (a wrong or outdated attention check); returns how many
        answers (labels, skips aside) people gave on it, which stay.

        Only the gold row goes: the labels stay and become ordinary labels. From then on the comparison
        is in the normal pool (``answers.py`` excludes gold items only while they are gold), so those
        labels count toward the overlap k, and gold accuracy (computed from ``gold_labels``) no longer
        counts it. Someone holding a lease on it may find it taken when k is already reached. An unknown
        id or a comparison that is not gold is refused (``StoreNotFound``) and nothing is written."""
        with self._write() as session:
            row = session.scalar(select(GoldLabel).where(GoldLabel.comparison_id == comparison_id))
            if row is None:
                if session.get(Comparison, comparison_id) is None:
                    raise StoreNotFound(f"There is no comparison with id {comparison_id}; nothing was removed.")
                raise StoreNotFound(f"Comparison #{comparison_id} is not gold; nothing was removed.")
            session.delete(row)
            kept = select(func.count()).select_from(Label)
            return int(session.scalar(kept.where(Label.comparison_id == comparison_id, Label.skipped.is_(False))) or 0)

    def set_gold_many(self, marks: Sequence[GoldMark]) -> GoldImportCounts:
        """Mark many comparisons as gold in ONE write transaction, all or nothing (``judge-studio gold
        import``); returns what it did (``GoldImportCounts``, counted in the transaction). A verdict that is
        not 1, 2 or tie, a comparison marked twice or an unknown comparison refuses the whole batch with the
        mark's place in the message, and nothing is written. A comparison already gold gets the new answer,
        as ``set_gold`` does."""
        if not marks:
            raise StoreError("There are no gold marks to write; nothing was imported.")
        seen: dict[int, str] = {}
        for mark in marks:
            if mark.verdict not in VERDICT_VALUES:
                raise StoreError(
                    f"{mark.place}, column 'verdict': {mark.verdict!r} is not one of {', '.join(VERDICT_VALUES)}; "
                    "nothing was imported."
                )
            if mark.comparison_id in seen:
                raise StoreError(
                    f"{mark.place}, column 'comparison_id': comparison {mark.comparison_id} is marked already "
                    f"({seen[mark.comparison_id]}); nothing was imported."
                )
            seen[mark.comparison_id] = mark.place
        ids = list(seen)
        with self._write() as session:
            known: set[int] = set()
            existing: dict[int, GoldLabel] = {}
            for start in range(0, len(ids), GOLD_CHUNK):
                chunk = ids[start : start + GOLD_CHUNK]
                known.update(session.scalars(select(Comparison.id).where(Comparison.id.in_(chunk))))
                rows = session.scalars(select(GoldLabel).where(GoldLabel.comparison_id.in_(chunk)))
                existing.update((row.comparison_id, row) for row in rows)
            unchanged, tick = 0, rows_progress(session, len(marks))
            for done, mark in enumerate(marks, start=1):
                if mark.comparison_id not in known:
                    raise StoreNotFound(
                        f"{mark.place}, column 'comparison_id': there is no comparison with id "
                        f"{mark.comparison_id}; nothing was imported."
                    )
                row = existing.get(mark.comparison_id)
                if row is None:
                    row = GoldLabel(comparison_id=mark.comparison_id)
                    session.add(row)
                elif (row.verdict, row.explanation) == (mark.verdict, mark.explanation):
                    unchanged += 1
                row.verdict, row.explanation = mark.verdict, mark.explanation
                tick(done)
            return GoldImportCounts(len(marks) - len(existing), len(existing) - unchanged, unchanged)

    def gold_marks(self, dataset: str | None = None, comparison_id: int | None = None) -> pd.DataFrame:
        """``gold_rows`` as a DataFrame of ``GOLD_COLUMNS``."""
        import pandas as pd

        return pd.DataFrame(self.gold_rows(dataset, comparison_id), columns=list(GOLD_COLUMNS))

    def gold_rows(self, dataset: str | None = None, comparison_id: int | None = None) -> list[dict[str, Any]]:
        """comparison_id, dataset, verdict, explanation (``GOLD_COLUMNS``) of the gold comparisons (of one dataset,
        or of one comparison), in id order, as plain rows (``judge-studio gold list`` loads no pandas); an unknown
        dataset is refused (``StoreNotFound``) rather than listed as empty."""
        query = (
            select(GoldLabel.comparison_id, Dataset.name.label("dataset"), GoldLabel.verdict, GoldLabel.explanation)
            .join(Comparison, GoldLabel.comparison_id == Comparison.id)
            .join(Dataset, Comparison.dataset_id == Dataset.id)
            .order_by(GoldLabel.comparison_id)
        )
        if dataset:
            query = query.where(Dataset.name == dataset)
        if comparison_id is not None:
            query = query.where(GoldLabel.comparison_id == comparison_id)
        with self._read() as session:
            if dataset and session.scalar(select(Dataset.id).where(Dataset.name == dataset)) is None:
                raise StoreNotFound(f"There is no dataset {dataset!r}.")
            return [dict(row) for row in session.execute(query).mappings().all()]

    def gold(self, comparison_id: int) -> tuple[str, str] | None:
        """(verdict, explanation) when the comparison is gold, else None."""
        with self._read() as session:
            row = session.scalar(select(GoldLabel).where(GoldLabel.comparison_id == comparison_id))
            return (row.verdict, row.explanation) if row else None

    def gold_labels(self, dataset: str | None = None) -> pd.DataFrame:
        """comparison_id, verdict, explanation of the gold comparisons (of one dataset)."""
        import pandas as pd

        query = select(GoldLabel.comparison_id, GoldLabel.verdict, GoldLabel.explanation).order_by(
            GoldLabel.comparison_id
        )
        if dataset:
            query = (
                query.join(Comparison, GoldLabel.comparison_id == Comparison.id)
                .join(Dataset, Comparison.dataset_id == Dataset.id)
                .where(Dataset.name == dataset)
            )
        with self._read() as session:
            rows = session.execute(query).mappings().all()
        return pd.DataFrame(rows, columns=["comparison_id", "verdict", "explanation"])


def _set_kind_and_grading(
    session: Session, row: AnnotationSession, kind: str | None, grading: dict[str, Any], routed: bool
) -> None:
    """Set the kind, scale and rubric. A judge-uncertain-first session (``routed``) keeps its kind (its
    draws are logged per kind of item); a session with ratings keeps its scale (they would change
    meaning); a scale and a rubric belong to single-answer sessions, the rubric fitting the scale."""
    if kind is not None and kind != row.kind and routed:
        raise StoreError(
            f"The session {row.name!r} hands out items by the judge's uncertainty and logs its draws per kind "
            "of item, so its kind cannot change; create a new session. Nothing was saved."
        )
    if kind is not None:
        row.kind = kind
    _set_grading(session, row, grading)
    if row.kind != "single" and (row.scale != GRADING_DEFAULTS["scale"] or row.rubric):
        raise StoreError("A rating scale and a rubric belong to single-answer sessions; nothing was saved.")
    check_rubric(row.rubric, row.scale)


def _set_grading(session: Session, row: AnnotationSession, grading: dict[str, Any]) -> None:
    """Set the scale and rubric; a session with ratings keeps its scale (they would change meaning)."""
    if "scale" in grading and row.id is not None and grading["scale"] != row.scale:
        rated = session.scalar(select(func.count()).select_from(Rating).where(Rating.session_id == row.id))
        if rated:
            raise StoreError(
                f"The session {row.name!r} already has {rated} rating{'' if rated == 1 else 's'} on its 1-{row.scale} "
                "scale; its scale "
                "cannot change. Create a new session for another scale; nothing was saved."
            )
    for key, value in grading.items():
        setattr(row, key, value)


def _draw_frame(session: Session, dataset_id: int, session_ids: list[int], *, whole_dataset: bool) -> pd.DataFrame:
    """``SessionsMixin.draw_probabilities`` once the sessions are known: π = 1 - Π_s (1 - π_s)."""
    import pandas as pd

    query = select(Comparison.id).where(Comparison.dataset_id == dataset_id).order_by(Comparison.id)
    items = [int(item) for item in session.scalars(query)]
    gold = set(session.scalars(select(GoldLabel.comparison_id).where(GoldLabel.comparison_id.in_(query))))
    labelled = select(Label.comparison_id).where(Label.skipped.is_(False), Label.comparison_id.in_(query))
    outside = labelled.where(Label.session_id.is_(None) | Label.session_id.not_in(session_ids or [-1]))
    if not session_ids or (whole_dataset and session.scalar(select(func.count()).select_from(outside.subquery()))):
        return pd.DataFrame({"comparison_id": items, "draw_probability": [float("nan")] * len(items)})
    never = dict.fromkeys(items, 1.0)
    for session_id in session_ids:
        for item, pi in inclusion(session_draws(session, session_id), items).items():
            never[item] *= 1.0 - pi
    seen = set(session.scalars(labelled.where(Label.session_id.in_(session_ids))))
    pis = [float(item in seen) if item in gold else 1.0 - never[item] for item in items]
    return pd.DataFrame({"comparison_id": items, "draw_probability": pis})
