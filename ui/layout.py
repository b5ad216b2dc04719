"""The Gradio interface: the pages put together. Each page lives in its own module.

Handlers only lay out what ``orchestration`` returns, as ``{component: value}`` updates; errors the
user can fix are turned into messages in one place, ``ui.errors``. Untrusted text goes through
``ui.render`` into ``gr.Markdown`` (sanitizing on) or into read-only text boxes, never into ``gr.HTML``.
Every dataset picker is one of ``ui.pickers.DatasetPickers``: refreshed on page load, when a tab is
opened and after an import, so new datasets appear without a restart.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import gradio as gr

from orchestration import Studio
from orchestration.downloads import KEEP_SECONDS
from ui.admin import admin_tab
from ui.annotate import annotate_tab
from ui.case_study import case_study_tab
from ui.dashboard import dashboard_tab
from ui.errors import USER_ERRORS, actor_of, guard_all
from ui.grading import grading_tab
from ui.pickers import DatasetPickers
from ui.render import code, inline_text
from ui.report_card import report_card_tab
from ui.review import review_tab

STATIC = Path(__file__).resolve().parent.parent / "static"
TITLE = "# Judge Studio\nJudge LLM responses with a local judge model, and check the judge against people."
# A fixed link, no user text: Gradio's Markdown opens every link in a new tab (target=_blank), so "Log out"
# logged out a second tab and left this one looking signed in (s11 a11y finding 2).
LOG_OUT = '<a href="/logout" id="logout-link" class="js-logout">Log out</a>'


#: The tabs a role below the one named cannot open, by their ``elem_id``: ``for_role`` hides them, and
#: ``web/role_markup.py`` blanks their components' words in the page a lower role is sent (s16).
TAB_ROLES = {
    "tab-case": "reviewer",
    "tab-dashboard": "reviewer",
    "tab-review": "reviewer",
    "tab-report-card": "reviewer",
    "tab-admin": "admin",
}


def draft_owner(name: str) -> str:
    """The signed-in account as ``static/drafts.js`` keys its drafts: an opaque value of the exact account name
    (names are unique as stored; ``rita  x`` and ``rita x`` are two accounts that display alike, s13 redteam
    finding 2), hex digits only, so it is safe in an attribute. Not a secret and grants nothing: sessionStorage
    is the tab's own; it only keeps one account's drafts from being put back for another."""
    return hashlib.sha256(f"judge-studio-draft\0{name}".encode()).hexdigest()[:20]


def log_out_link(name: str) -> str:
    """``LOG_OUT`` carrying ``draft_owner(name)`` as ``data-account`` (drafts.js reads it, and clears the drafts
    when the link is pressed)."""
    return LOG_OUT.replace(' class="js-logout"', f' class="js-logout" data-account="{draft_owner(name)}"')


def build_ui(studio: Studio) -> gr.Blocks:
    """The pages, shown by role: everyone annotates; reviewers also see the case study, the dashboard,
    the review queue and the judge report card; admins also the admin page. Hiding a tab is only for
    clarity: every handler checks the role on the server."""
    pickers = DatasetPickers(studio)
    # Gradio's copies of the files handed out (exports, activity CSVs) and of uploads go after KEEP_SECONDS, checked
    # every 10 minutes, as ``orchestration.downloads`` removes its own (review18 11).
    with gr.Blocks(title="Judge Studio", delete_cache=(600, KEEP_SECONDS)) as demo:
        with gr.Row():
            gr.Markdown(TITLE, elem_id="app-title")
            with gr.Column(elem_classes=["js-whoami-box"]):
                whoami = gr.Markdown(elem_id="whoami", elem_classes=["js-whoami"])
                log_out = gr.HTML(
                    LOG_OUT, elem_id="whoami-logout", elem_classes=["js-whoami"], visible=False, js_on_load=None
                )
        with gr.Tabs():
            with gr.Tab("Annotate", id="annotate", elem_id="tab-annotate"):
                annotate_tab(studio, demo)
            with gr.Tab("Grade", id="grade", elem_id="tab-grade"):
                grading_tab(studio, demo)
            with gr.Tab("Case study", id="case", elem_id="tab-case", visible=False) as case_tab:
                case_study_tab(studio, demo, pickers)
            with gr.Tab("Dashboard", id="dashboard", elem_id="tab-dashboard", visible=False) as dash_tab:
                dashboard_tab(studio, demo, pickers, dash_tab)
            with gr.Tab("Review", id="review", elem_id="tab-review", visible=False) as review_page:
                review_tab(studio, demo, pickers)
            with gr.Tab("Report card", id="report-card", elem_id="tab-report-card", visible=False) as card_page:
                report_card_tab(studio, demo)
            with gr.Tab("Admin", id="admin", elem_id="tab-admin", visible=False) as admin_page:
                admin_tab(studio, demo, pickers, admin_page)
        pages = [case_tab, dash_tab, review_page, card_page, admin_page]
        pickers.wire(demo, pages)

        def for_role(request: gr.Request) -> dict[Any, Any]:
            try:
                user = studio.access.user(actor_of(request))
            except USER_ERRORS:
                hidden = {tab: gr.Tab(visible=False) for tab in pages}
                return {whoami: "_Not signed in._", log_out: gr.HTML(visible=False), **hidden}
            return {
                whoami: f"Signed in as **{inline_text(user.name)}** ({code(user.role)})",
                log_out: gr.HTML(log_out_link(user.name), visible=True),
                **{tab: gr.Tab(visible=user.can(TAB_ROLES[str(tab.elem_id)])) for tab in pages},
            }

        demo.load(for_role, outputs=[whoami, log_out, *pages], api_visibility="private")
    guard_all(demo)  # a bug in any handler: logged, and a generic message instead of its internals
    return demo


HEAD_SCRIPTS = (
    "shortcuts.js",
    "signed_out.js",
    "unreachable.js",
    "empty_numbers.js",
    "show_feedback.js",
    "drafts.js",
    "a11y.js",
)


def head_html() -> str:
    """The page's own scripts: keyboard shortcuts (ignored while typing in a text field), the
    signed-out notice (a 401 from Gradio's API: "You are signed out", then the login page), a request of Gradio's
    that could not reach the server (unreachable.js: drafts.js then says the answer was not saved and keeps it), empty
    number boxes, the scroll to the feedback line after a submit (a phone stayed at the bottom), the draft of the
    answer being written (sessionStorage: a reload kept neither the choice nor the comment), and
    what Gradio's widgets lack for keyboards and screen readers (radio groups, live feedback); and the
    few style rules that Gradio's scoping of ``css_paths`` would not let reach the page's box (page.css)."""
    style = f"<style>{(STATIC / 'page.css').read_text(encoding='utf-8')}</style>"
    return style + "".join(f"<script>{(STATIC / name).read_text(encoding='utf-8')}</script>" for name in HEAD_SCRIPTS)


def css_paths() -> list[Path]:
    return [STATIC / "judge_studio.css"]
