"""Admin: what a gold form's number is, shown before it is marked (lead finding 4: a bare number told the
admin nothing). The gold-response form shows the response (model, instruction, text), the gold-comparison
form both responses in stored order. Read through ``AdminDesk.response_preview`` / ``comparison_preview``
(admins only); every model string is untrusted and goes through ``ui.render``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from annotation_store import ComparisonView, ResponseView
from ui.errors import USER_ERRORS, actor_of, user_message
from ui.render import code, inline_text, quote_block

EMPTY = "_Type a number and press Enter (or **Show**) to see it here before you mark it._"


def _prompt(instruction: str, given: str) -> list[str]:
    parts = [f"**Instruction**\n\n{quote_block(instruction)}"]
    if given.strip():
        parts.append(f"**Input**\n\n{quote_block(given)}")
    return parts


def response_preview_markdown(r: ResponseView | None) -> str:
    """The response as the admin must judge it: which model wrote what, for which instruction."""
    if r is None:
        return EMPTY
    head = f"**Response #{r.id}** · {code(r.dataset)} · {inline_text(r.category)} · model {code(r.model)}"
    return "\n\n".join([head, *_prompt(r.instruction, r.input), f"**Response**\n\n{quote_block(r.text)}"])


def comparison_preview_markdown(c: ComparisonView | None) -> str:
    """Both responses in the stored order (the order the gold answer 1 / 2 refers to)."""
    if c is None:
        return EMPTY
    head = f"**Comparison #{c.id}** · {code(c.dataset)} · {inline_text(c.category)}"
    sides = [
        f"**Response 1** · {code(c.model1)}\n\n{quote_block(c.response1)}",
        f"**Response 2** · {code(c.model2)}\n\n{quote_block(c.response2)}",
    ]
    return "\n\n".join([head, *_prompt(c.instruction, c.input), *sides])


def preview_box(elem_id: str) -> gr.Markdown:
    """Where the preview goes (scrolls past a few hundred pixels: responses can be long)."""
    return gr.Markdown(EMPTY, elem_id=elem_id, elem_classes=["js-preview"], line_breaks=True)


def wire_preview(
    number: gr.Number,
    show: gr.Button,
    box: gr.Markdown,
    read: Callable[[str | None, Any], Any],
    render: Callable[[Any], str],
    api_name: str,
) -> None:
    """Show the record on the button, on Enter in the number box and when the box loses focus. A wrong
    number is a line in the box (no popup: leaving the field is no mistake)."""

    def preview(value: float | None, request: gr.Request) -> str:
        try:
            return render(read(actor_of(request), value))
        except USER_ERRORS as exc:
            return f"⚠ {inline_text(user_message(exc))}"

    show.click(preview, inputs=number, outputs=box, api_name=api_name, api_visibility="private")
    number.submit(preview, inputs=number, outputs=box, api_visibility="private")
    number.blur(preview, inputs=number, outputs=box, api_visibility="private")
