"""Admin: export labels, wide tables, preference pairs, judgments or ratings of a dataset as a downloadable file.

Whose labels count (``judge-studio export --labels-from --exclude-annotator --min-labels --uncertain-margin``, REST
``/export``'s query parameters) goes through the same ``orchestration.datasets.ExportPeople``; left empty, every
label counts and the margin is the server's setting, as before. The "labels from" and "leave out" choices are filled
when the dataset changes (admin only: a lower role gets empty lists); both take a typed value too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from orchestration import EXPORT_FORMATS, EXPORT_KINDS, AdminDesk
from orchestration.datasets import KEEP_EMPTY_ELSEWHERE, ExportPeople, OptionWords
from ui.errors import actor_of, guarded, has_role
from ui.pickers import DatasetPickers, shown_choices
from ui.render import code, inline_text

#: "labels from" when left alone: every label (``orchestration.metrics.label_scope_of``).
EVERY_LABEL = ("all", "imported")
#: How the export's note names the options on this page: its boxes (the command line's flags are its own).
ADMIN_WORDS = OptionWords(
    'the "leave out" box',
    'the "at least this many labels" box: {n}',
    "The uncertain margin",
    KEEP_EMPTY_ELSEWHERE,
    labels_from='the "labels from" box',
    min_labels_name='the "at least this many labels" box',
    kinds='"What": {kinds}',
)


@dataclass(frozen=True)
class ExportSection:
    dataset: gr.Dropdown
    kind: gr.Radio
    fmt: gr.Radio
    judges: gr.Checkbox
    source: gr.Textbox
    labels_from: gr.Dropdown
    exclude: gr.Dropdown
    min_labels: gr.Number
    margin: gr.Number
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
        with gr.Row():
            labels_from = gr.Dropdown(
                choices=list(EVERY_LABEL),
                value="all",
                allow_custom_value=True,
                label="labels, wide, dpo: labels from ('all', 'imported' or a session)",
                elem_id="admin-export-labels-from",
            )
            exclude = gr.Dropdown(
                choices=[],
                multiselect=True,
                allow_custom_value=True,
                label="labels, wide, dpo: leave these annotators' labels out",
                elem_id="admin-export-exclude",
            )
        with gr.Row():
            min_labels = gr.Number(
                value=0,
                minimum=0,
                precision=0,
                label="wide, dpo: only comparisons with at least this many labels",
                elem_id="admin-export-min-labels",
            )
            margin = gr.Number(
                value=None,
                label="uncertain margin, 0 to under 1 (empty: the server's setting)",
                elem_id="admin-export-margin",
            )
            button = gr.Button("Export", variant="primary", elem_id="admin-export")
        file = gr.File(label="Download", interactive=False, elem_id="admin-export-file")
        result = gr.Markdown(elem_id="admin-export-result")
    return ExportSection(
        dataset, kind, fmt, judges, source, labels_from, exclude, min_labels, margin, button, file, result
    )


def export_people(
    labels_from: str | None, exclude: list[str] | None, min_labels: float | None, margin: float | None
) -> ExportPeople:
    """The form's filters as ``ExportPeople``; empty boxes are the defaults (every label, the server's margin)."""
    return ExportPeople(
        (labels_from or "").strip() or None,
        tuple(exclude or ()),
        int(min_labels or 0),
        None if margin is None else float(margin),
        ADMIN_WORDS,
    )


def wire_export(section: ExportSection, desk: AdminDesk) -> None:
    def filter_choices(dataset_name: str | None, request: gr.Request) -> dict[Any, Any]:
        """The sessions on the dataset and every account, for an admin; nothing for anyone else."""
        if not has_role(desk, request, "admin"):
            return {section.labels_from: gr.update(choices=list(EVERY_LABEL)), section.exclude: gr.update(choices=[])}
        actor = actor_of(request)
        sessions = [s.name for s in desk.sessions(actor) if s.dataset == dataset_name]
        names = [str(name) for name in desk.access.accounts(actor)["name"]]
        return {
            section.labels_from: gr.update(choices=shown_choices([*EVERY_LABEL, *sessions]), value="all"),
            section.exclude: gr.update(choices=shown_choices(names), value=[]),
        }

    @guarded
    def do_export(
        dataset_name: str | None,
        kind: str,
        format_name: str,
        judges: bool,
        source: str,
        labels_from: str | None,
        exclude: list[str] | None,
        min_labels: float | None,
        margin: float | None,
        request: gr.Request,
    ) -> dict[Any, Any]:
        people = export_people(labels_from, exclude, min_labels, margin)
        path, summary = desk.export_summary(
            actor_of(request),
            dataset_name,
            kind,
            format_name,
            include_judges=bool(judges),
            source=source or "majority",
            people=people,
        )
        rows = summary.rows
        wrote = f"Wrote **{rows}** {'row' if rows == 1 else 'rows'} to {code(path.name)}."
        if summary.note:  # what was left out, as ``judge-studio export`` says it (s18 review finding 4)
            wrote += f" {inline_text(summary.note)}"
        return {section.file: str(path), section.result: wrote}

    section.dataset.change(
        filter_choices,
        inputs=[section.dataset],
        outputs=[section.labels_from, section.exclude],
        api_name="admin_export_filters",
    )
    section.button.click(
        do_export,
        inputs=[
            section.dataset,
            section.kind,
            section.fmt,
            section.judges,
            section.source,
            section.labels_from,
            section.exclude,
            section.min_labels,
            section.margin,
        ],
        outputs=[section.file, section.result],
        api_name="admin_export",
    )
