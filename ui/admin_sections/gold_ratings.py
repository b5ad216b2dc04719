"""Admin: gold (attention-check) responses for grading sessions, in the sessions section.

A mark is a response, a scale (10 or 5) and the ratings that count as right (lowest..highest), with
an explanation graders read after a rating outside them. The table lists the gold responses of the
session form's dataset; the desk (``AdminDesk.set_gold_rating``) checks the admin role and the range.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from orchestration import AdminDesk
from orchestration.admin import removed_gold_rating_note
from ui.admin_sections.gold_preview import preview_box, response_preview_markdown, wire_preview
from ui.errors import actor_of, guarded, noted
from ui.formatting import EMPTY_NUMBER
from ui.render import inline_text
from ui.tables import plain_table

SCALE_CHOICES = [("1-10", "10"), ("1-5", "5")]


def gold_ratings_fields() -> dict[str, Any]:
    """The form and table (inside the sessions accordion, below the gold comparisons)."""
    gr.Markdown(
        "**Gold (attention-check) response** for grading sessions: ratings from the lowest to the highest "
        "right rating count as right, on the scale chosen here; sessions on the other scale treat it as an "
        "ordinary response. *Remove gold mark* needs only the number: ratings given on it stay."
    )
    with gr.Row():
        fields: dict[str, Any] = {
            "id": gr.Number(
                value=None,
                label="Response #",
                precision=0,
                placeholder="e.g. 12",
                elem_id="admin-gold-rating-id",
                elem_classes=EMPTY_NUMBER,
            ),
            "show": gr.Button("Show", elem_id="admin-gold-rating-show", scale=0, min_width=80),
            "scale": gr.Radio(choices=SCALE_CHOICES, value="10", label="Scale", elem_id="admin-gold-rating-scale"),
            "low": gr.Number(
                value=None,
                label="Lowest right rating",
                precision=0,
                placeholder="e.g. 1",
                elem_id="admin-gold-rating-low",
                elem_classes=EMPTY_NUMBER,
            ),
            "high": gr.Number(
                value=None,
                label="Highest right rating",
                precision=0,
                placeholder="e.g. 2",
                elem_id="admin-gold-rating-high",
                elem_classes=EMPTY_NUMBER,
            ),
        }
    fields["preview"] = preview_box("admin-gold-rating-preview")
    with gr.Row():
        fields["explanation"] = gr.Textbox(
            label="Explanation (shown after a rating outside the range)", elem_id="admin-gold-rating-explanation"
        )
        fields["save"] = gr.Button("Mark response as gold", elem_id="admin-gold-rating-save")
        fields["remove"] = gr.Button("Remove gold mark", elem_id="admin-gold-rating-remove")
    fields["table"] = plain_table(
        interactive=False, label="Gold responses of the session's dataset", elem_id="admin-gold-ratings"
    )
    fields["result"] = gr.Markdown(elem_id="admin-gold-rating-result")
    return fields


def wire_gold_ratings(gold: dict[str, Any], dataset: gr.Dropdown, desk: AdminDesk) -> None:
    """Mark and unmark; the table follows the session form's dataset."""

    @noted(gold["result"])
    def save(
        number: float | None,
        scale: str | None,
        low: float | None,
        high: float | None,
        why: str,
        dataset_name: str | None,
        request: gr.Request,
    ) -> dict[Any, Any]:
        desk.set_gold_rating(actor_of(request), number, scale, low, high, why)
        right = f"{int(low or 0)}" if low == high else f"{int(low or 0)}-{int(high or 0)}"
        message = f"Response #{int(number or 0)} is gold on the 1-{scale} scale: ratings {right} are right."
        return {gold["table"]: desk.gold_ratings(actor_of(request), dataset_name), gold["result"]: message}

    @noted(gold["result"])
    def remove(number: float | None, dataset_name: str | None, request: gr.Request) -> dict[Any, Any]:
        kept = desk.remove_gold_rating(actor_of(request), number)
        message = removed_gold_rating_note(int(number or 0), kept)
        return {gold["table"]: desk.gold_ratings(actor_of(request), dataset_name), gold["result"]: inline_text(message)}

    @guarded
    def listed(dataset_name: str | None, request: gr.Request) -> Any:
        return desk.gold_ratings(actor_of(request), dataset_name)

    shown = [gold["table"], gold["result"]]
    inputs = [gold[key] for key in ("id", "scale", "low", "high", "explanation")]
    gold["save"].click(save, inputs=[*inputs, dataset], outputs=shown, api_name="admin_set_gold_rating")
    gold["remove"].click(remove, inputs=[gold["id"], dataset], outputs=shown, api_name="admin_remove_gold_rating")
    dataset.change(listed, inputs=dataset, outputs=gold["table"], api_visibility="private")
    wire_preview(
        gold["id"],
        gold["show"],
        gold["preview"],
        desk.response_preview,
        response_preview_markdown,
        "admin_gold_rating_preview",
    )
