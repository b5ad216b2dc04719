"""Admin: the handlers of the sessions and gold section (layout in ``sessions``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

import gradio as gr

from errors import InvalidInput
from orchestration import AdminDesk, SessionForm
from orchestration.admin import removed_gold_note
from orchestration.session_admin import sessions_listed
from ui.admin_sections.gold_preview import comparison_preview_markdown, wire_preview
from ui.admin_sections.gold_ratings import wire_gold_ratings
from ui.admin_sections.session_members import ActivitySection, MembersSection, session_choices
from ui.admin_sections.sessions import SessionsSection, sessions_frame, unfinished_frame, unfinished_note
from ui.errors import actor_of, guarded, has_role, noted
from ui.pickers import shown_choices
from ui.render import code, inline_text


def _listed(s: SessionsSection, desk: AdminDesk, request: gr.Request) -> dict[Any, Any]:
    """The sessions table and the "edit session" choices."""
    actor = actor_of(request)
    listed = sessions_listed(desk.access, actor)  # the read `judge-studio sessions list` prints
    sessions = [x.session for x in listed]
    assignments = {x.name: desk.session_assignment(actor, x.name) for x in sessions}  # a few sessions: one read each
    standings = {x.session.name: x.standing.text() for x in listed}
    frame = sessions_frame(sessions, assignments, standings)
    return {s.table: frame, s.pick: gr.Dropdown(choices=shown_choices(x.name for x in sessions))}


def wire_sessions(s: SessionsSection, desk: AdminDesk) -> tuple[Callable[..., dict[Any, Any]], Any]:
    """The section's events; returns the loader the page calls on load (sessions and gold tables) and the Save
    session event (the page refreshes its other session pickers after it)."""
    form, gold = s.form, s.gold
    wire_load_form(s, desk)
    wire_unfinished(s, desk)
    saved = wire_save_session(s, desk)
    wire_remove_gold(s, desk)
    wire_gold_ratings(s.gold_ratings, form.dataset, desk)

    @noted(gold["result"])  # a mistake goes into the result line; the form stays usable
    def save_gold(
        number: float | None, verdict: str | None, why: str, dataset: str | None, request: gr.Request
    ) -> dict:
        desk.set_gold(actor_of(request), number, verdict, why)
        return {
            gold["table"]: desk.gold(actor_of(request), dataset),
            gold["result"]: f"Comparison #{int(number or 0)} is gold.",
        }

    @guarded
    def gold_for(dataset_name: str | None, request: gr.Request) -> Any:
        return desk.gold(actor_of(request), dataset_name)

    def on_load(dataset_name: str | None, request: gr.Request) -> dict[Any, Any]:
        return {
            **_listed(s, desk, request),
            gold["table"]: desk.gold(actor_of(request), dataset_name),
            s.gold_ratings["table"]: desk.gold_ratings(actor_of(request), dataset_name),
        }

    gold["save"].click(
        save_gold,
        inputs=[gold["id"], gold["verdict"], gold["explanation"], form.dataset],
        outputs=[gold["table"], gold["result"]],
        api_name="admin_set_gold",
    )
    form.dataset.change(gold_for, inputs=form.dataset, outputs=gold["table"], api_visibility="private")
    wire_preview(
        gold["id"],
        gold["show"],
        gold["preview"],
        desk.comparison_preview,
        comparison_preview_markdown,
        "admin_gold_preview",
    )
    return on_load, saved


def refresh_after(
    triggers: Sequence[Callable[..., Any]],
    s: SessionsSection,
    desk: AdminDesk,
    members: MembersSection,
    activity: ActivitySection,
) -> None:
    """Read the sessions table and every session picker of the page again after each of ``triggers`` (an
    event's ``success`` or a tab's ``select``): an import adds items to the sessions on that dataset (the table
    still said "15 of 40 done" until a reload, s16 campaign 7), and a session saved here, made by
    ``judge-studio sessions create`` or removed with its dataset was missing from (or left in) the "Who may work
    in a session" and "Activity" pickers until a reload (s17, left undone). No API name (the page's own refresh)."""

    @guarded
    def sessions_again(request: gr.Request) -> Any:
        if not has_role(desk.studio, request, "admin"):  # a refused action or a lower role's tab: nothing to read
            return gr.skip()
        return _listed(s, desk, request)

    @guarded
    def session_pickers_again(members_session: str | None, activity_session: str | None, request: gr.Request) -> Any:
        if not has_role(desk.studio, request, "admin"):
            return gr.skip()
        return session_choices(desk.studio, request, members, activity, current=(members_session, activity_session))

    quiet: dict[str, Any] = {"api_visibility": "private", "concurrency_limit": None, "show_progress": "hidden"}
    for trigger in triggers:
        trigger(sessions_again, outputs=[s.table, s.pick], **quiet).then(
            session_pickers_again,
            inputs=[members.session, activity.session],
            outputs=[members.session, activity.session],
            **quiet,
        )


