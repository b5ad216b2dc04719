"""The Admin page: import a dataset file, judge a dataset with a visible progress bar, run the judge
checkup, export labels, manage accounts and invite links, annotation sessions and gold comparisons.

Every handler passes the logged-in account (``request.username``) to ``orchestration.AdminDesk``,
which checks the admin role on the server before anything is read or written (a hidden tab's
endpoints can still be called over HTTP). Names from imported files are shown in ``gr.Dataframe``
cells or through ``ui.render``, never in ``gr.HTML``. Each section lives in ``ui.admin_sections``.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from orchestration import AdminDesk, Studio
from ui.admin_sections.accounts import accounts_section, invite_link, wire_accounts
from ui.admin_sections.checkup import checkup_section, wire_checkup
from ui.admin_sections.dataset_removal import removal_section, wire_removal
from ui.admin_sections.exporting import export_section, wire_export
from ui.admin_sections.importing import import_section, wire_import
from ui.admin_sections.invites import INVITE_HEADERS
from ui.admin_sections.judge_runs import runs_section, wire_runs
from ui.admin_sections.judging import judge_section, wire_judge
from ui.admin_sections.prompts import prompts_section, wire_prompts
from ui.admin_sections.session_events import refresh_after as refresh_sessions_after
from ui.admin_sections.session_events import wire_sessions
from ui.admin_sections.session_members import (
    activity_section,
    members_section,
    session_choices,
    wire_activity,
    wire_members,
)
from ui.admin_sections.sessions import SESSION_HEADERS, sessions_frame, sessions_section
from ui.admin_sections.tokens import TOKEN_HEADERS
from ui.errors import has_role
from ui.pickers import DatasetPickers

__all__ = ["SESSION_HEADERS", "admin_tab", "invite_link", "sessions_frame"]

ROLE_NOTE = "_This page is for admins._"


def admin_tab(
    studio: Studio, demo: gr.Blocks | None = None, pickers: DatasetPickers | None = None, tab: gr.Tab | None = None
) -> None:
    """The Admin page. ``demo``: when given, the account and session tables load with the page.
    ``pickers``: the app's dataset pickers (refreshed after an import here). ``tab``: when given, opening it reads
    the sessions table and the session pickers again (a session made meanwhile, e.g. by the CLI, is listed)."""
    pickers = pickers or DatasetPickers(studio)
    desk = AdminDesk(studio)
    gr.Markdown(
        "Administration: datasets, judge runs, the judge checkup, exports, accounts and annotation sessions. "
        "For admins only."
    )
    notice = gr.Markdown(elem_id="admin-notice")
    importing = import_section()
    removal = removal_section(pickers)
    runs = runs_section(pickers)  # a dataset's judge runs (``judge-studio datasets runs|delete-run|merge-runs``)
    judging = judge_section(pickers)
    checkup = checkup_section()
    prompts = prompts_section()
    exporting = export_section(pickers)
    accounts = accounts_section()
    sessions = sessions_section(pickers)
    members = members_section()  # who may work in a session (``judge-studio sessions members``)
    activity = activity_section()  # labels per person and day (``judge-studio sessions activity``)

    imported = wire_import(importing, desk)
    pickers.refresh_after(imported)
    removed = wire_removal(removal, studio)
    pickers.refresh_after(removed)
    wire_runs(runs, studio)
    wire_judge(judging, desk)
    wire_checkup(checkup, desk)
    wire_prompts(prompts, studio.prompts, studio, demo)
    wire_export(exporting, desk)
    accounts_table, invites_view = wire_accounts(accounts, desk)
    sessions_loader, saved = wire_sessions(sessions, desk)
    wire_members(members, studio)
    wire_activity(activity, studio)
    # the sessions table (an import's items counted at once) and every session picker, read again after an import,
    # a saved session, a removed dataset (its sessions go) and whenever the tab is opened (s18)
    triggers = [imported.success, saved.success, removed.success, *([tab.select] if tab is not None else [])]
    refresh_sessions_after(triggers, sessions, desk, members, activity)

    def on_page_load(dataset_name: str | None, request: gr.Request) -> dict[Any, Any]:
        """Fill the tables for an admin; anyone else gets a note instead of an error popup."""
        if not has_role(studio, request, "admin"):
            empty = pd.DataFrame()
            return {
                notice: ROLE_NOTE,
                accounts.table: empty,
                accounts.invites.table: pd.DataFrame(columns=list(INVITE_HEADERS)),
                accounts.tokens.table: pd.DataFrame(columns=list(TOKEN_HEADERS)),
                sessions.table: pd.DataFrame(columns=SESSION_HEADERS),
            }
        return {
            notice: "",
            accounts.table: accounts_table(request),
            **invites_view(request),
            **sessions_loader(dataset_name, request),
            **session_choices(studio, request, members, activity),
        }

    if demo is not None:
        demo.load(
            on_page_load,
            inputs=sessions.form.dataset,
            outputs=[
                notice,
                accounts.table,
                accounts.invites.table,
                accounts.invites.pick,
                accounts.tokens.table,
                accounts.tokens.pick,
                sessions.table,
                sessions.pick,
                sessions.gold["table"],
                sessions.gold_ratings["table"],
                members.session,
                activity.session,
            ],
            api_visibility="private",
            concurrency_limit=None,
        )
