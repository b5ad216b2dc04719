"""Answering in a session, as a person works through it: one desk for every kind of answer.

``AnswerDesk`` leases the next item, takes the answer back, reveals the judge and gold feedback after
the submit (only where the session reveals it), and reopens earlier answers for editing. The rules
that matter (lease owner, session, overlap, what is revealed) are checked by the store inside its
write transaction (``Store.submit``); the desk checks the role and turns the store's plain views into
what a page shows. The answer kind decides the shapes: ``PAIRWISE`` (a comparison shown in the
annotator's left/right order, answered left/right/tie/skip) and ``SINGLE`` (one response rated 1-10,
see ``grading.py``). ``AnnotationDesk`` and ``GradingDesk`` are the desk with one kind each.

Presented order: ``swapped`` means response 2 is shown on the left. The annotator answers about
what they see ("left", "right", "tie" or "skip"); ``canonical_verdict`` maps it back, so the stored
verdict is always about (response 1, response 2) and the order shown is stored beside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from annotation_store import (
    ComparisonView,
    LabelView,
    Progress,
    SessionView,
    Standing,
    Store,
    StoreError,
    Submitted,
    Turn,
    VerdictView,
)
from annotation_store.sessions import MembersChanged, not_open_to_you, open_to, sees_every_session
from errors import InvalidInput, NotFound, StudioError
from orchestration.access import SECURITY_LOG, Access, AccessDenied, Account, User, admitted
from orchestration.item_handles import SEES_IDS, HandleBook, ItemRef, Viewer, names_an_item, renamed, viewer_of

CHOICES = ("left", "right", "tie", "skip")
SKIPS_LISTED = 10  # the done note names at most this many skipped items (then "…")
SKIPPED_LEAD = "You skipped "  # how ``skipped_note`` begins (the pages put it first, under their own heading)
# how a desk names an item of a session to the person it serves (``AnswerDesk._namer``)
Namer = Callable[[SessionView, int], ItemRef]
ItemT = TypeVar("ItemT", covariant=True)
OutcomeT = TypeVar("OutcomeT", covariant=True)


def canonical_verdict(choice: str, swapped: bool) -> str | None:
    """The stored verdict (about response 1 and 2) for a choice about what was shown; None for a skip."""
    if choice not in CHOICES:
        raise StoreError(f"Answer {choice!r} is not one of {', '.join(CHOICES)}.")
    if choice in ("tie", "skip"):
        return None if choice == "skip" else "tie"
    left_is_1 = not swapped
    return "1" if (choice == "left") == left_is_1 else "2"


def presented_choice(verdict: str | None, swapped: bool) -> str | None:
    """The inverse of ``canonical_verdict``: how a stored verdict reads on screen."""
    if verdict is None:
        return None
    if verdict == "tie":
        return "tie"
    return "left" if (verdict == "1") != swapped else "right"


#: "Response 1", "response #2", "Response 2's": how an admin names a response in a gold explanation (the gold
#: form and ``gold set`` take the answer in the stored order, Response 1 / Response 2).
_RESPONSE_NAMED = re.compile(r"\bresponse\s*#?\s*[12]\b", re.IGNORECASE)


def explained_for(explanation: str, swapped: bool) -> str:
    """A gold explanation as one annotator reads it: where it names "Response 1" or "Response 2" (the stored
    order the admin wrote it in), a note saying which side each was on for this person, who saw them in their
    own left/right order ("the known answer is Right" next to "Response 1 is right" read as a contradiction:
    s16 campaign 3). Unchanged when it names neither (an explanation by content needs no map)."""
    text = explanation.strip()
    if not text or not _RESPONSE_NAMED.search(text):
        return explanation
    first, second = ("right", "left") if swapped else ("left", "right")
    return f"{text} (Response 1 is the one you saw on the {first}, Response 2 the one on the {second}.)"


def session_members(access: Access, actor: str | None, session_name: str) -> list[str]:
    """The accounts session ``session_name`` is limited to ([]: open to every annotator); admin."""
    access.require(actor, "admin")
    return access.store.session_members(session_name)


def change_session_members(
    access: Access, actor: str | None, session_name: str, add: list[str], remove: list[str]
) -> MembersChanged:
    """Add and remove members of a session (admin; all or nothing, ``Store.change_session_members``), logged
    to the security log like other account changes."""
    user = access.require(actor, "admin")
    changed = access.store.change_session_members(session_name, add, remove, by=user.name)
    log_members_change(session_name, changed.added, changed.removed, changed.members, user.name)
    return changed


def log_members_change(session_name: str, added: list[str], removed: list[str], members: list[str], by: str) -> None:
    """The security-log line of a change of a session's members (none when nothing changed): the members page's,
    ``sessions members``' and ``sessions create --members``' (``AdminDesk.create_session``)."""
    if added or removed:
        SECURITY_LOG.info(
            "session members changed: %r: added %s, removed %s (now %s) by %r",
            session_name.strip(),
            ", ".join(repr(name) for name in added) or "none",
            ", ".join(repr(name) for name in removed) or "none",
            f"{len(members)} member{'' if len(members) == 1 else 's'}" if members else "open to every annotator",
            by,
        )


def names_after(submitted: Submitted) -> bool:
    """Whether a submit's feedback may name the item's model(s). A blind session names them only where
    it reveals after an answer (``Submitted.reveal``: the session's reveal-judge switch, and never after
    a skip), so one switch stops both reveals and an answer stays open to edits when neither is on
    (``answers.final_reason``); an open session showed them already (not repeated after a skip)."""
    return submitted.reveal or (not submitted.session.blind and not submitted.answer.skipped)


@dataclass(frozen=True)
class AnnotationItem:
    """One comparison as this annotator sees it."""

    session: SessionView
    comparison: ComparisonView
    swapped: bool
    is_gold: bool
    label: LabelView | None  # their current label when they come back to an item
    progress: Progress
    ref: ItemRef  # how the page and REST name it to this person: by id, or for an annotator by its handle
    final: str = ""  # why ``label`` can no longer be changed (something was revealed after it); '': it can

    @property
    def id(self) -> int:
        return self.comparison.id

    @property
    def left(self) -> str:
        return self.comparison.response2 if self.swapped else self.comparison.response1

    @property
    def right(self) -> str:
        return self.comparison.response1 if self.swapped else self.comparison.response2

    @property
    def left_model(self) -> str:
        return self.comparison.model2 if self.swapped else self.comparison.model1

    @property
    def right_model(self) -> str:
        return self.comparison.model1 if self.swapped else self.comparison.model2


@dataclass(frozen=True)
class SubmitOutcome:
    label: LabelView
    choice: str  # as the annotator saw it
    judge: VerdictView | None  # only when the session reveals it
    judge_choice: str | None  # the judge's verdict in the annotator's left/right terms (an uncertain one's leaning)
    gold_verdict: str | None  # the gold answer (canonical) when the item is gold
    gold_choice: str | None
    gold_explanation: str
    gold_correct: bool | None
    ref: ItemRef  # the item answered, as this person is told of it (``ItemRef``)
    item: AnnotationItem | None = None  # the item answered, as it was shown
    names: bool = False  # the feedback may name the models (``names_after``)
    progress: Progress | None = None  # after the submit
    next: AnnotationItem | None = None  # the next lease, when asked for with the submit
    judge_uncertain: bool = False  # the judge's verdict is uncertain (``judge_is_uncertain``): no win, no agreement
    notice: str = ""  # the guidelines changed while the item was open (``guidelines_notice``); '' when not


def judge_is_uncertain(judge: VerdictView | None) -> bool:
    """Whether a revealed verdict is uncertain by the one rule every page and figure uses
    (``analysis.verdicts.outcome`` at the ``uncertain_margin`` setting), so the answer pages never call
    a coin flip a win ("it agrees with you") that the Dashboard then leaves out."""
    if judge is None:
        return False
    from analysis.verdicts import UNCERTAIN, outcome  # pandas and the report's modules: not for `sessions members`
    from orchestration.metrics import margin_setting

    return outcome(judge.verdict, judge.status, judge.probabilities, margin_setting()) == UNCERTAIN


def guidelines_notice(submitted: Submitted) -> str:
    """The line that tells an annotator the session's guidelines changed since the item they just answered
    was handed out (their answer is recorded under the version they could read then, the next item comes
    under the new one); '' when they did not."""
    now, then = submitted.session.guideline_version, submitted.answered_under
    if now is None or then is None or now <= then:
        return ""
    return f"The guidelines changed (version {now}): open Guidelines to read them before your next answer."


class AnswerKind(Protocol, Generic[ItemT, OutcomeT]):
    """How one kind of answer looks to people: what an item and a submit's outcome are."""

    name: str  # the session kind: "pairwise" | "single"
    noun: str  # what reviewers are told an item is: "comparison" | "response" (annotators: "item")

    def item(self, turn: Turn, ref: ItemRef) -> ItemT: ...

    def outcome(self, submitted: Submitted, answer: dict[str, Any], name: Namer) -> OutcomeT: ...


