"""Admin: the invite links that still work (the table ``judge-studio users invites`` prints) and revoking
one (``judge-studio users revoke-invite ID``), under the Accounts section's "Create invite link".

Everything goes through ``AdminDesk`` (``open_invites``, ``revoke_invite``), which checks the admin role
first; tokens are never listed (only their digests are stored). The creator's name is an account name,
so it reaches the page only as a ``plain_table`` cell, a ``shown_choices`` label or through ``ui.render``.

The shape is shared with the API tokens' section (``ui/admin_sections/tokens.py``): ``revoke_block`` builds
"a table of what still works and a Revoke by number", ``wire_revoke`` its two events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import gradio as gr
import pandas as pd

from annotation_store.accounts import OpenInvite
from errors import InvalidInput
from orchestration import AdminDesk
from orchestration.admin import COMMAND_LINE, invite_summary
from ui.errors import actor_of, guarded, noted
from ui.pickers import shown_choices
from ui.render import code, inline_text
from ui.tables import plain_table

#: The columns of ``judge-studio users invites``.
INVITE_HEADERS = ("id", "role", "kind", "created_by", "created", "expires")

Row = TypeVar("Row")
#: A section's loader: ``request -> {table: …, pick: …}``.
View = Callable[[gr.Request | None], dict[Any, Any]]


@dataclass(frozen=True)
class RevokeBlock:
    """A table of what still works, a picker of its numbers, Revoke and Refresh (invites, API tokens)."""

    table: gr.Dataframe
    pick: gr.Dropdown
    revoke: gr.Button
    refresh: gr.Button
    note: gr.Markdown | None = None  # the block's own result line, under its Revoke button (else the section's)
    pending: gr.State | None = None  # the number a first Revoke click asked to confirm (a block that confirms)


InvitesBlock = RevokeBlock


def utc(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def revoke_block(
    noun: str, heading: str, headers: Sequence[str], table_label: str, pick_label: str, confirm: bool = False
) -> RevokeBlock:
    """The table, the picker and the buttons (built inside the Accounts accordion). ``noun`` words the buttons
    ("Revoke token", "Refresh tokens") and names the elements: ``admin-{noun}s`` (the table), ``admin-{noun}-pick``,
    ``admin-revoke-{noun}``, ``admin-{noun}s-refresh``. ``confirm``: Revoke asks first (a second click revokes),
    in the block's own result line ``admin-{noun}s-result`` under the buttons."""
    gr.Markdown(heading)
    table = plain_table(
        headers=list(headers), interactive=False, label=table_label, elem_id=f"admin-{noun}s", wrap=True
    )
    with gr.Row():
        pick = gr.Dropdown(choices=[], label=pick_label, elem_id=f"admin-{noun}-pick", scale=3, allow_custom_value=True)
        revoke = gr.Button(f"Revoke {noun}", variant="stop", elem_id=f"admin-revoke-{noun}", scale=1)
        refresh = gr.Button(f"Refresh {noun}s", elem_id=f"admin-{noun}s-refresh", size="sm", scale=1)
    if not confirm:
        return RevokeBlock(table, pick, revoke, refresh)
    return RevokeBlock(table, pick, revoke, refresh, gr.Markdown(elem_id=f"admin-{noun}s-result"), gr.State(None))


@dataclass(frozen=True)
class Revoking(Generic[Row]):
    """What one ``RevokeBlock`` lists and revokes, all through ``AdminDesk`` (which checks the admin role)."""

    noun: str  # the events' API names: ``admin_{noun}s`` (refresh) and ``admin_revoke_{noun}``
    listed: Callable[[str | None], Sequence[Row]]  # actor -> the rows that still work, oldest first
    frame: Callable[[Sequence[Row]], pd.DataFrame]  # the table
    choice: Callable[[Row], tuple[str, int]]  # the picker's (label, number) of one row
    revoked: Callable[[str | None, Any], str]  # (actor, picked number) -> the note naming what was revoked
    unpicked: str  # the message when Revoke is pressed with nothing picked
    confirm: str = ""  # a confirming block's question on the first click; ``{number}``: the picked number


