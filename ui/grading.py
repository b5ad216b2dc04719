"""The Grade page: single-answer grading sessions (MT-Bench style), one response rated 1-10.

Responses come leased from the session (``GradingDesk.next_item``): the instruction, input, the
reference answer where the dataset has one, and the response; the model's name is hidden in blind
sessions and the judge's rating appears only after the submit (if the session reveals the judge).
← Previous reopens an earlier rating for editing (a new version). Enter submits (static/shortcuts.js).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import gradio as gr

from orchestration import DEMO_GRADING_SESSION, GradeOutcome, GradingItem, Studio, UserError
from ui.annotate import CONFIDENCE_CHOICES, progress_html
from ui.formatting import _fail
from ui.render import quote_block, safe_markdown

RATING_CHOICES = [str(n) for n in range(1, 11)]


def _user(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None) if request is not None else None


def item_markdown(item: GradingItem) -> str:
    """Instruction, input and reference answer (untrusted text, sanitized)."""
    r = item.response
    parts = [f"**Instruction**\n\n{quote_block(r.instruction)}"]
    if r.input.strip():
        parts.append(f"**Input**\n\n{quote_block(r.input)}")
    if r.reference and r.reference.strip():
        parts.append(f"**Reference answer**\n\n{quote_block(r.reference)}")
    return "\n\n".join(parts)


def outcome_markdown(outcome: GradeOutcome) -> str:
    saved = outcome.rating
    what = "Skipped" if saved.skipped else f"Rated **{saved.rating}**/10"
    parts = [
        f"{what} response #{saved.response_id} (version {saved.version}). "
        f"The model was `{safe_markdown(outcome.model)}`."
    ]
    judge = outcome.judge
    if judge is not None:
        if judge.score is None:
            parts.append(f"The judge's output on this response had no rating ({judge.status}).")
        else:
            parts.append(f"The judge rated it **{judge.score:g}**/10.")
    return " ".join(parts)


def grading_tab(studio: Studio, demo: gr.Blocks) -> None:
    with gr.Row():
        sessions = gr.Dropdown(
            choices=[],
            value=None,
            label="Grading session",
            elem_id="grade-session",
            allow_custom_value=True,  # filled on page load; the handlers check the name
            scale=3,
        )
        start = gr.Button("Start / next response", variant="primary", elem_id="start-grading", scale=1)
        previous = gr.Button("← Previous", elem_id="previous-rating", scale=1)
    with gr.Accordion("Guidelines", open=False, elem_id="grade-guidelines-box"):
        guidelines = gr.Markdown(elem_id="grade-guidelines")
    progress = gr.HTML(elem_id="grade-progress")
    feedback = gr.Markdown(elem_id="grade-feedback")
    header = gr.Markdown(elem_id="grade-header")
    prompt = gr.Markdown(elem_id="grade-prompt")
    response_title = gr.Markdown("### Response")
    response = gr.Markdown(elem_id="grade-response", elem_classes=["js-response"], line_breaks=True)
    with gr.Row():
        rating = gr.Radio(
            RATING_CHOICES, label="Your rating (1 = useless, 10 = excellent)", elem_id="grade-rating", scale=4
        )
        confidence = gr.Radio(
            CONFIDENCE_CHOICES, value=0, label="Confidence (optional)", elem_id="grade-confidence", scale=3
        )
        flagged = gr.Checkbox(label="Flag this response (broken or offensive)", elem_id="grade-flag", scale=1)
    comment = gr.Textbox(label="Comment (optional)", lines=1, max_lines=4, elem_id="grade-comment")
    with gr.Row():
        submit = gr.Button("Enter · Submit", variant="primary", elem_id="submit-rating")
        skip = gr.Button("Skip", elem_id="skip-rating")
    shown_id = gr.State(None)
    shown_at = gr.State(0.0)
    shown_version = gr.State(0)
    shown_key = gr.State(lambda: uuid.uuid4().hex)

    def load_sessions(request: gr.Request) -> Any:
        try:
            names = [s.name for s in studio.grading.sessions(_user(request))]
        except UserError:
            return gr.Dropdown(choices=[], value=None)
        default = DEMO_GRADING_SESSION if DEMO_GRADING_SESSION in names else (names[0] if names else None)
        return gr.Dropdown(choices=names, value=default)

    def show(item: GradingItem | None, note: str) -> tuple[Any, ...]:
        key = uuid.uuid4().hex
        if item is None:
            done = "_You have rated every response this session has for you. Thank you!_"
            return (None, 0.0, 0, key, done, "", "### Response", "", None, 0, False, "", note, gr.skip(), gr.skip())
        r, p, saved = item.response, item.progress, item.rating
        editing = f" · editing your earlier rating (version {saved.version})" if saved is not None else ""
        model = f"### Response · `{safe_markdown(item.model)}`" if item.model is not None else "### Response"
        return (
            r.id,
            time.monotonic(),
            saved.version if saved is not None else 0,
            key,
            f"Response **#{r.id}** · {safe_markdown(r.category)}{editing}",
            item_markdown(item),
            model,
            quote_block(r.text),
            str(saved.rating) if saved is not None and saved.rating is not None else None,
            (saved.confidence or 0) if saved is not None else 0,
            saved.flagged if saved is not None else False,
            saved.comment if saved is not None else "",
            note,
            progress_html(p.mine, p.done, p.total, p.overlap, items="responses", verb="rated"),
            safe_markdown(item.session.guidelines) or "_No guidelines for this session._",
        )

    def next_response(session_name: str | None, request: gr.Request, note: str = "") -> tuple[Any, ...]:
        try:
            return show(studio.grading.next_item(_user(request), session_name), note)
        except UserError as exc:
            raise _fail(exc) from exc

    def go_back(session_name: str | None, current: int | None, request: gr.Request) -> tuple[Any, ...]:
        try:
            item = studio.grading.previous(_user(request), session_name, current)
        except UserError as exc:
            raise _fail(exc) from exc
        if item is None:
            raise gr.Error("There is no earlier rating of yours in this session.", print_exception=False)
        return show(item, "")

    def answer(
        kind: str,
        session_name: str | None,
        response_id: int | None,
        started: float,
        version: int,
        key: str,
        picked: str | None,
        confidence_value: int | None,
        flag: bool,
        text: str,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        if response_id is None:
            raise gr.Error("Press “Start / next response” first: no response is on screen.", print_exception=False)
        skipped = kind == "skip"
        if not skipped and not picked:
            raise gr.Error("Choose a rating from 1 to 10 first, then submit.", print_exception=False)
        elapsed = int((time.monotonic() - started) * 1000) if started else None
        try:
            value = None if skipped else int(str(picked))
            outcome = studio.grading.submit(
                _user(request),
                session_name,
                int(response_id),
                value,
                skipped=skipped,
                confidence=int(confidence_value) if confidence_value else None,
                comment=text or "",
                flagged=bool(flag),
                time_on_item_ms=max(elapsed, 0) if elapsed is not None else None,
                idempotency_key=key,
                expected_version=int(version),
            )
        except (*UserError, TypeError) as exc:
            raise _fail(exc) from exc
        return next_response(session_name, request, outcome_markdown(outcome))

    item_outputs = [
        shown_id,
        shown_at,
        shown_version,
        shown_key,
        header,
        prompt,
        response_title,
        response,
        rating,
        confidence,
        flagged,
        comment,
        feedback,
        progress,
        guidelines,
    ]
    answer_inputs = [sessions, shown_id, shown_at, shown_version, shown_key, rating, confidence, flagged, comment]
    start.click(next_response, inputs=sessions, outputs=item_outputs, api_name="next_response")
    previous.click(go_back, inputs=[sessions, shown_id], outputs=item_outputs, api_name="previous_rating")
    for button, kind in ((submit, "submit"), (skip, "skip")):
        button.click(
            answer,
            inputs=[gr.State(kind), *answer_inputs],
            outputs=item_outputs,
            api_name=f"{kind}_rating",
            concurrency_id="ratings",
            concurrency_limit=8,
        )
    demo.load(load_sessions, outputs=sessions, api_visibility="private")