class Pairwise:
    """Pairwise labels: a comparison in the annotator's left/right order, answered left/right/tie/skip."""

    name = "pairwise"
    noun = "comparison"

    def item(self, turn: Turn, ref: ItemRef) -> AnnotationItem:
        return AnnotationItem(
            turn.session, turn.item, turn.swapped, turn.is_gold, turn.answer, turn.progress, ref, ref.said(turn.final)
        )

    def outcome(self, submitted: Submitted, answer: dict[str, Any], name: Namer) -> SubmitOutcome:
        label: LabelView = submitted.answer
        swapped = submitted.swapped
        judge: VerdictView | None = submitted.judge
        gold_verdict, explanation = submitted.gold if isinstance(submitted.gold, tuple) else (None, "")
        ref = name(submitted.session, submitted.item.id)
        shown = AnnotationItem(
            submitted.session, submitted.item, swapped, gold_verdict is not None, label, submitted.progress, ref
        )
        following = submitted.next
        return SubmitOutcome(
            label=label,
            choice="skip" if label.skipped else (presented_choice(label.verdict, swapped) or "skip"),
            judge=judge,
            judge_choice=presented_choice(judge.verdict, swapped) if judge is not None else None,
            judge_uncertain=judge_is_uncertain(judge),
            gold_verdict=gold_verdict,
            gold_choice=presented_choice(gold_verdict, swapped),
            gold_explanation=explained_for(explanation, swapped),
            gold_correct=(label.verdict == gold_verdict) if gold_verdict is not None and not label.skipped else None,
            ref=ref,
            item=shown,
            names=names_after(submitted),
            progress=submitted.progress,
            next=self.item(following, name(following.session, following.item.id)) if following is not None else None,
            notice=guidelines_notice(submitted),
        )


