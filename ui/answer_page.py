"""The one page builder for answering in a session: the Annotate page (pairwise labels) and the Grade
page (single-answer ratings) are ``answer_page`` with a different ``PageKind``.

Items come leased from the session through the answer desk (``orchestration.annotation.AnswerDesk``).
Model names stay hidden in blind sessions and the judge's answer is shown only after the submit (if
the session reveals it). Every submit is written at once, and the next item is leased in the same
write transaction; ← Previous opens an earlier answer for editing (a new version). Handlers return
``{component: value}`` updates; per-tab state holds only ids and small values. Keys
(static/shortcuts.js) click the buttons by elem_id.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from annotation_store import StoreChanged
from errors import InvalidInput, StudioError
from orchestration import DEMO_GRADING_SESSION, DEMO_SESSION, Studio
from orchestration.annotation import SKIPPED_LEAD
from orchestration.item_handles import ItemRef
from ui.errors import actor_of, guarded, has_role, noted
from ui.pickers import shown_choices
from ui.render import inline_text, safe_markdown

CONFIDENCE_CHOICES = [("–", 0), ("1 · unsure", 1), ("2", 2), ("3", 3), ("4", 4), ("5 · certain", 5)]
Updates = dict[Any, Any]
DEMO_SESSIONS = frozenset({DEMO_SESSION, DEMO_GRADING_SESSION})
# the done screen's heading while skips of the person's still need an answer (the note under it names them)
NOTHING_NEW = "_Nothing new is left for you in this session._"
# Untrusted text blocks that may be right-to-left (static/judge_studio.css: each paragraph takes the
# direction of its first strong letter, so Arabic and Hebrew read right-aligned).
BIDI = ["js-bidi"]


def progress_html(
    mine: int,
    done: int,
    total: int,
    overlap: int,
    *,
    items: str = "comparisons",
    verb: str = "answered (skips included)",
) -> str:
    """Two progress bars. Only integers computed here go into this HTML, never stored text."""
    total = max(int(total), 0)
    mine, done = int(mine), int(done)
    return (
        '<div class="js-progress">'
        f"<label>You: {mine} {verb} "
        f'<progress id="progress-mine" value="{min(mine, total)}" max="{total}"></progress></label> '
        f"<label>Everyone: {done} of {total} {items} have {int(overlap)} answer{'s' if int(overlap) != 1 else ''} "
        f'<progress id="progress-all" value="{done}" max="{total}"></progress></label>'
        "</div>"
    )


@dataclass
class Page:
    """The components of one answer page, by role (filled by the section builders)."""

    sessions: Any = None
    start: Any = None
    previous: Any = None
    guidelines: Any = None
    progress: Any = None
    feedback: Any = None
    header: Any = None
    prompt: Any = None
    display: list[Any] = field(default_factory=list)  # the item: titles and texts, in order
    answer: Any = None  # the kind's answer widget (left/right/tie radio, 1-10 radio)
    picks: list[Any] = field(default_factory=list)  # its quick-pick buttons, if any (1 / T / 2)
    confidence: Any = None
    flagged: Any = None
    comment: Any = None
    submit: Any = None
    skip: Any = None
    shown_id: Any = None
    shown_swapped: Any = None
    shown_at: Any = None
    shown_version: Any = None
    shown_key: Any = None
    shown_session: Any = None  # the session of the item on screen (the picker may since show another)

    def outputs(self) -> list[Any]:
        """What showing an item updates (this order is also what ``gradio_client`` returns)."""
        states = [self.shown_id, self.shown_swapped, self.shown_at, self.shown_version, self.shown_key]
        states.append(self.shown_session)
        answer = [self.answer, self.confidence, self.flagged, self.comment]
        return [
            *states,
            self.header,
            self.prompt,
            *self.display,
            *answer,
            self.feedback,
            self.progress,
            self.guidelines,
            *self.buttons(),
        ]

    def buttons(self) -> list[Any]:
        """What answers the item on screen: greyed out on the done screen, usable again with an item."""
        return [*self.picks, self.submit, self.skip]


@dataclass(frozen=True)
class PageKind:
    """What differs between the Annotate and the Grade page: ids, words, the item and answer widgets."""

    prefix: str  # elem_id prefix: "annotate" / "grade"
    desk: Callable[[Studio], Any]  # the studio's answer desk of this kind
    default_session: str
    session_label: str
    start: tuple[str, str]  # label, elem_id
    previous_id: str
    submit_id: str
    skip: tuple[str, str]  # label, elem_id
    flag_label: str
    api: dict[str, str]  # next, previous, submit, skip -> api_name
    concurrency_id: str
    nothing_on_screen: str
    no_previous: str
    done_text: str
    items: str  # "comparisons" / "responses", for the progress bars
    verb: str  # "labelled" / "rated"
    display: Callable[[Page], None]  # builds the item's components into page.display
    answer_widget: Callable[[Page], None]  # builds page.answer (and its quick-pick buttons)
    show_item: Callable[[Page, Any], Updates]  # the item's own updates (header, prompt, display, answer)
    answer_of: Callable[[str, Any, bool], dict[str, Any]]  # (submit|skip, picked, swapped) -> answer values
    # a submit's outcome as Markdown (untrusted text escaped); ``kept``: nothing new was written (the answer on
    # screen submitted as it was stored, e.g. a final one opened with ← Previous): no "Saved" then (s14 a11y 10)
    feedback: Callable[[Any, bool], str]
    # the answer widget for a session chosen before Start (page, studio, actor, session name): the Grade page's
    # rating row follows the session's scale; None: the widget does not depend on the session
    before_start: Callable[[Page, Studio, str | None, str | None], Updates] | None = None


# ---------------------------------------------------------------------- sections
def default_session(kind: PageKind, names: list[str]) -> str | None:
    """The session the picker starts on: the first real (non-demo) open session, so that an annotator who
    presses Start without looking works on what an admin opened; the demo only when nothing else is open."""
    real = [name for name in names if name not in DEMO_SESSIONS]
    if real:
        return real[0]
    return kind.default_session if kind.default_session in names else (names[0] if names else None)


def _session_section(kind: PageKind, page: Page) -> None:
    with gr.Row():
        # no choices and no value until the page load sets the person's own (``load_sessions``), and Start and
        # Previous greyed out until then: a value built into the page (the demo, when the session was opened
        # after the server started) was shown for about a second, and a Start pressed then leased an item of the
        # demo session under the real session's name (s12 crowd finding 1); choices built in at start-up kept a
        # session given members later in the page and ``/config`` sent to every annotator (s18 review finding 9)
        page.sessions = gr.Dropdown(
            choices=[],
            value=None,
            label=kind.session_label,
            elem_id=f"{kind.prefix}-session",
            allow_custom_value=True,  # sessions an admin opens later; the handlers check the name
            scale=3,
        )
        page.start = gr.Button(kind.start[0], variant="primary", elem_id=kind.start[1], scale=1, interactive=False)
        page.previous = gr.Button("← Previous", elem_id=kind.previous_id, scale=1, interactive=False)
    with gr.Accordion("Guidelines", open=False, elem_id=f"{kind.prefix}-guidelines-box"):
        page.guidelines = gr.Markdown(elem_id=f"{kind.prefix}-guidelines")
    page.progress = gr.HTML(elem_id=f"{kind.prefix}-progress")
    page.feedback = gr.Markdown(elem_id=f"{kind.prefix}-feedback", elem_classes=BIDI)
    page.header = gr.Markdown(start_hint(kind), elem_id=f"{kind.prefix}-header", elem_classes=BIDI)
    page.prompt = gr.Markdown(elem_id=f"{kind.prefix}-prompt", elem_classes=BIDI)


def category_part(category: str) -> str:
    """ " · <category>" for an item's header, escaped; '' for an item without one (was " ·  · ")."""
    return f" · {inline_text(category)}" if (category or "").strip() else ""


