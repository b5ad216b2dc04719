"""The Grade page: single-answer grading sessions, one response rated 1-10 (MT-Bench style) or 1-5
(Prometheus 2 style), on the session's scale.

``answer_page`` with the single kind: the instruction, input, the reference answer where the dataset
has one, the session's rubric (its criterion and what each score means) and the response; the rating
buttons are 1..scale of the session shown. The model's name is hidden in blind sessions and the
judge's rating appears only after the submit (if the session reveals the judge). Keys
(static/shortcuts.js): a digit picks that rating (on 1-10, 0 is 10), Enter submits, S skips, F flags,
← previous; the rating's label says which keys.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from annotation_store import StoreError
from annotation_store.scales import parse_rubric
from errors import InvalidInput
from orchestration import DEMO_GRADING_SESSION, GradeOutcome, GradingItem, Studio
from ui.answer_page import Page, PageKind, Updates, answer_page, category_part
from ui.formatting import gold_first
from ui.render import code, inline_text, quote_block

RATING_CHOICES = [str(n) for n in range(1, 11)]
SCALE_WORDS = {10: "1 = useless, 10 = excellent", 5: "1 = worst, 5 = best; see the rubric"}

__all__ = ["GRADE", "RATING_CHOICES", "grading_tab", "item_markdown", "outcome_markdown", "rubric_markdown"]


def rating_choices(scale: int) -> list[str]:
    return [str(n) for n in range(1, int(scale) + 1)]


def rubric_markdown(rubric: str, scale: int) -> str:
    """The session's rubric as a table (criterion, then what each score means); untrusted text escaped."""
    if not rubric.strip():
        return ""
    try:
        criterion, descriptions = parse_rubric(rubric, scale)
    except StoreError:  # stored before its checks, or a scale changed: show it as it is, escaped
        return f"**Rubric**\n\n{quote_block(rubric)}"
    rows = [f"| {k} | {inline_text(text)} |" for k, text in enumerate(descriptions, start=1)]
    return "\n".join([f"**Rubric** · {inline_text(criterion)}", "", "| score | what it means |", "|---|---|", *rows])


def item_markdown(item: GradingItem) -> str:
    """Instruction, input and reference answer (untrusted text, sanitized)."""
    r = item.response
    parts = [f"### Instruction\n\n{quote_block(r.instruction)}"]  # headings under the item's H2 (s14 a11y 7)
    if r.input.strip():
        parts.append(f"### Input\n\n{quote_block(r.input)}")
    if r.reference and r.reference.strip():
        parts.append(f"**Reference answer**\n\n{quote_block(r.reference)}")
    return "\n\n".join(parts)


def outcome_markdown(outcome: GradeOutcome, kept: bool = False) -> str:
    saved = outcome.rating
    if saved.skipped:  # a skip reveals nothing (the store gives no judge or gold answer after one)
        return f"Skipped {outcome.ref.name} (version {saved.version}): nothing is shown about it."
    parts = [f"Rated **{saved.rating}**/{int(outcome.scale)} {outcome.ref.name} (version {saved.version})."]
    if kept:  # nothing new was written: no "Rated" (s14 a11y 10); final: something was revealed after it
        final = outcome.gold is not None or outcome.judge is not None or outcome.judge_revealed
        parts = [f"Moved on; your {'final ' if final else ''}rating (version {saved.version}) was kept."]
    if outcome.model is not None:
        parts.append(f"The model was {code(outcome.model)}.")
    judge = outcome.judge
    if judge is not None:
        if judge.score is None:
            parts.append(f"The judge's output on this response had no rating ({inline_text(judge.status)}).")
        else:
            parts.append(f"The judge rated it **{judge.score:g}**/{int(outcome.judge_scale)}.")
    elif outcome.judge_revealed:  # the session shows the judge, which has not rated this response
        parts.append("The judge has not rated this response yet.")
    return gold_first(_gold_feedback(outcome), " ".join(parts))


def _gold_feedback(outcome: GradeOutcome) -> str:
    """After a gold response: passed or failed, what was rated against the right ratings, and on a
    miss the admin's explanation (untrusted)."""
    gold = outcome.gold
    if gold is None or outcome.gold_correct is None:
        return ""
    rated = f"you rated {outcome.rating.rating}; the known rating is *{gold.answer}*."
    if outcome.gold_correct:
        return f"**Gold check passed**: {rated}"
    return f"**Gold check failed**: {rated} {inline_text(gold.explanation)}".rstrip()


def _display(page: Page) -> None:
    rubric = gr.Markdown(elem_id="grade-rubric")
    title = gr.Markdown("### Response", elem_id="grade-response-title")
    response = gr.Markdown(elem_id="grade-response", elem_classes=["js-response"], line_breaks=True)
    page.display = [rubric, title, response]