PAIRWISE = Pairwise()


class AnswerDesk(Generic[ItemT, OutcomeT]):
    """Sessions of one answer kind as people work through them; every method checks the role first.

    Items come out named for the person they are handed to (``ItemRef``: by id for reviewers and admins, by
    handle for annotators, ``orchestration.item_handles``), and so do the store's messages about them."""

    def __init__(self, store: Store, access: Access, kind: AnswerKind[ItemT, OutcomeT]) -> None:
        self.store = store
        self.access = access
        self.kind = kind
        self.handles = HandleBook(store, kind.name, kind.noun)

    def _user(self, actor: str | None) -> str:
        return self.access.require(actor, "annotator").name

    def _admit(
        self, actor: str | None, role: str = "annotator", seen: list[Viewer] | None = None
    ) -> Callable[[Account | None], None]:
        """``Access.require(actor, role)`` (``admitted``) as a check the store runs on the account row it
        reads inside its write transaction anyway (``Store.submit(admit=)``), so a submit needs no read
        transaction before it; a missing, deactivated or too-low account is refused the same way. ``seen``
        gets the account's ``Viewer`` (how its items are named to it), read from that same row."""
        if not actor:
            admitted(actor, None, role)  # raises "not logged in" (reads nothing)

        def admit(found: Account | None) -> None:
            user = admitted(actor, found, role)
            if seen is not None and found is not None:
                seen.append(viewer_of(found[0], user))

        return admit

    def _viewer(self, actor: str | None) -> Viewer:
        """The role check, and how items are named to ``actor`` (``viewer_of``)."""
        user: User = self.access.require(actor, "annotator")
        found = self.store.account(user.name)
        return viewer_of(found[0] if found is not None else 0, user)

    def _namer(self, viewer: Viewer) -> Namer:
        """How this desk names an item of a session to ``viewer`` (``HandleBook.ref``)."""

        def name(session: SessionView, item_id: int) -> ItemRef:
            return self.handles.ref(viewer, int(session.id or 0), int(item_id))

        return name

    def _item(self, turn: Turn, viewer: Viewer) -> ItemT:
        return self.kind.item(turn, self._namer(viewer)(turn.session, turn.item.id))

    @contextmanager
    def _told(self, actor: str | None, session_name: str | None, seen: list[Viewer]) -> Iterator[None]:
        """The store's refusals naming items as ``actor`` is told of them: for an annotator "Comparison #12 was not
        handed to you" says "Item 7KQ2MXA3FZ ..." (the message is changed on the error itself, so its type and
        status stay). ``seen``: the caller's ``Viewer`` where known already (else read here, on this error only)."""
        try:
            yield
        except StudioError as exc:
            text = str(exc)
            if names_an_item(text):
                exc.args = (self._said_to(actor, session_name, seen, text), *exc.args[1:])
            raise

    def _said_to(self, actor: str | None, session_name: str | None, seen: list[Viewer], text: str) -> str:
        try:
            viewer = seen[0] if seen else self._viewer(actor)
            if viewer.sees_ids:
                return text
            handed = self.store.handed_item(self.kind.name, actor or "", session_name)
            return self.handles.said(text, viewer, handed.session_id)
        except StudioError:  # cannot say which handle: never the id
            return renamed(text, lambda _id: None)

    def sessions(self, actor: str | None) -> list[SessionView]:
        """The open sessions of this desk's kind that ``actor`` may work in (``open_to``): reviewers and admins
        get all of them; an annotator not those limited to members they are not one of."""
        user = self.access.require(actor, "annotator")
        found = self.open_sessions()
        if sees_every_session(user.role) or not found:
            return found
        closed = self.store.sessions_closed_to(user.name)
        return [s for s in found if s.name not in closed]

    def require_open_to(self, actor: str | None, session_name: str | None) -> None:
        """Refuse (``NotFound``, 404) a session that is unknown or limited to members ``actor`` is not one of, in
        the store's words for both (``sessions.not_open_to_you``). The lease, submit, reopen and ← Previous check
        this themselves inside their own transaction (``session_pool``); this read is for the REST submit by handle,
        which must say so before it looks the handle up, and for telling a refused submit's session apart
        (``require_session``). No session or no actor: nothing to say here (the store refuses them). A missing or
        deactivated account hears that, not the session's 404 (``Access.require``, read on a refusal only: review18
        10), as the lease and submit tell it first."""
        if actor and session_name:
            scope = self.store.member_scope(session_name, actor)
            if scope is None or not open_to(scope):
                self.access.require(actor, "annotator")
                raise NotFound(not_open_to_you(session_name))

    def open_sessions(self) -> list[SessionView]:
        """The open sessions of this desk's kind, with no role check: for a page's session picker, built once
        for everyone (each handler checks the caller and the name picked)."""
        return [s for s in self.store.sessions(active_only=True) if s.kind == self.kind.name]

    def require_session(self, session_name: str, actor: str | None = None) -> None:
        """Raise NotFound, naming it, when there is no session ``session_name`` (of any kind); with ``actor``, also
        when it is not open to them (``require_open_to``, the same words). No role check: the REST routes ask it
        after a submit the store refused (``web.routes.common.unknown_as_not_handed``), to tell an unknown session
        (404) from an item not handed to the caller (409)."""
        if actor:
            self.require_open_to(actor, session_name)
        self.store.get_session(session_name)

    def next_item(self, actor: str | None, session_name: str | None) -> ItemT | None:
        """Lease the next item (see ``Store.lease``); None when this annotator is done with the session."""
        seen: list[Viewer] = []
        with self._told(actor, session_name, seen):
            turn = self.store.lease(self.kind.name, actor or "", session_name, admit=self._admit(actor, seen=seen))
        return self._item(turn, seen[0]) if turn is not None else None

    def chosen(self, actor: str | None, session_name: str, *, handle: str | None, item_id: int | None) -> ItemRef:
        """The item a REST submit names: by its handle (``item``: anyone, from ``next``), or by its id (reviewers
        and admins only: annotators are never told ids, so an id from them is refused, 403, before anything is
        looked up). An unknown handle is ``NotFound`` naming it (``HandleBook.resolve``). An item named by id comes
        back with no handle (none was looked up)."""
        if handle is not None:
            if not actor:
                admitted(actor, None)  # raises "not logged in"
            self.require_open_to(actor, session_name)  # before the handle: the session's 404, not "no such item"
            found = self.handles.resolve(actor or "", session_name, handle)
            return ItemRef(found, handle.strip().upper(), self.kind.noun, False)
        if item_id is None:
            raise InvalidInput("Send the item you answer: `item` (from POST /sessions/{name}/next); nothing was saved.")
        viewer = self.access.require(actor, "annotator")
        if not viewer.can(SEES_IDS):
            raise AccessDenied(
                f"Answer by `item`, the handle POST /sessions/{{name}}/next gave you: `{self.kind.noun}_id` is for "
                f"reviewers and admins ({viewer.name!r} is {viewer.role}). Nothing was saved."
            )
        return ItemRef(item_id, "", self.kind.noun, True)

    def done_note(self, actor: str | None, session_name: str | None) -> str:
        """What to say when ``next_item`` has nothing more for this person: '' when the session's items are
        simply done; else the skips of theirs that still need an answer (``skipped_note``), and that they
        answered items of this dataset in other sessions (each person answers an item once, whatever the
        session), which a new session otherwise looks empty for."""
        user = self.access.require(actor, "annotator")
        notes = [
            self.skipped_note(self._skips(user, session_name)),
            self._elsewhere(user.name, session_name),
        ]
        return " ".join(note for note in notes if note)

    def _skips(self, user: User, session_name: str | None) -> list[ItemRef]:
        """This person's skips in the session that still need an answer, named as they are told of items."""
        skipped = self.store.open_skips(self.kind.name, user.name, session_name)
        if not skipped:
            return []
        handed = self.store.handed_item(self.kind.name, user.name, session_name)
        viewer = viewer_of(handed.person_id or 0, user)
        return [self.handles.ref(viewer, handed.session_id, item) for item in skipped]

    def skipped_note(self, skipped: list[ItemRef]) -> str:
        """ "You skipped N comparisons that still need an answer: #.., #.." (an annotator's by their handles), and
        how to get back to them. The store offers each skip again once when nothing fresh is left
        (``annotation_store.answers``, "skipped items"), so these came back and were skipped again, or others hold
        them right now."""
        if not skipped:
            return ""
        item = "comparison" if self.kind.name == "pairwise" else "response"
        n = len(skipped)
        listed = ", ".join(ref.mark for ref in skipped[:SKIPS_LISTED]) + (", …" if n > SKIPS_LISTED else "")
        field = f"{item}_id" if skipped[0].sees_id else "item"
        route = f"POST /labels with its {field}" if self.kind.name == "pairwise" else f"POST /ratings with its {field}"
        return (
            f"{SKIPPED_LEAD}{n} {item}{'s' if n != 1 else ''} that still need{'s' if n == 1 else ''} an answer: "
            f"{listed}. A skipped {item} comes back once when nothing new is left; to answer one now, go back "
            f"to it with “← Previous” (over the API: {route} and your answer)."
        )

    def _elsewhere(self, user: str, session_name: str | None) -> str:
        elsewhere, total, names = self.store.answered_elsewhere(self.kind.name, user, session_name)
        if elsewhere == 0:
            return ""
        item = "comparison" if self.kind.name == "pairwise" else "response"
        listed = ", ".join(repr(n) for n in names)
        where = f"in session{'s' if len(names) > 1 else ''} {listed}" if names else "outside any session"
        if elsewhere >= total:
            how_many = f"all {total} {item}s" if total > 1 else f"the only {item}"
        else:
            how_many = f"{elsewhere} of the {total} {item}s"
        return (
            f"You have already answered {how_many} of this dataset ({where}): each person answers "
            f"a {item} once, whatever the session."
        )

    def standing(self, actor: str | None, session_name: str) -> Standing:
        """Where a session stands and why items are not done (``Standing``; admin): for its lead."""
        self.access.require(actor, "admin")
        return self.store.session_standing(session_name)

    def progress(self, actor: str | None, session_name: str | None) -> Progress:
        return self.store.answer_progress(self.kind.name, self._user(actor), session_name)

    def open_item(self, actor: str | None, session_name: str | None, item_id: int) -> ItemT:
        """An item this annotator was handed in this session (to look at or edit their answer)."""
        viewer = self._viewer(actor)
        with self._told(actor, session_name, [viewer]):
            turn = self.store.reopen(self.kind.name, actor or "", session_name, item_id)
        return self._item(turn, viewer)

    def ref_of(self, actor: str | None, session_name: str | None, item_id: int) -> ItemRef | None:
        """Item ``item_id`` of ``session_name`` as ``actor`` is told of it (the page names the item it had on screen
        when another session is picked); None when that cannot be said (the session is closed or gone)."""
        try:
            viewer = self._viewer(actor)
            handed = self.store.handed_item(self.kind.name, actor or "", session_name)
        except StudioError:
            return None
        return self.handles.ref(viewer, handed.session_id, int(item_id))

    def previous(self, actor: str | None, session_name: str | None, current: int | None) -> ItemT | None:
        """The item this annotator answered before ``current`` (or their latest), or None."""
        viewer = self._viewer(actor)
        with self._told(actor, session_name, [viewer]):
            turn = self.store.previous(self.kind.name, actor or "", session_name, current)
        return self._item(turn, viewer) if turn is not None else None

    def answer(
        self,
        actor: str | None,
        session_name: str | None,
        item_id: int,
        answer: dict[str, Any],
        *,
        swapped: bool | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        then_next: bool = False,
    ) -> OutcomeT:
        """Submit an answer (the kind's values, e.g. ``{"verdict": "1"}`` or ``{"rating": 7}``); with
        ``then_next`` the outcome also carries the next lease, taken in the same write transaction."""
        seen: list[Viewer] = []
        with self._told(actor, session_name, seen):
            submitted = self.store.submit(
                self.kind.name,
                actor or "",
                session_name,
                item_id,
                swapped=swapped,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                then_lease=then_next,
                admit=self._admit(actor, seen=seen),
                **answer,
            )
        return self.kind.outcome(submitted, answer, self._namer(seen[0]))


