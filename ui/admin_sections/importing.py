"""Admin: import one dataset file. A successful import refreshes every dataset picker of the app.

The file must lie in Gradio's upload folder (``orchestration.uploads.checked_upload``): the web layer
already refuses other paths, and this handler checks again so a request that reaches it another way
cannot make the import read a file of the server's. While it writes, the page shows a bar of the rows
written (``gr.Progress``, fed by ``AdminDesk.import_dataset``'s ``on_progress``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from orchestration import IMPORT_FORMATS, AdminDesk, ImportRequest
from orchestration.admin import ADMIN, AUTO_FORMAT, CLI_ONLY_IMPORTS, TABLE_FORMATS, UPLOAD_FORMATS
from orchestration.uploads import checked_upload
from ui.errors import actor_of, noted
from ui.render import inline_text


@dataclass(frozen=True)
class ImportSection:
    upload: gr.File
    fmt: gr.Dropdown
    dataset: gr.Textbox
    judge: gr.Textbox
    mapping: gr.Textbox
    model1: gr.Textbox
    model2: gr.Textbox
    annotator: gr.Textbox
    button: gr.Button
    result: gr.Markdown

    @property
    def inputs(self) -> list[Any]:
        return [self.upload, self.fmt, self.dataset, self.judge, self.mapping, self.model1, self.model2, self.annotator]


def import_section() -> ImportSection:
    with gr.Accordion("Import a dataset file", open=True, elem_id="admin-import-section"):
        with gr.Row():
            upload = gr.File(
                label="File", type="filepath", file_types=[".json", ".jsonl", ".csv"], elem_id="admin-import-file"
            )
            with gr.Column():
                fmt = gr.Dropdown(  # a .csv upload must not be read as jsonl because nobody changed this
                    choices=[
                        ("from the file name: .csv is csv, .jsonl is jsonl", AUTO_FORMAT),
                        *[(f"{name}: {IMPORT_FORMATS[name]}", name) for name in UPLOAD_FORMATS],
                    ],
                    value=AUTO_FORMAT,
                    label="Format",
                    elem_id="admin-import-format",
                )
                dataset = gr.Textbox(
                    label="Dataset name (optional; default from the format or the file name)",
                    elem_id="admin-import-dataset",
                )
                judge = gr.Textbox(
                    label="Judge name (judgment/results formats, or a table's verdict column)",
                    elem_id="admin-import-judge",
                )
        with gr.Row():
            mapping = gr.Textbox(
                label=f"Column mapping ({'/'.join(TABLE_FORMATS)} only): FIELD=COLUMN, comma-separated",
                placeholder="instruction=question, response1=a, response2=b, model1=model_a, model2=model_b",
                elem_id="admin-import-mapping",
                scale=3,
            )
            model1 = gr.Textbox(label="Model 1 name (if no column)", elem_id="admin-import-model1", scale=1)
            model2 = gr.Textbox(label="Model 2 name (if no column)", elem_id="admin-import-model2", scale=1)
            annotator = gr.Textbox(label="Annotator name (labels)", elem_id="admin-import-annotator", scale=1)
        gr.Markdown(CLI_ONLY_IMPORTS, elem_id="admin-import-cli-only")  # the options this form has no field for
        button = gr.Button("Import", variant="primary", elem_id="admin-import")
        result = gr.Markdown(elem_id="admin-import-result")
    return ImportSection(upload, fmt, dataset, judge, mapping, model1, model2, annotator, button, result)


def rows_bar(progress: Callable[..., Any]) -> Callable[[int, int], None]:
    """The page's bar (Gradio's ``gr.Progress``) fed by the rows an import writes: the same ``on_progress(done,
    total)`` reports, from inside the import's write transaction, that draw ``judge-studio import``'s bar."""

    def shown(done: int, total: int) -> None:
        progress((done, total), desc="Importing: rows written", unit="rows")

    return shown


def wire_import(section: ImportSection, desk: AdminDesk) -> Any:
    """The import event (the caller refreshes the dataset pickers after it succeeds)."""

    # A mistake is written under the form (and shown as a warning), as the Accounts form does: a long
    # column-mapping hint must stay readable after the toast is gone. (The picker refresh that follows a
    # refused import changes nothing: no dataset was added.)
    @noted(section.result)
    def do_import(
        path: str | None,
        format_name: str,
        dataset_name: str,
        judge_name: str,
        mapping_text: str,
        model1: str,
        model2: str,
        annotator: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio finds the bar by this default)
    ) -> dict[Any, Any]:
        desk.access.require(actor_of(request), ADMIN)  # who asks first, then what they name
        form = ImportRequest(
            path=checked_upload(path, get_upload_folder()),
            fmt=format_name,
            dataset=dataset_name or "",
            judge=judge_name or "",
            mapping=mapping_text or "",
            model1=model1 or "",
            model2=model2 or "",
            annotator=annotator or "",
            uploaded=True,
        )
        summary = desk.import_dataset(actor_of(request), form, on_progress=rows_bar(progress))
        said = "**Nothing new.**" if summary.nothing_new else "**Imported.**"  # the same file again adds nothing
        return {section.result: f"{said} {inline_text(summary.describe())}"}

    return section.button.click(do_import, inputs=section.inputs, outputs=section.result, api_name="admin_import")