def rating_keys(scale: int) -> str:
    """The keys that pick a rating on this scale (static/shortcuts.js: a digit is that rating, 0 is 10)."""
    scale = int(scale)
    if scale <= 9:
        return f"keys 1-{scale}"
    return "keys 1-9, 0 = 10" if scale == 10 else "keys 1-9"


def _rating_label(scale: int) -> str:
    words = SCALE_WORDS.get(scale, "")
    return f"Your rating, 1-{scale} ({words + '; ' if words else ''}{rating_keys(scale)}; Enter submits)"


# before a session is known (the page load fills in the default session's scale, ``_before_start``)
NO_SCALE_LABEL = "Your rating (choose a grading session: its scale's buttons appear here)"


def _answer_widget(page: Page) -> None:
    page.answer = gr.Radio([], label=NO_SCALE_LABEL, elem_id="grade-rating", interactive=True)


def _before_start(page: Page, studio: Studio, actor: str | None, session_name: str | None) -> Updates:
    """The rating row for the session chosen before Start: its scale's buttons and keys (a 1-5 session
    showed "1-10 ... 0 = 10" until Start); no scale named when the name is no open grading session."""
    scale = studio.grading.scale_of(actor, session_name) if session_name else None
    if scale is None:
        return {page.answer: gr.Radio(choices=[], value=None, label=NO_SCALE_LABEL)}
    return {page.answer: gr.Radio(choices=rating_choices(scale), value=None, label=_rating_label(scale))}


def _show_item(page: Page, item: GradingItem | None) -> Updates:
    rubric, title, response = page.display
    if item is None:
        return {rubric: "", title: "### Response", response: ""}
    r, saved = item.response, item.rating
    editing = f" · editing your earlier rating (version {saved.version})" if saved is not None else ""
    if saved is not None and saved.skipped:  # a skip is no rating: ``show`` says "answer it now, or skip it again"
        editing = f" · you skipped this earlier (version {saved.version})"  # drafts.js compares it
    if saved is not None and item.final:  # shown read-only: ``show`` says why in the feedback line
        editing = f" · your rating (version {saved.version}) is final"
    return {
        # the item's H2 (s14 a11y 7): "Response #7" for reviewers, "Item 7KQ2MXA3FZ" for annotators (s15 blindids)
        page.header: f"## {item.ref.word} **{item.ref.mark}**{category_part(r.category)}{editing}",
        page.prompt: item_markdown(item),
        title: f"### Response · {code(item.model)}" if item.model is not None else "### Response",
        response: quote_block(r.text),
        rubric: rubric_markdown(item.rubric, item.scale),
        page.answer: gr.Radio(
            choices=rating_choices(item.scale),
            value=str(saved.rating) if saved is not None and saved.rating is not None else None,
            label=_rating_label(item.scale),
            interactive=not item.final,
        ),
    }


def _answer_of(what: str, picked: Any, _swapped: bool) -> dict[str, Any]:
    if what == "skip":
        return {"rating": None, "skipped": True}
    if not picked:
        raise InvalidInput("Choose a rating first (one of the buttons of the session's scale), then submit.")
    return {"rating": int(str(picked)), "skipped": False}


GRADE = PageKind(
    prefix="grade",
    desk=lambda studio: studio.grading,
    default_session=DEMO_GRADING_SESSION,
    session_label="Grading session",
    start=("Start / next response", "start-grading"),
    previous_id="previous-rating",
    submit_id="submit-rating",
    skip=("S · Skip", "skip-rating"),
    flag_label="F · Flag this response (broken or offensive)",
    api={"next": "next_response", "previous": "previous_rating", "submit": "submit_rating", "skip": "skip_rating"},
    concurrency_id="ratings",
    nothing_on_screen=(  # as on the Annotate page (ui/annotate.py): Start is the way back after a reload
        "Nothing was saved: no response is on screen. Press “Start / next response” to get one; "
        "after a reload it brings back the response you were rating."
    ),
    no_previous="There is no earlier rating of yours in this session.",
    # (why it came early, if it did: the desk's ``done_note``, shown under it)
    done_text="_You have rated every response this session has for you. Thank you!_",
    items="responses",
    verb="answered (skips included)",
    display=_display,
    answer_widget=_answer_widget,
    show_item=_show_item,
    answer_of=_answer_of,
    feedback=outcome_markdown,
    before_start=_before_start,
)


def grading_tab(studio: Studio, demo: gr.Blocks) -> Page:
    """The Grade page, built into the current Blocks context."""
    return answer_page(GRADE, studio, demo)