class AnnotationDesk(AnswerDesk[AnnotationItem, SubmitOutcome]):
    """The desk for pairwise labels (the Annotate page and the REST API)."""

    def __init__(self, store: Store, access: Access) -> None:
        super().__init__(store, access, PAIRWISE)

    def _shown_order(self, actor: str | None, session_name: str | None, comparison_id: int) -> bool:
        """The left/right order the comparison was handed to ``actor`` in (their answer's, else their lease's);
        False where there is none: the submit then refuses it with its own message, the store checking the
        order again inside its write transaction."""
        try:
            return self.store.reopen(self.kind.name, actor or "", session_name, comparison_id).swapped
        except StoreError:
            return False

    def submit(
        self,
        actor: str | None,
        session_name: str | None,
        comparison_id: int,
        choice: str,
        *,
        swapped: bool | None,
        confidence: int | None = None,
        comment: str = "",
        flagged: bool = False,
        time_on_item_ms: int | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        then_next: bool = False,
    ) -> SubmitOutcome:
        """Submit a choice about what was shown (``swapped``: the order the page showed; None: the order
        the lease drew, read here, as REST clients are not told it: it would tell which side is response 1)."""
        if swapped is None:
            swapped = self._shown_order(actor, session_name, comparison_id)
        answer = {
            "verdict": canonical_verdict(choice, swapped),
            "skipped": choice == "skip",
            "confidence": confidence,
            "comment": comment or "",
            "flagged": flagged,
            "time_on_item_ms": time_on_item_ms,
        }
        return self.answer(
            actor,
            session_name,
            comparison_id,
            answer,
            swapped=swapped,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            then_next=then_next,
        )