def wire_unfinished(s: SessionsSection, desk: AdminDesk) -> None:
    """The "List unfinished items" button: the picked session's items that still lack answers, one by one
    (answers so far, skips, who holds each now), read through ``AdminDesk.unfinished``."""
    parts = s.unfinished

    @noted(parts["note"])  # no session chosen, or an unknown one: said in the note, the table stays
    def list_unfinished(name: str | None, request: gr.Request) -> dict[Any, Any]:
        found = desk.unfinished(actor_of(request), name)
        return {
            parts["note"]: unfinished_note(found),
            parts["table"]: gr.update(value=unfinished_frame(found), visible=bool(found.items)),
            # the sessions table's progress read now too: it still said "1 leased" from the page's load while
            # the list below showed two (s13 newfeat 9)
            s.table: _listed(s, desk, request)[s.table],
        }

    parts["show"].click(
        list_unfinished,
        inputs=s.pick,
        outputs=[parts["note"], parts["table"], s.table],
        api_name="admin_session_unfinished",
    )


def wire_remove_gold(s: SessionsSection, desk: AdminDesk) -> None:
    """The "Remove gold mark" button: the comparison leaves the gold table and the message says what
    becomes of the answers given on it (they stay, as ordinary labels). A mistake goes into the result line."""
    form, gold = s.form, s.gold

    @noted(gold["result"])
    def remove_gold(number: float | None, dataset: str | None, request: gr.Request) -> dict[Any, Any]:
        message = removed_gold_note(int(number or 0), desk.remove_gold(actor_of(request), number))
        return {gold["table"]: desk.gold(actor_of(request), dataset), gold["result"]: inline_text(message)}

    gold["remove"].click(
        remove_gold,
        inputs=[gold["id"], form.dataset],
        outputs=[gold["table"], gold["result"]],
        api_name="admin_remove_gold",
    )


def wire_load_form(s: SessionsSection, desk: AdminDesk) -> None:
    """Load a session into the form (its assignment strategy, scale and rubric too); the scale and rubric
    are shown for single-answer sessions only, the strategy for both kinds."""
    form, gold = s.form, s.gold

    def grading_shown(kind: str | None) -> dict[Any, Any]:
        """The scale and rubric belong to single-answer sessions: shown when the kind is 'single'."""
        return {field: gr.update(visible=kind == "single") for field in form.grading}

    @guarded
    def load_into_form(name: str | None, request: gr.Request) -> dict[Any, Any]:
        if not name:
            raise InvalidInput("Choose a session to edit.")
        found = desk.session(actor_of(request), name)
        assignment = desk.session_assignment(actor_of(request), name)
        grading = desk.session_grading(actor_of(request), name)
        shown = {getattr(form, f.name): getattr(found, f.name) for f in fields(SessionForm) if hasattr(found, f.name)}
        single = found.kind == "single"
        return {
            **shown,
            form.strategy: gr.update(value=assignment["strategy"], visible=True),
            form.audit_rate: gr.update(value=assignment["audit_rate"], visible=True),
            form.scale: gr.update(value=grading["scale"], visible=single),
            form.rubric: gr.update(value=grading["rubric"], visible=single),
            gold["table"]: desk.gold(actor_of(request), found.dataset),
            s.gold_ratings["table"]: desk.gold_ratings(actor_of(request), found.dataset),
        }

    outputs = [*form.components, gold["table"], s.gold_ratings["table"]]
    s.load.click(load_into_form, inputs=s.pick, outputs=outputs, api_name="admin_session")
    form.kind.change(grading_shown, inputs=form.kind, outputs=form.grading, api_visibility="private")


def wire_save_session(s: SessionsSection, desk: AdminDesk) -> Any:
    """Save the form as a session (created, or changed when the name exists); the store checks every field.
    Returns the event."""
    form = s.form

    @guarded
    def save_session(
        name: str,
        dataset: str | None,
        overlap: float | None,
        lease: float | None,
        gold_rate: float | None,
        blind: bool,
        reveal: bool,
        randomize: bool,
        active: bool,
        guidelines: str,
        kind: str | None,
        strategy: str | None,
        audit_rate: float | None,
        request: gr.Request,
        scale: float | str | None = None,
        rubric: str | None = None,
        fill: str | None = None,
    ) -> dict[Any, Any]:
        """Empty numbers take the settings table's defaults (``SessionForm``'s). The scale, rubric and fill
        order come after ``request`` (Gradio puts the request where the signature has it), so a script that
        sends the thirteen fields of before keeps working (no fill: a session keeps its own, a new one gets
        "breadth"); ``AdminDesk`` uses the scale and rubric for single-answer sessions only."""
        numbers = {"overlap": overlap, "lease_seconds": lease, "gold_rate": gold_rate}
        given = {key: value for key, value in numbers.items() if value is not None}
        saved = desk.save_session(
            actor_of(request),
            SessionForm(
                name=name or "",
                dataset=dataset or "",
                blind=bool(blind),
                reveal_judge=bool(reveal),
                randomize_order=bool(randomize),
                guidelines=guidelines or "",
                active=bool(active),
                kind=kind or "pairwise",
                strategy=strategy or None,
                audit_rate=audit_rate,
                scale=scale,
                rubric=rubric,
                fill=fill or None,
                **given,
            ),
        )
        return {**_listed(s, desk, request), s.result: f"Saved session {code(saved.name)} on {code(saved.dataset)}."}

    order = [form.name, form.dataset, form.overlap, form.lease_seconds, form.gold_rate, form.blind]
    order += [form.reveal_judge, form.randomize_order, form.active, form.guidelines, form.kind, *form.assignment]
    order += [*form.grading, form.fill]  # after the request in the handler's signature (see its docstring)
    return s.save.click(save_session, inputs=order, outputs=[s.table, s.pick, s.result], api_name="admin_save_session")