def start_hint(kind: PageKind) -> str:
    """What the header says before the first item (where that item will appear): an empty page gave no
    clue that Start hands out the first item."""
    return f"_Choose the session above and press “{kind.start[0]}”: the first {kind.items.rstrip('s')} appears here._"


def _answer_section(kind: PageKind, page: Page) -> None:
    kind.answer_widget(page)
    with gr.Row(elem_classes=["js-stack"]):  # on a phone Flag gets its own row (its label was one word a line)
        page.confidence = gr.Radio(
            CONFIDENCE_CHOICES,
            value=0,
            label="Confidence (optional)",
            elem_id=f"{kind.prefix}-confidence",
            scale=3,
            interactive=True,
        )
        page.flagged = gr.Checkbox(label=kind.flag_label, elem_id=f"{kind.prefix}-flag", scale=1)
    page.comment = gr.Textbox(label="Comment (optional)", lines=1, max_lines=4, elem_id=f"{kind.prefix}-comment")
    with gr.Row(elem_classes=["js-answer-bar", "js-submit-bar"]):  # on a phone: kept at the screen's bottom
        page.submit = gr.Button("Enter · Submit", variant="primary", elem_id=kind.submit_id)
        page.skip = gr.Button(kind.skip[0], elem_id=kind.skip[1])
    # per-tab state: only ids and small values; every answer goes to the database on submit
    page.shown_id = gr.State(None)
    page.shown_swapped = gr.State(False)
    page.shown_at = gr.State(0.0)
    page.shown_version = gr.State(0)
    page.shown_key = gr.State(lambda: uuid.uuid4().hex)
    page.shown_session = gr.State(None)


