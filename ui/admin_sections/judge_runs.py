"""Admin: a dataset's judge runs (``judge-studio datasets runs|delete-run|merge-runs``): list them, delete one (a
try-out run) and merge two imported runs of one judge.

Everything goes through ``Studio.datasets`` (``orchestration.dataset_admin.DatasetAdmin``) with the signed-in account,
which checks the admin role first; the messages are the CLI's (``run_delete_notice``, ``run_deleted_text``,
``merged_text``). Deleting takes two steps, as the CLI asks: "Show what it deletes" says what goes, and "Delete run"
needs the run id typed again in the box. Names from imported files (the dataset, the judge) reach the page through
``ui.render.inline_text`` and ``plain_table`` cells only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from errors import InvalidInput
from orchestration import Studio
from orchestration.dataset_admin import DatasetRun, merged_text, run_delete_notice, run_deleted_text
from ui.errors import actor_of, noted
from ui.pickers import DatasetPickers
from ui.render import inline_text
from ui.tables import plain_table

#: The runs table's headings, as ``judge-studio datasets runs`` prints them (plus what it says under the table).
RUN_HEADERS = ["run", "judge", "profile", "verdicts", "ratings", "on other datasets", "created (UTC)", "from", "files"]
CHOOSE_DATASET = "Choose a dataset."


@dataclass(frozen=True)
class RunsSection:
    dataset: gr.Dropdown
    show: gr.Button
    said: gr.Markdown
    table: gr.Dataframe
    run: gr.Number
    preview: gr.Button
    typed: gr.Textbox
    delete: gr.Button
    into: gr.Number
    from_run: gr.Number
    merge: gr.Button
    result: gr.Markdown


def runs_section(pickers: DatasetPickers) -> RunsSection:
    with gr.Accordion("Judge runs", open=False, elem_id="admin-runs-section"):
        gr.Markdown(
            "A dataset's judge runs: delete a try-out run's verdicts without the dataset (people's labels and "
            "ratings and the other runs stay), or merge two imported runs of one judge."
        )
        with gr.Row():
            dataset = pickers.add("admin-runs-dataset", role="admin")
            show = gr.Button("Show judge runs", elem_id="admin-runs-show")
        said = gr.Markdown(elem_id="admin-runs-said")
        table = plain_table(headers=RUN_HEADERS, interactive=False, elem_id="admin-runs-table")
        with gr.Row():
            run = gr.Number(label="Run to delete (its id)", precision=0, elem_id="admin-runs-run")
            preview = gr.Button("Show what it deletes", elem_id="admin-runs-preview")
            typed = gr.Textbox(label="Type the run id to confirm", elem_id="admin-runs-typed")
            delete = gr.Button("Delete run", variant="stop", elem_id="admin-runs-delete")
        with gr.Row():
            into = gr.Number(label="Merge into run (keeps the verdicts)", precision=0, elem_id="admin-runs-into")
            from_run = gr.Number(label="Run merged in (then deleted)", precision=0, elem_id="admin-runs-from")
            merge = gr.Button("Merge runs", elem_id="admin-runs-merge")
        result = gr.Markdown(elem_id="admin-runs-result")
    return RunsSection(dataset, show, said, table, run, preview, typed, delete, into, from_run, merge, result)


def runs_frame(runs: list[DatasetRun]) -> pd.DataFrame:
    rows = [
        [
            r.run_id,
            r.model,
            r.profile,
            r.verdicts,
            r.ratings,
            r.elsewhere,
            f"{r.created_at:%Y-%m-%d %H:%M}",
            "import" if r.imported else "judge",
            r.files,
        ]
        for r in runs
    ]
    return pd.DataFrame(rows, columns=RUN_HEADERS)


def _dataset(name: str | None) -> str:
    if not name:
        raise InvalidInput(CHOOSE_DATASET)
    return name


def _run_id(value: float | None, what: str) -> int:
    if value is None:
        raise InvalidInput(f"Give {what}: an id from the table (Show judge runs).")
    return int(value)


def wire_runs(section: RunsSection, studio: Studio) -> None:
    desk = studio.datasets

    def listed(actor: str | None, name: str) -> dict[Any, Any]:
        runs = desk.runs(actor, name)
        said = f"Judge runs on the dataset {name!r}, oldest first."
        if not runs:
            said = f"The dataset {name!r} has no judge runs."
        return {section.said: inline_text(said), section.table: runs_frame(runs)}

    @noted(section.said)
    def show(name: str | None, request: gr.Request) -> dict[Any, Any]:
        return listed(actor_of(request), _dataset(name))

    @noted(section.result)
    def preview(name: str | None, run_id: float | None, request: gr.Request) -> dict[Any, Any]:
        dataset = _dataset(name)
        notice = run_delete_notice(dataset, desk.run(actor_of(request), dataset, _run_id(run_id, "the run to delete")))
        return {section.result: f"{inline_text(notice)} Type the run id to confirm."}

    @noted(section.result)
    def delete(name: str | None, run_id: float | None, typed: str | None, request: gr.Request) -> dict[Any, Any]:
        actor, dataset = actor_of(request), _dataset(name)
        wanted = _run_id(run_id, "the run to delete")
        desk.run(actor, dataset, wanted)  # the role, the dataset and the run are checked before the typed id
        if (typed or "").strip() != str(wanted):
            raise InvalidInput(f"Type the run id ({wanted}) exactly to confirm; nothing was deleted.")
        deleted, gone = desk.delete_run(actor, dataset, wanted)
        shown = listed(actor, dataset)
        said = f"**Deleted.** {inline_text(run_deleted_text(dataset, deleted, gone))}"
        return {section.result: said, section.table: shown[section.table], section.typed: ""}

    @noted(section.result)
    def merge(name: str | None, into: float | None, from_run: float | None, request: gr.Request) -> dict[Any, Any]:
        actor, dataset = actor_of(request), _dataset(name)
        target, source = _run_id(into, "the run to merge into"), _run_id(from_run, "the run merged in")
        merged = desk.merge_runs(actor, dataset, target, source)
        return {section.result: inline_text(merged_text(merged)), section.table: listed(actor, dataset)[section.table]}

    section.show.click(show, inputs=[section.dataset], outputs=[section.said, section.table], api_name="admin_runs")
    section.preview.click(
        preview, inputs=[section.dataset, section.run], outputs=[section.result], api_name="admin_run_contents"
    )
    section.delete.click(
        delete,
        inputs=[section.dataset, section.run, section.typed],
        outputs=[section.result, section.table, section.typed],
        api_name="admin_delete_run",
    )
    section.merge.click(
        merge,
        inputs=[section.dataset, section.into, section.from_run],
        outputs=[section.result, section.table],
        api_name="admin_merge_runs",
    )
