"""Admin: delete a dataset (a wrong import) with everything that belongs only to it.

Two steps, so that nothing is deleted by one stray click: "Show what it deletes" writes the counts
(``orchestration.dataset_admin.contents_text``), and "Delete" needs the dataset's name typed in the box;
a dataset with an open session also needs the second tick. The picker is one of the app's dataset pickers,
so every picker is refreshed after a delete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from orchestration import Studio
from orchestration.dataset_admin import NO_UNDO, contents_text
from ui.errors import actor_of, noted
from ui.pickers import DatasetPickers
from ui.render import inline_text


@dataclass(frozen=True)
class RemovalSection:
    dataset: gr.Dropdown
    show: gr.Button
    typed: gr.Textbox
    force: gr.Checkbox
    button: gr.Button
    result: gr.Markdown


def removal_section(pickers: DatasetPickers) -> RemovalSection:
    with gr.Accordion("Delete a dataset", open=False, elem_id="admin-delete-section"):
        gr.Markdown(
            "Deletes the dataset with its comparisons, responses, labels, ratings, judge verdicts, gold marks, "
            f"adjudications and sessions. Accounts stay. {NO_UNDO}"
        )
        with gr.Row():
            dataset = pickers.add("admin-delete-dataset", label="Dataset to delete", role="admin")
            show = gr.Button("Show what it deletes", elem_id="admin-delete-show")
        with gr.Row():
            typed = gr.Textbox(label="Type the dataset name to confirm", elem_id="admin-delete-typed")
            force = gr.Checkbox(
                label="Delete even while a session on it is open (people may be answering it now)",
                value=False,
                elem_id="admin-delete-force",
            )
        button = gr.Button("Delete dataset", variant="stop", elem_id="admin-delete")
        result = gr.Markdown(elem_id="admin-delete-result")
    return RemovalSection(dataset, show, typed, force, button, result)


def wire_removal(section: RemovalSection, studio: Studio) -> Any:
    """The two events; returns the delete event (the caller refreshes the dataset pickers after it)."""
    desk = studio.datasets

    @noted(section.result)
    def show(name: str | None, request: gr.Request) -> dict[Any, Any]:
        contents = desk.contents(actor_of(request), name or "")
        said = f"Deleting {inline_text(repr(contents.name))} deletes {inline_text(contents_text(contents))}."
        if contents.open_sessions:
            said += " **It has open sessions**: tick the box to delete it anyway."
        return {section.result: f"{said} {NO_UNDO} Type its name to confirm."}

    @noted(section.result)
    def delete(name: str | None, typed: str | None, force: bool, request: gr.Request) -> dict[Any, Any]:
        deleted = desk.delete(actor_of(request), name or "", force=bool(force), typed=typed or "")
        said = f"**Deleted** {inline_text(repr(deleted.name))}: {inline_text(contents_text(deleted))}."
        return {section.result: said, section.typed: "", section.force: False}

    section.show.click(show, inputs=[section.dataset], outputs=[section.result], api_name="admin_dataset_contents")
    return section.button.click(
        delete,
        inputs=[section.dataset, section.typed, section.force],
        outputs=[section.result, section.typed, section.force],
        api_name="admin_delete_dataset",
    )
