"""The Gradio interface: the pages put together. Each page lives in its own module.

Handlers only lay out what ``orchestration.Studio`` returns; errors the user can fix arrive as
``UserError`` and are shown with ``gr.Error``. Untrusted text goes through ``safe_markdown`` into
``gr.Markdown`` (sanitizing on) or into read-only text boxes, never into ``gr.HTML``.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from orchestration import Studio
from ui.annotate import annotate_tab
from ui.case_study import case_study_tab
from ui.dashboard import dashboard_tab

STATIC = Path(__file__).resolve().parent.parent / "static"


def build_ui(studio: Studio) -> gr.Blocks:
    datasets = studio.dataset_names()
    default = studio.default_dataset()

    def dataset_picker(elem_id: str) -> gr.Dropdown:
        return gr.Dropdown(choices=datasets, value=default, label="Dataset", elem_id=elem_id, scale=1)

    with gr.Blocks(title="Judge Studio") as demo:
        gr.Markdown("# Judge Studio\nJudge LLM responses with a local judge model, and check the judge against people.")
        with gr.Tabs():
            with gr.Tab("Case study", id="case", elem_id="tab-case"):
                case_study_tab(studio, demo, dataset_picker("case-dataset"), default)
            with gr.Tab("Annotate", id="annotate", elem_id="tab-annotate"):
                annotate_tab(studio, dataset_picker)
            with gr.Tab("Dashboard", id="dashboard", elem_id="tab-dashboard"):
                dashboard_tab(studio, demo, dataset_picker)
    return demo


def head_html() -> str:
    """Keyboard shortcuts for the Annotate tab (ignored while typing in a text field)."""
    return f"<script>{(STATIC / 'shortcuts.js').read_text(encoding='utf-8')}</script>"


def css_paths() -> list[Path]:
    return [STATIC / "judge_studio.css"]
