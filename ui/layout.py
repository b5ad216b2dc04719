"""The Gradio interface: the pages put together. Each page lives in its own module.

Handlers only lay out what ``orchestration.Studio`` returns; errors the user can fix arrive as
``UserError`` and are shown with ``gr.Error``. Untrusted text goes through ``safe_markdown`` into
``gr.Markdown`` (sanitizing on) or into read-only text boxes, never into ``gr.HTML``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from orchestration import Studio, UserError
from ui.admin import admin_tab
from ui.annotate import annotate_tab
from ui.case_study import case_study_tab
from ui.dashboard import dashboard_tab
from ui.grading import grading_tab
from ui.render import safe_markdown
from ui.review import review_tab

STATIC = Path(__file__).resolve().parent.parent / "static"


def build_ui(studio: Studio) -> gr.Blocks:
    """The pages, shown by role: everyone annotates; reviewers also see the case study, the dashboard
    and the review queue; admins also the admin page. Hiding a tab is only for clarity: every handler
    checks the role on the server."""
    datasets = studio.dataset_names()
    default = studio.default_dataset()

    def dataset_picker(elem_id: str) -> gr.Dropdown:
        return gr.Dropdown(choices=datasets, value=default, label="Dataset", elem_id=elem_id, scale=1)

    with gr.Blocks(title="Judge Studio") as demo:
        with gr.Row():
            gr.Markdown(
                "# Judge Studio\nJudge LLM responses with a local judge model, and check the judge against people.",
                elem_id="app-title",
            )
            whoami = gr.Markdown(elem_id="whoami", elem_classes=["js-whoami"])
        with gr.Tabs():
            with gr.Tab("Annotate", id="annotate", elem_id="tab-annotate"):
                annotate_tab(studio, demo)
            with gr.Tab("Grade", id="grade", elem_id="tab-grade"):
                grading_tab(studio, demo)
            with gr.Tab("Case study", id="case", elem_id="tab-case", visible=False) as case_tab:
                case_study_tab(studio, demo, dataset_picker("case-dataset"), default)
            with gr.Tab("Dashboard", id="dashboard", elem_id="tab-dashboard", visible=False) as dash_tab:
                dashboard_tab(studio, demo, dataset_picker)
            with gr.Tab("Review", id="review", elem_id="tab-review", visible=False) as review_page:
                review_tab(studio, demo)
            with gr.Tab("Admin", id="admin", elem_id="tab-admin", visible=False) as admin_page:
                admin_tab(studio, demo)

        def for_role(request: gr.Request) -> tuple[Any, ...]:
            name = getattr(request, "username", None) if request is not None else None
            try:
                user = studio.access.user(name)
            except UserError:
                return ("_Not signed in._", *(gr.Tab(visible=False) for _ in range(4)))
            reviewer, admin = user.can("reviewer"), user.can("admin")
            return (
                f"Signed in as **{safe_markdown(user.name)}** ({user.role}) · [Log out](/logout)",
                gr.Tab(visible=reviewer),
                gr.Tab(visible=reviewer),
                gr.Tab(visible=reviewer),
                gr.Tab(visible=admin),
            )

        demo.load(
            for_role,
            outputs=[whoami, case_tab, dash_tab, review_page, admin_page],
            api_visibility="private",
        )
    return demo


def head_html() -> str:
    """Keyboard shortcuts for the Annotate tab (ignored while typing in a text field)."""
    return f"<script>{(STATIC / 'shortcuts.js').read_text(encoding='utf-8')}</script>"


def css_paths() -> list[Path]:
    return [STATIC / "judge_studio.css"]
