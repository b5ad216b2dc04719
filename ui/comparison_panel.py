"""One comparison shown side by side (header, prompt, the two responses under their model names), as
the Case study (with the dataset's reference answer) and Review pages show it. Every untrusted string
goes through ``ui.render``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from annotation_store import ComparisonView
from ui.formatting import prompt_markdown
from ui.render import code, inline_text, quote_block


def comparison_header(c: ComparisonView) -> str:
    category = f" · {inline_text(c.category)}" if c.category else ""
    return f"Comparison **#{c.id}** · {code(c.prompt_key)}{category} · dataset {code(c.dataset)}"


def response_title(number: int, model: str | None = None) -> str:
    return f"### Response {number}" + (f" · {code(model)}" if model else "")


@dataclass(frozen=True)
class ComparisonPanel:
    """The components; ``prefix`` names them (``{prefix}-header``, ``{prefix}-response-1``, ...)."""

    header: gr.Markdown
    prompt: gr.Markdown
    left_title: gr.Markdown
    left: gr.Markdown
    right_title: gr.Markdown
    right: gr.Markdown
    with_reference: bool = False  # the dataset's reference answer under the instruction (the Case study)

    @property
    def components(self) -> list[gr.Markdown]:
        return [self.header, self.prompt, self.left_title, self.left, self.right_title, self.right]

    def show(self, c: ComparisonView, *, header_extra: str = "") -> dict[Any, Any]:
        return {
            self.header: comparison_header(c) + header_extra,
            self.prompt: prompt_markdown(c, reference=self.with_reference),
            self.left_title: response_title(1, c.model1),
            self.left: quote_block(c.response1),
            self.right_title: response_title(2, c.model2),
            self.right: quote_block(c.response2),
        }

    def clear(self, message: str) -> dict[Any, Any]:
        return {
            self.header: message,
            self.prompt: "",
            self.left_title: response_title(1),
            self.left: "",
            self.right_title: response_title(2),
            self.right: "",
        }


def comparison_panel(prefix: str, *, with_reference: bool = False) -> ComparisonPanel:
    header = gr.Markdown(elem_id=f"{prefix}-header")
    prompt = gr.Markdown(elem_id=f"{prefix}-prompt", elem_classes=["js-prompt"])
    with gr.Row(equal_height=False):
        with gr.Column():
            left_title = gr.Markdown(response_title(1), elem_id=f"{prefix}-response-1-title")
            left = gr.Markdown(elem_id=f"{prefix}-response-1", elem_classes=["js-response"], line_breaks=True)
        with gr.Column():
            right_title = gr.Markdown(response_title(2), elem_id=f"{prefix}-response-2-title")
            right = gr.Markdown(elem_id=f"{prefix}-response-2", elem_classes=["js-response"], line_breaks=True)
    return ComparisonPanel(header, prompt, left_title, left, right_title, right, with_reference)
