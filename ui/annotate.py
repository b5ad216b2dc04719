"""The Annotate page: a logged-in annotator works through an annotation session.

Items come leased from the session (``AnnotationDesk.next_item``), in a left/right order drawn per
(comparison, annotator). Model names stay hidden in blind sessions and the judge's verdict is shown
only after the submit (if the session reveals it). Every submit is written at once; ← Previous
opens an earlier label for editing (a new version). Keys (static/shortcuts.js): 1 / 2 pick left /
right, T or 0 tie, S skip, F flag, Enter submit, ← previous; ignored while typing in a text field.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import gradio as gr

from orchestration import DEMO_SESSION, AnnotationItem, Studio, SubmitOutcome, UserError
from orchestration.annotation import presented_choice
from ui.formatting import _fail, prompt_markdown
from ui.render import quote_block, safe_markdown

CHOICE_NAMES = {"left": "Left is better", "right": "Right is better", "tie": "Tie", "skip": "Skipped"}
CONFIDENCE_CHOICES = [("–", 0), ("1 · unsure", 1), ("2", 2), ("3", 3), ("4", 4), ("5 · certain", 5)]


def _user(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None) if request is not None else None


def progress_html(
    mine: int, done: int, total: int, overlap: int, *, items: str = "comparisons", verb: str = "labelled"
) -> str:
    """Two progress bars. Only integers computed here go into this HTML, never stored text."""
    total = max(int(total), 0)
    mine, done = int(mine), int(done)
    return (
        '<div class="js-progress">'
        f"<label>You: {mine} {verb} "
        f'<progress id="progress-mine" value="{min(mine, total)}" max="{total}"></progress></label> '
        f"<label>Everyone: {done} of {total} {items} have {int(overlap)} answers "
        f'<progress id="progress-all" value="{done}" max="{total}"></progress></label>'
        "</div>"
    )


def feedback_markdown(outcome: SubmitOutcome, left_model: str, right_model: str) -> str:
    saved = outcome.label
    parts = [
        f"Saved **{CHOICE_NAMES[outcome.choice]}** on comparison #{saved.comparison_id} (version {saved.version})."
    ]
    parts.append(f"Left was `{safe_markdown(left_model)}`, right was `{safe_markdown(right_model)}`.")
    if outcome.gold_verdict is not None:
        expected = CHOICE_NAMES[str(outcome.gold_choice)]
        if outcome.gold_correct:
            parts.append(f"✅ **Gold check passed**: the known answer is *{expected}*.")
        elif outcome.gold_correct is False:
            parts.append(
                f"❌ **Gold check**: the known answer is *{expected}*. {safe_markdown(outcome.gold_explanation)}"
            )
    if outcome.judge is not None:
        if outcome.judge.verdict is None:
            parts.append("The judge's output on this item had no verdict (unparsed).")
        else:
            agree = "agrees" if outcome.judge_choice == outcome.choice else "disagrees"
            parts.append(f"The judge said: **{CHOICE_NAMES[str(outcome.judge_choice)]}** (it {agree} with you).")
    return " ".join(parts)


def _constant(value: str) -> Any:
    return lambda: value


def annotate_tab(studio: Studio, demo: gr.Blocks) -> None:
    with gr.Row():
        names = [s.name for s in studio.store.sessions(active_only=True) if s.kind == "pairwise"]
        sessions = gr.Dropdown(
            choices=names,
            value=DEMO_SESSION if DEMO_SESSION in names else (names[0] if names else None),
            label="Annotation session",
            elem_id="annotate-session",
            allow_custom_value=True,  # sessions an admin opens later; the handlers check the name
            scale=3,
        )
        start = gr.Button("Start / next item", variant="primary", elem_id="start-labelling", scale=1)
        previous = gr.Button("← Previous", elem_id="previous-item", scale=1)
    with gr.Accordion("Guidelines", open=False, elem_id="annotate-guidelines-box"):
        guidelines = gr.Markdown(elem_id="annotate-guidelines")
    progress = gr.HTML(elem_id="annotate-progress")
    feedback = gr.Markdown(elem_id="annotate-feedback")
    header = gr.Markdown(elem_id="annotate-header")
    prompt = gr.Markdown(elem_id="annotate-prompt")
    with gr.Row(equal_height=False):
        with gr.Column():
            left_title = gr.Markdown("### Left")
            left = gr.Markdown(elem_id="annotate-response-1", elem_classes=["js-response"], line_breaks=True)
        with gr.Column():
            right_title = gr.Markdown("### Right")
            right = gr.Markdown(elem_id="annotate-response-2", elem_classes=["js-response"], line_breaks=True)
    with gr.Row():
        pick_left = gr.Button("1 · Left is better", elem_id="label-1")
        pick_tie = gr.Button("T · Tie", elem_id="label-tie")
        pick_right = gr.Button("2 · Right is better", elem_id="label-2")
    with gr.Row():
        choice = gr.Radio(
            [("Left is better", "left"), ("Tie", "tie"), ("Right is better", "right")],
            label="Your answer",
            elem_id="annotate-choice",
            interactive=True,
            scale=3,
        )
        confidence = gr.Radio(
            CONFIDENCE_CHOICES,
            value=0,
            label="Confidence (optional)",
            elem_id="annotate-confidence",
            scale=3,
            interactive=True,
        )
        flagged = gr.Checkbox(label="F · Flag this item (broken or offensive)", elem_id="annotate-flag", scale=1)
    comment = gr.Textbox(label="Comment (optional)", lines=1, max_lines=4, elem_id="annotate-comment")
    with gr.Row():
        submit = gr.Button("Enter · Submit", variant="primary", elem_id="submit-label")
        skip = gr.Button("S · Skip", elem_id="skip-item")
    # per-tab state: only ids and small values; every label goes to the database on submit
    shown_id = gr.State(None)
    shown_swapped = gr.State(False)
    shown_at = gr.State(0.0)
    shown_version = gr.State(0)
    shown_key = gr.State(lambda: uuid.uuid4().hex)

    def load_sessions(request: gr.Request) -> Any:
        try:
            names = [s.name for s in studio.desk.sessions(_user(request))]
        except UserError:
            return gr.Dropdown(choices=[], value=None)
        default = DEMO_SESSION if DEMO_SESSION in names else (names[0] if names else None)
        return gr.Dropdown(choices=names, value=default)

    def show(item: AnnotationItem | None, note: str) -> tuple[Any, ...]:
        key = uuid.uuid4().hex
        if item is None:
            return (
                None,
                False,
                0.0,
                0,
                key,
                "_You have answered every comparison this session has for you. Thank you!_",
                "",
                "### Left",
                "",
                "### Right",
                "",
                None,
                0,
                False,
                "",
                note,
                gr.skip(),
                gr.skip(),
            )
        session, c, p = item.session, item.comparison, item.progress
        names = not session.blind
        label = item.label
        editing = (
            f" · editing your earlier answer (version {label.version})"
            if label is not None and not label.skipped
            else ""
        )
        return (
            c.id,
            item.swapped,
            time.monotonic(),
            label.version if label is not None else 0,
            key,
            f"Comparison **#{c.id}** · {safe_markdown(c.category)}{editing}",
            prompt_markdown(c),
            f"### Left · `{safe_markdown(item.left_model)}`" if names else "### Left",
            quote_block(item.left),
            f"### Right · `{safe_markdown(item.right_model)}`" if names else "### Right",
            quote_block(item.right),
            presented_choice(label.verdict, item.swapped) if label is not None else None,
            (label.confidence or 0) if label is not None else 0,
            label.flagged if label is not None else False,
            label.comment if label is not None else "",
            note,
            progress_html(p.mine, p.done, p.total, p.overlap),
            safe_markdown(session.guidelines) or "_No guidelines for this session._",
        )

    def next_item(session_name: str | None, request: gr.Request, note: str = "") -> tuple[Any, ...]:
        try:
            return show(studio.desk.next_item(_user(request), session_name), note)
        except UserError as exc:
            raise _fail(exc) from exc

    def go_back(session_name: str | None, current: int | None, request: gr.Request) -> tuple[Any, ...]:
        try:
            item = studio.desk.previous(_user(request), session_name, current)
        except UserError as exc:
            raise _fail(exc) from exc
        if item is None:
            raise gr.Error("There is no earlier label of yours in this session.", print_exception=False)
        return show(item, "")

    def answer(
        kind: str,
        session_name: str | None,
        comparison_id: int | None,
        swapped: bool,
        started: float,
        version: int,
        key: str,
        picked: str | None,
        confidence_value: int | None,
        flag: bool,
        text: str,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        if comparison_id is None:
            raise gr.Error("Press “Start / next item” first: there is no comparison on screen.", print_exception=False)
        picked_choice = "skip" if kind == "skip" else picked
        if picked_choice is None:
            raise gr.Error("Choose Left, Right or Tie first (keys 1, 2, T), then submit.", print_exception=False)
        elapsed = int((time.monotonic() - started) * 1000) if started else None
        try:
            item = studio.desk.open_item(_user(request), session_name, int(comparison_id))
            outcome = studio.desk.submit(
                _user(request),
                session_name,
                int(comparison_id),
                picked_choice,
                swapped=bool(swapped),
                confidence=int(confidence_value) if confidence_value else None,
                comment=text or "",
                flagged=bool(flag),
                time_on_item_ms=max(elapsed, 0) if elapsed is not None else None,
                idempotency_key=key,
                expected_version=int(version),
            )
        except UserError as exc:
            raise _fail(exc) from exc
        return next_item(session_name, request, feedback_markdown(outcome, item.left_model, item.right_model))

    item_outputs = [
        shown_id,
        shown_swapped,
        shown_at,
        shown_version,
        shown_key,
        header,
        prompt,
        left_title,
        left,
        right_title,
        right,
        choice,
        confidence,
        flagged,
        comment,
        feedback,
        progress,
        guidelines,
    ]
    answer_inputs = [
        sessions,
        shown_id,
        shown_swapped,
        shown_at,
        shown_version,
        shown_key,
        choice,
        confidence,
        flagged,
        comment,
    ]
    start.click(next_item, inputs=sessions, outputs=item_outputs, api_name="next_item")
    previous.click(go_back, inputs=[sessions, shown_id], outputs=item_outputs, api_name="previous_item")
    for button, kind in ((submit, "submit"), (skip, "skip")):
        button.click(
            answer,
            inputs=[gr.State(kind), *answer_inputs],
            outputs=item_outputs,
            api_name=f"{kind}_label",
            concurrency_id="labels",
            concurrency_limit=8,
        )
    for button, value in ((pick_left, "left"), (pick_right, "right"), (pick_tie, "tie")):
        button.click(_constant(value), outputs=choice, api_visibility="private", queue=False)
    demo.load(load_sessions, outputs=sessions, api_visibility="private")