# ---------------------------------------------------------------------- showing an item
def show(kind: PageKind, page: Page, item: Any, note: str, progress: Any = None, done: str = "") -> Updates:
    """The updates that put ``item`` (None: the session is done) on screen, with ``note`` as feedback.
    ``done``: the desk's ``done_note`` (plain text) under the done screen's thanks. An item whose earlier
    answer is final (``item.final``: something was revealed after it) is shown read-only, saying why,
    so the page never suggests that a change could still be saved (the store would refuse it)."""
    updates: Updates = {page.shown_key: uuid.uuid4().hex, page.feedback: note}
    if item is None:
        updates.update({page.shown_id: None, page.shown_swapped: False, page.shown_at: 0.0, page.shown_version: 0})
        updates[page.shown_session] = None
        # with skips of theirs still open, "you have answered every ..." would not be true
        thanks = NOTHING_NEW if done.startswith(SKIPPED_LEAD) else kind.done_text
        header = f"{thanks}\n\n{inline_text(done)}" if done else thanks
        updates.update({page.header: header, page.prompt: ""})
        updates.update(kind.show_item(page, None))
        # nothing to answer: the answer controls and buttons are greyed out until the next item (on the
        # Annotate page the choice buttons and Submit stayed live, and Submit said "press Start": s11 a11y 6)
        off = {page.answer: None, page.confidence: 0, page.flagged: False, page.comment: ""}
        updates.update({c: gr.update(value=v, interactive=False) for c, v in off.items()})
        updates.update({button: gr.update(interactive=False) for button in page.buttons()})
        if progress is not None:
            updates[page.progress] = _progress(kind, progress)
        return updates
    answer = item.label if hasattr(item, "label") else item.rating  # their earlier answer, if any
    final = str(getattr(item, "final", "") or "")
    if answer is not None and answer.skipped:  # a skip comes back once at the end (or through ← Previous)
        noun = kind.items.rstrip("s")
        said = f"_You skipped this {noun} earlier: answer it now, or skip it again._"
        updates[page.feedback] = f"{note}\n\n{said}" if note else said
    if final:
        said = f"_{inline_text(final)} Submit moves on and leaves it as it is._"
        updates[page.feedback] = f"{note}\n\n{said}" if note else said
    on = {
        page.confidence: (answer.confidence or 0) if answer is not None else 0,
        page.flagged: bool(answer.flagged) if answer is not None else False,
        page.comment: answer.comment if answer is not None else "",
    }
    updates.update({c: gr.update(value=v, interactive=not final) for c, v in on.items()})
    # a final answer is read-only: its choice buttons grey out like its radio; Submit and Skip move on
    updates.update(
        {button: gr.update(interactive=not final or button in (page.submit, page.skip)) for button in page.buttons()}
    )
    updates.update(
        {
            page.shown_id: item.id,
            page.shown_swapped: bool(getattr(item, "swapped", False)),
            page.shown_at: time.monotonic(),
            page.shown_version: answer.version if answer is not None else 0,
            page.shown_session: item.session.name,
            page.progress: _progress(kind, item.progress),
            page.guidelines: guidelines_markdown(item.session),
        }
    )
    updates.update(kind.show_item(page, item))
    if not isinstance(updates.get(page.answer), (dict, gr.components.Component)):
        updates[page.answer] = gr.update(value=updates.get(page.answer), interactive=not final)
    return updates


