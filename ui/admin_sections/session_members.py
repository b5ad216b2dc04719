"""Admin: who may work in a session (``judge-studio sessions members``) and the labels each person gave in one
(``judge-studio sessions activity``), for paying crowd annotators.

Everything goes through ``orchestration.session_admin`` with the signed-in account, which checks the admin role
first; the messages are the CLI's. Session and account names are untrusted text: they reach the page through
``ui.render.inline_text``, ``shown_choices`` labels and ``plain_table`` cells only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from errors import InvalidInput
from orchestration import AdminDesk, Studio
from orchestration.activity import GROUPINGS, Activity, activity_csv, activity_headline, day_of, records
from orchestration.downloads import download_path
from orchestration.session_admin import change_members, members_view, session_activity
from ui.errors import actor_of, guarded, noted
from ui.pickers import shown_choices
from ui.render import inline_text
from ui.tables import plain_table

CHOOSE_SESSION = "Choose a session."
NOTHING_PICKED = "Pick accounts to add or members to remove, then click Save members."
#: The activity table's headings, by ``orchestration.activity.COLUMNS`` key.
ACTIVITY_HEADERS = {
    "annotator": "annotator",
    "day": "day (UTC)",
    "labels": "labels",
    "skipped": "skipped",
    "set_aside": "set aside",
    "gold_checks": "gold checks",
    "gold_right": "gold right",
    "gold_accuracy": "gold accuracy",
    "first_label_at": "first label (UTC)",
    "last_label_at": "last label (UTC)",
    "ratings": "ratings",
    "first_rating_at": "first rating (UTC)",
    "last_rating_at": "last rating (UTC)",
}


@dataclass(frozen=True)
class MembersSection:
    session: gr.Dropdown
    listed: gr.Markdown
    add: gr.Dropdown
    remove: gr.Dropdown
    save: gr.Button
    result: gr.Markdown


@dataclass(frozen=True)
class ActivitySection:
    session: gr.Dropdown
    by: gr.Radio
    since: gr.Textbox
    until: gr.Textbox
    show: gr.Button
    said: gr.Markdown
    table: gr.Dataframe
    file: gr.File


def members_section() -> MembersSection:
    with gr.Accordion("Who may work in a session", open=False, elem_id="admin-members-section"):
        gr.Markdown(
            "A session with no members is open to every annotator; once it has members, only they (and reviewers "
            "and admins) see it, its guidelines and its items. Removing the last member opens it to everyone again."
        )
        session = gr.Dropdown(label="Session", choices=[], elem_id="admin-members-session")
        listed = gr.Markdown(elem_id="admin-members-listed")
        with gr.Row():
            add = gr.Dropdown(
                label="Accounts to add (active annotators)", choices=[], multiselect=True, elem_id="admin-members-add"
            )
            remove = gr.Dropdown(
                label="Members to remove", choices=[], multiselect=True, elem_id="admin-members-remove"
            )
        save = gr.Button("Save members", variant="primary", elem_id="admin-members-save")
        result = gr.Markdown(elem_id="admin-members-result")
    return MembersSection(session, listed, add, remove, save, result)


def activity_section() -> ActivitySection:
    with gr.Accordion("Activity: labels per person and day", open=False, elem_id="admin-activity-section"):
        gr.Markdown(
            "Labels given in one session: answers that count, skips, answers of accounts set aside, gold checks "
            "answered right, first and last label (UTC), as `judge-studio sessions activity` prints them; a grading "
            "session's ratings the same way (no gold checks)."
        )
        with gr.Row():
            session = gr.Dropdown(label="Session", choices=[], elem_id="admin-activity-session")
            by = gr.Radio(choices=list(GROUPINGS), value="person", label="One row per", elem_id="admin-activity-by")
            since = gr.Textbox(label="From (YYYY-MM-DD, UTC)", elem_id="admin-activity-since")
            until = gr.Textbox(label="To (YYYY-MM-DD, UTC)", elem_id="admin-activity-until")
        show = gr.Button("Show activity", variant="primary", elem_id="admin-activity-show")
        said = gr.Markdown(elem_id="admin-activity-said")
        table = plain_table(label="Labels", interactive=False, elem_id="admin-activity-table")
        file = gr.File(label="Download (CSV)", interactive=False, elem_id="admin-activity-file")
    return ActivitySection(session, by, since, until, show, said, table, file)


def _members_update(studio: Studio, actor: str | None, session: str) -> dict[str, Any]:
    """What the page shows of one session: the line saying who it is open to, and the two pickers."""
    view = members_view(studio.access, actor, session)
    return {
        "listed": inline_text(view.said),
        "add": gr.Dropdown(choices=shown_choices(view.addable), value=[], multiselect=True),
        "remove": gr.Dropdown(choices=shown_choices(view.members), value=[], multiselect=True),
    }


def wire_members(s: MembersSection, studio: Studio) -> None:
    """The section's events: picking a session lists its members; Save members adds and removes."""

    def by_component(update: dict[str, Any]) -> dict[Any, Any]:
        return {getattr(s, key): value for key, value in update.items()}

    @noted(s.listed)
    def show(session: str | None, request: gr.Request) -> dict[Any, Any]:
        if not session:
            return {s.listed: CHOOSE_SESSION}
        return by_component(_members_update(studio, actor_of(request), session))

    @noted(s.result)
    def save(session: str | None, add: list[str] | None, remove: list[str] | None, request: gr.Request) -> dict:
        if not session:
            raise InvalidInput(CHOOSE_SESSION)
        if not add and not remove:
            raise InvalidInput(NOTHING_PICKED)
        _changed, lines = change_members(studio.access, actor_of(request), session, add or [], remove or [])
        shown = by_component(_members_update(studio, actor_of(request), session))
        return {**shown, s.result: "  \n".join(inline_text(line) for line in lines)}

    s.session.change(show, inputs=s.session, outputs=[s.listed, s.add, s.remove], api_name="admin_session_members")
    s.save.click(
        save,
        inputs=[s.session, s.add, s.remove],
        outputs=[s.listed, s.add, s.remove, s.result],
        api_name="admin_change_session_members",
    )


