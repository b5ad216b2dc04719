"""Admin: export labels, wide tables, preference pairs, judgments or ratings of a dataset as a downloadable file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from orchestration import EXPORT_FORMATS, EXPORT_KINDS, AdminDesk
from ui.errors import actor_of, guarded
from ui.pickers import DatasetPickers
from ui.render import code


@dataclass(frozen=True)
class ExportSection:
    dataset: gr.Dropdown
    kind: gr.Radio
    fmt: gr.Radio
    judges: gr.Checkbox
    source: gr.Textbox
    button: gr.Button
    file: gr.File
    result: gr.Markdown


def export_section(pickers: DatasetPickers) -> ExportSection:
    with gr.Accordion("Export a dataset", open=False, elem_id="admin-export-section"):
        with gr.Row():
            dataset = pickers.add("admin-export-dataset", allow_custom_value=True, role="admin")
            kind = gr.Radio(choices=list(EXPORT_KINDS), value="labels", label="What", elem_id="admin-export-kind")
            fmt = gr.Radio(choices=list(EXPORT_FORMATS), value="csv", label="Format", elem_id="admin-export-format")
        with gr.Row():
            judges = gr.Checkbox(
                label="labels, ratings: add the judge's verdicts or scores as rows", elem_id="admin-export-judges"
            )
            source = gr.Textbox(
                value="majority", label="dpo: source ('majority' or a judge run id)", elem_id="admin-export-source"
            )
            button = gr.Button("Export", variant="primary", elem_id="admin-export")
        file = gr.File(label="Download", interactive=False, elem_id="admin-export-file")
        result = gr.Markdown(elem_id="admin-export-result")
    return ExportSection(dataset, kind, fmt, judges, source, button, file, result)


def wire_export(section: ExportSection, desk: AdminDesk) -> None:
    @guarded
    def do_export(
        dataset_name: str | None, kind: str, format_name: str, judges: bool, source: str, request: gr.Request
    ) -> dict[Any, Any]:
        path, rows = desk.export(
            actor_of(request), dataset_name, kind, format_name, include_judges=bool(judges), source=source or "majority"
        )
        wrote = f"Wrote **{rows}** {'row' if rows == 1 else 'rows'} to {code(path.name)}."
        return {section.file: str(path), section.result: wrote}

    section.button.click(
        do_export,
        inputs=[section.dataset, section.kind, section.fmt, section.judges, section.source],
        outputs=[section.file, section.result],
        api_name="admin_export",
    )
