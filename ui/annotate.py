"""The Annotate page: a logged-in annotator labels comparisons of a pairwise session.

``answer_page`` with the pairwise kind: each comparison is shown in a left/right order drawn per
(comparison, annotator); the answer (left, right, tie, skip) is about what was shown and stored in
canonical order. Keys (static/shortcuts.js): 1 / 2 pick left / right, T or 0 tie, S skip, F flag,
Enter submit, ← previous; ignored while typing in a text field.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from errors import InvalidInput
from orchestration import DEMO_SESSION, AnnotationItem, Studio, SubmitOutcome
from orchestration.annotation import canonical_verdict, presented_choice
from ui.answer_page import (
    CONFIDENCE_CHOICES,
    Page,
    PageKind,
    Updates,
    answer_page,
    category_part,
    progress_html,
)
from ui.formatting import gold_first, probability_places, prompt_markdown
from ui.render import code, inline_text, quote_block

CHOICE_NAMES = {"left": "Left is better", "right": "Right is better", "tie": "Tie", "skip": "Skipped"}

__all__ = ["ANNOTATE", "CONFIDENCE_CHOICES", "annotate_tab", "feedback_markdown", "progress_html"]


def feedback_markdown(outcome: SubmitOutcome, kept: bool = False) -> str:
    """What a submit stored and may reveal. Model names and texts an admin typed are escaped. ``kept``: the
    submit wrote nothing new (the answer as stored, e.g. a final one opened with ← Previous): no "Saved"."""
    saved = outcome.label
    if saved.skipped:  # a skip reveals nothing (the store gives no judge or gold answer after one)
        return f"Skipped {outcome.ref.name} (version {saved.version}): nothing is shown about it."
    # the item by its handle for an annotator ("item 7KQ2MXA3FZ"), by its id for reviewers (``ItemRef``)
    parts = [f"Saved **{CHOICE_NAMES[outcome.choice]}** on {outcome.ref.name} (version {saved.version})."]
    if kept:  # "Saved ... (version 1)" read as saved again (s14 a11y 10); final: something was revealed after it
        final = outcome.gold_verdict is not None or outcome.judge is not None
        final = final or (outcome.names and outcome.item is not None and outcome.item.session.blind)
        parts = [f"Moved on; your {'final ' if final else ''}answer (version {saved.version}) was kept."]
    if outcome.item is not None and outcome.names:
        parts.append(f"Left was {code(outcome.item.left_model)}, right was {code(outcome.item.right_model)}.")
    if outcome.judge is not None:
        if outcome.judge.verdict is None:
            parts.append("The judge's output on this item had no verdict (unparsed).")
        elif outcome.judge_uncertain:
            parts.append(_uncertain_line(outcome))
        else:
            agree = "agrees" if outcome.judge_choice == outcome.choice else "disagrees"
            parts.append(f"The judge said: **{CHOICE_NAMES[str(outcome.judge_choice)]}** (it {agree} with you).")
    return gold_first(_gold_check(outcome), " ".join([*parts, outcome.notice]).strip())  # notice: guidelines changed


def _uncertain_line(outcome: SubmitOutcome) -> str:
    """An uncertain verdict as the Case study shows it ("Uncertain: leaning to ..."), in the annotator's
    left/right terms, with no agrees/disagrees: every figure leaves it out, so it is no win to agree with."""
    p = (outcome.judge.probabilities if outcome.judge is not None else None) or {}
    swapped = outcome.item.swapped if outcome.item is not None else False
    left, right = (p.get("2", 0.0), p.get("1", 0.0)) if swapped else (p.get("1", 0.0), p.get("2", 0.0))
    leaning = {"left": "Left", "right": "Right", "tie": "a tie"}.get(str(outcome.judge_choice), "?")
    tie = p.get("tie", 0.0)
    places = probability_places(left, right, tie)  # "0.46 · 0.46" read as a bug
    return (
        f"The judge was **uncertain**: leaning to {leaning} (p(left) {left:.{places}f} · p(right) {right:.{places}f} "
        f"· p(tie) {tie:.{places}f}), so it counts neither as a win nor as a tie (setting `uncertain_margin`)."
    )


def _gold_check(outcome: SubmitOutcome) -> str:
    """Passed or failed, what was answered against the known answer (both as shown: left/right), and on
    a miss the admin's explanation (untrusted). Empty when the item was no check or was skipped."""
    if outcome.gold_verdict is None or outcome.gold_correct is None:
        return ""
    known = CHOICE_NAMES[str(outcome.gold_choice)]
    said = f"you answered *{CHOICE_NAMES[outcome.choice]}*; the known answer is *{known}*."
    if outcome.gold_correct:
        return f"**Gold check passed**: {said}"
    return f"**Gold check failed**: {said} {inline_text(outcome.gold_explanation)}".rstrip()