def wire_revoke(b: RevokeBlock, what: Revoking[Any], result: gr.Markdown) -> View:
    """The block's events (Refresh; Revoke, noted in the block's own line, else in ``result``); returns the
    loader ``request -> {table: …, pick: …}`` (page load, after a change elsewhere in the section)."""
    out = b.note or result

    def view(request: gr.Request | None) -> dict[Any, Any]:
        rows = what.listed(actor_of(request))
        choices = shown_choices(what.choice(r) for r in rows)
        return {b.table: what.frame(rows), b.pick: gr.Dropdown(choices=choices, value=None)}

    @guarded
    def refresh(request: gr.Request) -> dict[Any, Any]:
        return view(request)

    @noted(out)
    def revoke(picked: Any, request: gr.Request) -> dict[Any, Any]:
        if picked is None or picked == "":
            raise InvalidInput(what.unpicked)
        note = what.revoked(actor_of(request), picked)
        return {**view(request), out: note}

    b.refresh.click(refresh, outputs=[b.table, b.pick], api_name=f"admin_{what.noun}s")
    name = f"admin_revoke_{what.noun}"
    if b.pending is None:
        b.revoke.click(revoke, inputs=b.pick, outputs=[b.table, b.pick, out], api_name=name)
        return view
    pending = b.pending

    @noted(out)
    def revoke_confirmed(picked: Any, asked: Any, request: gr.Request) -> dict[Any, Any]:
        """The first click on a number asks (nothing changes); a second click on the same number revokes it."""
        if picked not in (None, "") and str(asked) != str(picked):
            return {out: inline_text(what.confirm.format(number=picked)), pending: picked}
        return {**revoke(picked, request), pending: None}

    def forget(_picked: Any) -> None:  # another pick: its first Revoke click asks again
        return None

    b.revoke.click(revoke_confirmed, inputs=[b.pick, pending], outputs=[b.table, b.pick, out, pending], api_name=name)
    b.pick.change(forget, inputs=b.pick, outputs=pending, api_visibility="private", queue=False)
    return view


def invites_frame(invites: Sequence[OpenInvite]) -> pd.DataFrame:
    """The open invites, oldest first, as ``users invites`` lists them (no tokens)."""
    rows = [(i.id, i.role, i.kind, i.created_by or COMMAND_LINE, utc(i.created_at), utc(i.expires_at)) for i in invites]
    return pd.DataFrame(rows, columns=list(INVITE_HEADERS))


def invite_choice(invite: OpenInvite) -> tuple[str, int]:
    """The revoke picker's (label, value) for one invite: its number is what is revoked."""
    by = invite.created_by or COMMAND_LINE
    return (f"#{invite.id} · {invite.role} ({invite.kind}) · by {by} · until {utc(invite.expires_at)}", invite.id)


def invites_block() -> RevokeBlock:
    """The invites' table, picker and buttons (built inside the Accounts accordion)."""
    return revoke_block(
        "invite",
        "**Invite links that still work** (unused and not expired; a used link leaves this list)",
        INVITE_HEADERS,
        table_label="Open invite links",
        pick_label="Invite to revoke",
    )


def wire_invites(b: RevokeBlock, desk: AdminDesk, result: gr.Markdown) -> View:
    """The block's events; returns the loader ``request -> {table: …, pick: …}`` (page load, after a new invite)."""

    def revoked(actor: str | None, picked: Any) -> str:
        gone = desk.revoke_invite(actor, picked)
        return f"Revoked invite #{gone.id} ({invite_summary(gone, code)}): it no longer works."

    unpicked = "Choose the invite to revoke (the list shows the links that still work)."
    return wire_revoke(
        b, Revoking("invite", desk.open_invites, invites_frame, invite_choice, revoked, unpicked), result
    )