def kept_on_screen(kind: PageKind, page: Page, item: Any, shown_id: int | None) -> Updates | None:
    """``Start / next item`` pressed while the item it hands out is already on screen (the lease still
    holds): the page keeps what was chosen, flagged and written on it, and says so. Showing it again
    used to wipe the choice without a word (a focused Start took the Enter meant for Submit)."""
    if item is None or shown_id is None or int(item.id) != int(shown_id):
        return None
    note = (
        f"_Still {item.ref.name}: it stays yours until you submit or skip it, and what you chose "
        "on the page is kept. Enter submits it; S skips it._"
    )
    return {page.feedback: note, page.progress: _progress(kind, item.progress)}


def shown_as_stored(
    kind: PageKind, page: Page, open_item: Callable[..., Any], where: tuple[str | None, str | None, int], refused: Any
) -> Updates:
    """A Submit refused because the answer was changed elsewhere after this tab showed it (another tab, window or
    program: ``StoreChanged``): the item is shown as it is stored now (its answer chosen, its version, editable as
    ← Previous shows it), and the feedback line says what happened and what Submit does now. The page used to stay
    as it was, every later Submit was refused the same way and nothing named the way on (s15 expert finding 1).
    ``open_item``: the desk's (``where``: actor, session, item id); the refusal itself when it cannot be opened."""
    try:
        item = open_item(*where)
    except StudioError:
        raise refused from None
    said = str(refused)
    answer = item.label if hasattr(item, "label") else item.rating
    if answer is not None and not answer.skipped and not getattr(item, "final", ""):
        # (a skip or a final answer: ``show`` says what may be done with it)
        said += " It is shown as it is now: Submit keeps it and moves on; choose again, then Submit, to change it."
    return show(kind, page, item, f"⚠ {inline_text(said)}")


def picked_another(
    kind: PageKind, page: Page, shown: ItemRef | None, shown_session: str, picked: str | None
) -> Updates:
    """The picker changed to another session while an item of ``shown_session`` is on screen (``shown``: its
    ``ItemRef``, None when it cannot be named): the item leaves the page (a session's name over another session's
    item misled, and its submit was refused), and the page says how to get it back (its lease still holds)."""
    noun = kind.items.rstrip("s")
    title = shown.title if shown is not None else f"The {noun} you had on screen"
    note = (
        f"_You picked {inline_text(picked or '')}: press “{kind.start[0]}” for its first {noun}. "
        f"{title} of {inline_text(shown_session)} stays yours for a while: "
        f"pick that session again and press “{kind.start[0]}” to go on with it._"
    )
    updates: Updates = {page.shown_id: None, page.shown_swapped: False, page.shown_at: 0.0, page.shown_version: 0}
    updates.update({page.shown_session: None, page.feedback: note, page.header: start_hint(kind), page.prompt: ""})
    updates.update(kind.show_item(page, None))
    off = {page.answer: None, page.confidence: 0, page.flagged: False, page.comment: ""}
    updates.update({c: gr.update(value=v, interactive=False) for c, v in off.items()})
    updates.update({button: gr.update(interactive=False) for button in page.buttons()})
    return updates


def guidelines_of(sessions: list[Any], name: str | None) -> str:
    """The guidelines of the session ``name`` among ``sessions`` (shown as soon as it is picked, before
    Start: the panel used to stay empty until the first item); '' for no such session."""
    found = next((s for s in sessions if s.name == name), None)
    return guidelines_markdown(found) if found is not None else ""