def activity_frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    """``orchestration.activity.records`` as the page's table ("–": no gold check taken)."""
    shown = [[("–" if row[c] is None else row[c]) for c in columns] for row in rows]
    return pd.DataFrame(shown, columns=[ACTIVITY_HEADERS[c] for c in columns])


def activity_download(found: Activity) -> str:
    """``activity_csv``'s text (the command line's CSV: names a spreadsheet would run as formulas made text)."""
    return activity_csv(found)


def _csv_file(session: str, text: str) -> str:
    """The CSV as a download (``orchestration.downloads``: older ones are removed), named for the session."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in session)[:80] or "session"
    path = download_path(f"{safe}-activity.csv")
    path.write_text(text, encoding="utf-8")
    return str(path)


def wire_activity(s: ActivitySection, studio: Studio) -> None:
    """Show activity: the table, a line saying what it counts (and the total) and the CSV to download."""

    @guarded
    def show(session: str | None, by: str, since: str, until: str, request: gr.Request) -> dict[Any, Any]:
        if not session:
            raise InvalidInput(CHOOSE_SESSION)
        first = day_of(since, "From") if since and since.strip() else None
        last = day_of(until, "To") if until and until.strip() else None
        found = session_activity(studio.access, actor_of(request), session, by=by or "person", since=first, until=last)
        frame = activity_frame(records(found), found.columns)
        said = activity_headline(found)  # the command line's title and total line, one wording
        if not found.rows:
            return {s.said: inline_text(said), s.table: frame, s.file: None}
        return {s.said: inline_text(said), s.table: frame, s.file: _csv_file(session, activity_download(found))}

    s.show.click(
        show,
        inputs=[s.session, s.by, s.since, s.until],
        outputs=[s.said, s.table, s.file],
        api_name="admin_session_activity",
    )


def session_choices(
    studio: Studio,
    request: gr.Request | None,
    *sections: MembersSection | ActivitySection,
    current: Sequence[str | None] = (),
) -> dict[Any, Any]:
    """The update of the sections' session pickers (every session, open or closed, either kind): on page load, and
    when the Admin tab is opened or a session was saved or a dataset imported or removed there (s18: a session made
    meanwhile, here or by ``judge-studio sessions create``, needed a reload). ``current``: the pickers' values, in
    the order of ``sections``; one naming a session that is gone (its dataset removed) is cleared."""
    names = [x.name for x in AdminDesk(studio).sessions(actor_of(request))]
    updates = {section.session: gr.Dropdown(choices=shown_choices(names)) for section in sections}
    for section, value in zip(sections, current, strict=False):
        if value and value not in names:
            updates[section.session] = gr.Dropdown(choices=shown_choices(names), value=None)
    return updates
