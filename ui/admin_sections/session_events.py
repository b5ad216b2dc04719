"""Admin: the handlers of the sessions and gold section (layout in ``sessions``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

import gradio as gr

from errors import InvalidInput
from orchestration import AdminDesk, SessionForm
from ui.admin_sections.sessions import SessionsSection, sessions_frame
from ui.errors import actor_of, guarded
from ui.render import code


def wire_sessions(s: SessionsSection, desk: AdminDesk) -> Callable[..., dict[Any, Any]]:
    """The section's events; returns the loader the page calls on load (sessions and gold tables)."""
    form, gold = s.form, s.gold

    def listed(request: gr.Request) -> dict[Any, Any]:
        sessions = desk.sessions(actor_of(request))
        return {s.table: sessions_frame(sessions), s.pick: gr.Dropdown(choices=[x.name for x in sessions])}

    @guarded
    def load_into_form(name: str | None, request: gr.Request) -> dict[Any, Any]:
        if not name:
            raise InvalidInput("Choose a session to edit.")
        found = desk.session(actor_of(request), name)
        values = {f.name: getattr(found, f.name) for f in fields(SessionForm)}
        shown = {getattr(form, key): value for key, value in values.items()}
        return {**shown, gold["table"]: desk.gold(actor_of(request), found.dataset)}

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
        request: gr.Request,
    ) -> dict[Any, Any]:
        saved = desk.save_session(
            actor_of(request),
            SessionForm(
                name=name or "",
                dataset=dataset or "",
                overlap=overlap if overlap is not None else 1,
                blind=bool(blind),
                reveal_judge=bool(reveal),
                randomize_order=bool(randomize),
                lease_seconds=lease if lease is not None else 900,
                gold_rate=gold_rate if gold_rate is not None else 0.0,
                guidelines=guidelines or "",
                active=bool(active),
                kind=kind or "pairwise",
            ),
        )
        return {**listed(request), s.result: f"Saved session {code(saved.name)} on {code(saved.dataset)}."}

    @guarded
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
        return {**listed(request), gold["table"]: desk.gold(actor_of(request), dataset_name)}

    s.load.click(load_into_form, inputs=s.pick, outputs=[*form.components, gold["table"]], api_name="admin_session")
    order = [form.name, form.dataset, form.overlap, form.lease_seconds, form.gold_rate, form.blind]
    order += [form.reveal_judge, form.randomize_order, form.active, form.guidelines, form.kind]
    s.save.click(save_session, inputs=order, outputs=[s.table, s.pick, s.result], api_name="admin_save_session")
    gold["save"].click(
        save_gold,
        inputs=[gold["id"], gold["verdict"], gold["explanation"], form.dataset],
        outputs=[gold["table"], gold["result"]],
        api_name="admin_set_gold",
    )
    form.dataset.change(gold_for, inputs=form.dataset, outputs=gold["table"], api_visibility="private")
    return on_load