def guidelines_markdown(session: Any) -> str:
    """The session's guidelines, headed by the version the annotator is reading (each saved edit of the
    guidelines is a new version, and each label records the version it was given under)."""
    text = safe_markdown(session.guidelines) or "_No guidelines for this session._"
    version = getattr(session, "guideline_version", None)
    return text if version is None else f"**Guidelines, version {int(version)}**\n\n{text}"


def _progress(kind: PageKind, p: Any) -> str:
    return progress_html(p.mine, p.done, p.total, p.overlap, items=kind.items, verb=kind.verb)


# ---------------------------------------------------------------------- events
def _wire(kind: PageKind, studio: Studio, demo: gr.Blocks, page: Page) -> None:
    desk = kind.desk(studio)
    outputs = page.outputs()
    _wire_sessions(kind, studio, demo, page)

    # A mistake (no choice, nothing on screen, no earlier answer, a changed item) is a note in the
    # feedback line and a toast; the page stays as it was and usable (no error overlays on the form).
    @noted(page.feedback)
    def next_item(session_name: str | None, request: gr.Request, shown_id: int | None = None) -> Updates:
        # (the item on screen comes last: Gradio puts the request in its place among the inputs)
        item = desk.next_item(actor_of(request), session_name)
        kept = kept_on_screen(kind, page, item, shown_id)
        if kept is not None:
            return kept
        if item is not None:
            return show(kind, page, item, "")
        # the done screen shows the progress as it is now (it used to keep the last item's numbers) and
        # why it may have come early (items this person answered in another session)
        progress = desk.progress(actor_of(request), session_name)
        return show(kind, page, None, "", progress, desk.done_note(actor_of(request), session_name))

    @noted(page.feedback)
    def go_back(session_name: str | None, current: int | None, request: gr.Request) -> Updates:
        item = desk.previous(actor_of(request), session_name, current)
        if item is None:
            raise InvalidInput(kind.no_previous)
        return show(kind, page, item, "")

    @noted(page.feedback)
    def answer(
        what: str,
        session_name: str | None,
        item_id: int | None,
        swapped: bool,
        started: float,
        version: int,
        key: str,
        picked: Any,
        confidence: int | None,
        flag: bool,
        text: str,
        request: gr.Request,
    ) -> Updates:
        if item_id is None:
            raise InvalidInput(kind.nothing_on_screen)
        try:
            outcome = desk.answer(
                actor_of(request),
                session_name,
                int(item_id),
                _answer_values(kind, (what, picked, swapped), started, confidence, flag, text),
                swapped=bool(swapped) if kind.prefix == "annotate" else None,
                idempotency_key=key,
                expected_version=int(version),
                then_next=True,
            )
        except StoreChanged as refused:  # changed in another tab meanwhile: show it as it is now
            return shown_as_stored(kind, page, desk.open_item, (actor_of(request), session_name, int(item_id)), refused)
        done = desk.done_note(actor_of(request), session_name) if outcome.next is None else ""
        stored = outcome.label if kind.prefix == "annotate" else outcome.rating
        kept = int(version) > 0 and int(stored.version) == int(version)  # no new version: nothing was saved
        return show(kind, page, outcome.next, kind.feedback(outcome, kept), outcome.progress, done)

    # after Start / Previous / a submit the focus goes to the new item's header and, on a phone, the header
    # is scrolled to the screen's top (static/show_feedback.js): a Start reached with Tab kept the focus, so
    # every Enter pressed Start again (s12 crowd finding 2), and on a phone the item was below the fold (8)
    shown_js = f"() => window.judgeStudioShowItem && window.judgeStudioShowItem('{kind.prefix}')"
    page.start.click(next_item, inputs=[page.sessions, page.shown_id], outputs=outputs, api_name=kind.api["next"]).then(
        None, js=shown_js
    )
    page.previous.click(
        go_back, inputs=[page.sessions, page.shown_id], outputs=outputs, api_name=kind.api["previous"]
    ).then(None, js=shown_js)
    _connect_answers(kind, page, answer)