def _display(page: Page) -> None:
    with gr.Row(equal_height=False):
        with gr.Column():
            left_title = gr.Markdown("### Left", elem_id="annotate-left-title")
            left = gr.Markdown(elem_id="annotate-response-1", elem_classes=["js-response"], line_breaks=True)
        with gr.Column():
            right_title = gr.Markdown("### Right", elem_id="annotate-right-title")
            right = gr.Markdown(elem_id="annotate-response-2", elem_classes=["js-response"], line_breaks=True)
    page.display = [left_title, left, right_title, right]


def _answer_widget(page: Page) -> None:
    # js-answer-bar: on a phone this row and Submit's stay at the bottom of the screen (static/judge_studio.css)
    with gr.Row(elem_classes=["js-answer-bar", "js-choice-bar"]):
        pick_left = gr.Button("1 · Left is better", elem_id="label-1")
        pick_tie = gr.Button("T · Tie", elem_id="label-tie")
        pick_right = gr.Button("2 · Right is better", elem_id="label-2")
    page.picks = [pick_left, pick_tie, pick_right]
    page.answer = gr.Radio(
        [("Left is better", "left"), ("Tie", "tie"), ("Right is better", "right")],
        label="Your answer",
        elem_id="annotate-choice",
        interactive=True,
    )
    # set in the browser, with no round trip: "1" then Enter at once must find the choice made
    for button, value in ((pick_left, "left"), (pick_right, "right"), (pick_tie, "tie")):
        button.click(None, outputs=page.answer, js=f"() => '{value}'", api_visibility="private", queue=False)


def _show_item(page: Page, item: AnnotationItem | None) -> Updates:
    left_title, left, right_title, right = page.display
    if item is None:
        return {left_title: "### Left", left: "", right_title: "### Right", right: ""}
    c, label = item.comparison, item.label
    names = not item.session.blind
    editing = f" · editing your earlier answer (version {label.version})" if label and not label.skipped else ""
    if label is not None and label.skipped:  # a skip is no answer: ``show`` says "answer it now, or skip it again"
        editing = f" · you skipped this earlier (version {label.version})"  # drafts.js compares it
    if label is not None and item.final:  # shown read-only: ``show`` says why in the feedback line
        editing = f" · your answer (version {label.version}) is final"
    return {
        # the item's H2 (s14 a11y 7): "Comparison #12" for reviewers, "Item 7KQ2MXA3FZ" for annotators (s15 blindids)
        page.header: f"## {item.ref.word} **{item.ref.mark}**{category_part(c.category)}{editing}",
        page.prompt: prompt_markdown(c),
        left_title: f"### Left · {code(item.left_model)}" if names else "### Left",
        left: quote_block(item.left),
        right_title: f"### Right · {code(item.right_model)}" if names else "### Right",
        right: quote_block(item.right),
        page.answer: presented_choice(label.verdict, item.swapped) if label is not None else None,
    }


def _answer_of(what: str, picked: str | None, swapped: bool) -> dict[str, Any]:
    if what == "skip":
        return {"verdict": None, "skipped": True}
    if picked is None:
        raise InvalidInput("Choose Left, Right or Tie first (keys 1, 2, T), then submit.")
    return {"verdict": canonical_verdict(picked, swapped), "skipped": False}


ANNOTATE = PageKind(
    prefix="annotate",
    desk=lambda studio: studio.desk,
    default_session=DEMO_SESSION,
    session_label="Annotation session",
    start=("Start / next item", "start-labelling"),
    previous_id="previous-item",
    submit_id="submit-label",
    skip=("S · Skip", "skip-item"),
    flag_label="F · Flag this item (broken or offensive)",
    api={"next": "next_item", "previous": "previous_item", "submit": "submit_label", "skip": "skip_label"},
    concurrency_id="labels",
    # names Start as the way back: after a reload (Gradio reloads the page when the server is back after an
    # outage) the item is off the page, and Start hands the same one back while it is yours (s15 expert finding 2)
    nothing_on_screen=(
        "Nothing was saved: there is no comparison on screen. Press “Start / next item” to get one; "
        "after a reload it brings back the item you were answering."
    ),
    no_previous="There is no earlier label of yours in this session.",
    # (why it came early, if it did: the desk's ``done_note``, shown under it)
    done_text="_You have answered every comparison this session has for you. Thank you!_",
    items="comparisons",
    verb="answered (skips included)",
    display=_display,
    answer_widget=_answer_widget,
    show_item=_show_item,
    answer_of=_answer_of,
    feedback=feedback_markdown,
)


def annotate_tab(studio: Studio, demo: gr.Blocks) -> Page:
    """The Annotate page, built into the current Blocks context."""
    return answer_page(ANNOTATE, studio, demo)
