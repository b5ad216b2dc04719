"""Admin: the invite links that still work (the table ``judge-studio users invites`` prints) and revoking
one (``judge-studio users revoke-invite ID``), under the Accounts section's "Create invite link".

Everything goes through ``AdminDesk`` (``open_invites``, ``revoke_invite``), which checks the admin role
first; tokens are never listed (only their digests are stored). The creator's name is an account name,
so it reaches the page only as a ``plain_table`` cell, a ``shown_choices`` label or through ``ui.render``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import gradio as gr
import pandas as pd

from annotation_store.accounts import OpenInvite
from errors import InvalidInput
from orchestration import AdminDesk
from orchestration.admin import COMMAND_LINE, invite_summary
from ui.errors import actor_of, guarded, noted
from ui.pickers import shown_choices
from ui.render import code
from ui.tables import plain_table

#: The columns of ``judge-studio users invites``.
INVITE_HEADERS = ("id", "role", "kind", "created_by", "created", "expires")


@dataclass(frozen=True)
class InvitesBlock:
    table: gr.Dataframe
    pick: gr.Dropdown
    revoke: gr.Button
    refresh: gr.Button


def utc(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def invites_frame(invites: Sequence[OpenInvite]) -> pd.DataFrame:
    """The open invites, oldest first, as ``users invites`` lists them (no tokens)."""
    rows = [(i.id, i.role, i.kind, i.created_by or COMMAND_LINE, utc(i.created_at), utc(i.expires_at)) for i in invites]
    return pd.DataFrame(rows, columns=list(INVITE_HEADERS))


def invite_choice(invite: OpenInvite) -> tuple[str, int]:
    """The revoke picker's (label, value) for one invite: its number is what is revoked."""
    by = invite.created_by or COMMAND_LINE
    return (f"#{invite.id} · {invite.role} ({invite.kind}) · by {by} · until {utc(invite.expires_at)}", invite.id)


def invites_block() -> InvitesBlock:
    """The table, the picker and the buttons (built inside the Accounts accordion)."""
    gr.Markdown("**Invite links that still work** (unused and not expired; a used link leaves this list)")
    table = plain_table(
        headers=list(INVITE_HEADERS), interactive=False, label="Open invite links", elem_id="admin-invites", wrap=True
    )
    with gr.Row():
        pick = gr.Dropdown(
            choices=[], label="Invite to revoke", elem_id="admin-invite-pick", scale=3, allow_custom_value=True
        )
        revoke = gr.Button("Revoke invite", variant="stop", elem_id="admin-revoke-invite", scale=1)
        refresh = gr.Button("Refresh invites", elem_id="admin-invites-refresh", size="sm", scale=1)
    return InvitesBlock(table, pick, revoke, refresh)


def wire_invites(b: InvitesBlock, desk: AdminDesk, result: gr.Markdown) -> Any:
    """The block's events; returns the loader ``request -> {table: …, pick: …}`` (page load, after a new invite)."""

    def invites_view(request: gr.Request | None) -> dict[Any, Any]:
        invites = desk.open_invites(actor_of(request))
        choices = shown_choices(invite_choice(i) for i in invites)
        return {b.table: invites_frame(invites), b.pick: gr.Dropdown(choices=choices, value=None)}

    @guarded
    def list_invites(request: gr.Request) -> dict[Any, Any]:
        return invites_view(request)

    @noted(result)
    def revoke_invite(picked: Any, request: gr.Request) -> dict[Any, Any]:
        if picked is None or picked == "":
            raise InvalidInput("Choose the invite to revoke (the list shows the links that still work).")
        gone = desk.revoke_invite(actor_of(request), picked)
        note = f"Revoked invite #{gone.id} ({invite_summary(gone, code)}): it no longer works."
        return {**invites_view(request), result: note}

    b.refresh.click(list_invites, outputs=[b.table, b.pick], api_name="admin_invites")
    b.revoke.click(revoke_invite, inputs=b.pick, outputs=[b.table, b.pick, result], api_name="admin_revoke_invite")
    return invites_view