def _wire_sessions(kind: PageKind, studio: Studio, demo: gr.Blocks, page: Page) -> None:
    """The session picker: filled by the page load (which makes Start usable), and a pick shows the
    session's guidelines (and, on the Grade page, its rating scale)."""
    desk = kind.desk(studio)

    @guarded
    def load_sessions(request: gr.Request, current: str | None = None) -> Updates:
        """The person's sessions into the picker, and Start usable from now on. A session already picked
        (typed before the load came back) stays picked; else the default one."""
        sessions = desk.sessions(actor_of(request))
        names = [s.name for s in sessions]
        chosen = current if current in names else default_session(kind, names)
        updates: Updates = {page.sessions: gr.Dropdown(choices=shown_choices(names), value=chosen)}
        updates.update({page.start: gr.update(interactive=True), page.previous: gr.update(interactive=True)})
        updates[page.guidelines] = guidelines_of(sessions, chosen)
        if kind.before_start is not None:  # the picked value may equal the built one: no change event then
            updates.update(kind.before_start(page, studio, actor_of(request), chosen))
        return updates

    def session_chosen(
        session_name: str | None, shown_id: int | None, request: gr.Request, shown_session: str | None = None
    ) -> Updates:
        """A session chosen (or set by the page load) before Start: its guidelines show, and the answer
        widget follows it. An item of the same session on screen keeps its own widget; an item of another
        session leaves the page (``picked_another``); someone without the role gets nothing (no popup)."""
        if not has_role(studio, request, "annotator"):
            return {page.answer: gr.skip()}
        if shown_id is not None and shown_session and session_name != shown_session:
            shown = desk.ref_of(actor_of(request), shown_session, int(shown_id))  # by handle for an annotator
            updates = picked_another(kind, page, shown, shown_session, session_name)
        elif shown_id is not None:
            return {page.answer: gr.skip()}
        else:
            updates = {}
        updates[page.guidelines] = guidelines_of(desk.sessions(actor_of(request)), session_name)
        if kind.before_start is not None:
            updates.update(kind.before_start(page, studio, actor_of(request), session_name))
        return updates

    loaded = [page.sessions, page.start, page.previous, page.guidelines]
    loaded += [page.answer] if kind.before_start is not None else []
    demo.load(load_sessions, inputs=[page.sessions], outputs=loaded, api_visibility="private")
    page.sessions.change(
        session_chosen,
        inputs=[page.sessions, page.shown_id, page.shown_session],
        outputs=page.outputs(),
        api_visibility="private",
    )


def _answer_values(
    kind: PageKind, chosen: tuple[str, Any, bool], started: float, confidence: int | None, flag: bool, text: str
) -> dict[str, Any]:
    """The store's answer values from the page's fields (``chosen``: submit or skip, the choice, the
    left/right order shown); the time on the item from when it was shown (``started``, monotonic)."""
    what, picked, swapped = chosen
    values = kind.answer_of(what, picked, bool(swapped))
    elapsed = int((time.monotonic() - started) * 1000) if started else None
    values.update(
        confidence=int(confidence) if confidence else None,
        comment=text or "",
        flagged=bool(flag),
        time_on_item_ms=max(elapsed, 0) if elapsed is not None else None,
    )
    return values


def _connect_answers(kind: PageKind, page: Page, answer: Callable[..., Updates]) -> None:
    """Submit and Skip call ``answer`` with the item on screen; the feedback is scrolled into view after."""
    answer_inputs = [page.sessions, page.shown_id, page.shown_swapped, page.shown_at, page.shown_version]
    answer_inputs += [page.shown_key, page.answer, page.confidence, page.flagged, page.comment]
    for button, what in ((page.submit, "submit"), (page.skip, "skip")):
        button.click(
            answer,
            inputs=[gr.State(what), *answer_inputs],
            outputs=page.outputs(),
            api_name=kind.api[what],
            concurrency_id=kind.concurrency_id,
            concurrency_limit=8,
        ).then(None, js=f"() => window.judgeStudioShowItem && window.judgeStudioShowItem('{kind.prefix}')")


def answer_page(kind: PageKind, studio: Studio, demo: gr.Blocks) -> Page:
    """Build one answer page into the current Blocks context; returns its components."""
    page = Page()
    _session_section(kind, page)
    kind.display(page)
    _answer_section(kind, page)
    _wire(kind, studio, demo, page)
    return page
