"""Admin: the accounts table, adding and changing accounts, and one-time invite links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from analysis.report_text import counted
from errors import InvalidInput
from orchestration import AdminDesk
from orchestration.admin import KINDS, ROLES
from ui.admin_sections.invites import InvitesBlock, invites_block, utc, wire_invites
from ui.admin_sections.tokens import TokensBlock, tokens_block, wire_tokens
from ui.errors import actor_of, guarded, noted
from ui.render import code, safe_markdown
from ui.tables import plain_table

INVITE_PATH = "/invite/"


def invite_link(request: gr.Request | None, token: str, public_url: str | None = None) -> str:
    """``<public_url>/invite/<token>`` when ``public_url`` is set (as ``users invite`` prints it: an admin on an
    SSH tunnel must not send a loopback link), else ``<scheme>://<host>/invite/<token>`` for the host the admin
    reached the app on, as the server sees it (``web/proxy.py``): the scheme of the request's URL (a trusted
    proxy's X-Forwarded-Proto already in it) and an X-Forwarded-Host only if it is still there (the server
    removes one that a client who is not a trusted proxy sent), never the raw headers (s14 integrator 5)."""
    if public_url:
        return f"{public_url.rstrip('/')}{INVITE_PATH}{token}"
    headers: Any = getattr(request, "headers", None) or {}
    host = headers.get("x-forwarded-host") or headers.get("host")
    url = str(getattr(request, "url", "") or "")
    scheme = url.split("://", 1)[0] if url.startswith(("http://", "https://")) else "http"
    if not host:
        return f"{INVITE_PATH}{token}"
    return f"{scheme.split(',')[0].strip()}://{host.split(',')[0].strip()}{INVITE_PATH}{token}"


def signed_out(tokens: int) -> str:
    """What signing an account out did (a new password, a deactivation, "Sign out everywhere")."""
    revoked = f"{counted(tokens, 'API token')} {'was' if tokens == 1 else 'were'} revoked"
    return f"its browser logins ended on every server and {revoked}."


def _activity_change(desk: AdminDesk, what: str, name: str, actor: str | None) -> str:
    """Deactivate / Reactivate (a deactivation says whether the account's labels still count), or Set labels aside /
    Count labels again (kept in the database either way): what it did, as Markdown."""
    if what in ("set_aside", "count_again"):
        return safe_markdown(desk.set_labels_aside(actor, name, undo=what == "count_again"), links=False)
    revoked = desk.update_account(actor, name, active=what == "activate")
    note = f"{code(name.strip())} is {'active' if what == 'activate' else 'deactivated'}."
    note += "" if revoked is None else f" Its {signed_out(revoked).removeprefix('its ')}"
    if what == "deactivate" and (left := desk.still_counting(actor, name)):
        note += " " + safe_markdown(left, links=False)
    return note


@dataclass(frozen=True)
class AccountsSection:
    table: gr.Dataframe
    refresh: gr.Button
    new: dict[str, Any]  # name, password, role, kind, add
    change: dict[str, Any]  # name, role, *_button (role, deactivate, activate, sign_out), kind, set_kind, password, …
    invite: dict[str, Any]  # role, kind, hours, create, link
    result: gr.Markdown
    invites: InvitesBlock  # the open invite links, and revoking one
    tokens: TokensBlock  # the API tokens that still work, and revoking one


def accounts_section() -> AccountsSection:
    with gr.Accordion("Accounts", open=False, elem_id="admin-accounts-section"):
        table = plain_table(interactive=False, label="Accounts", elem_id="admin-accounts", wrap=True)
        refresh = gr.Button("Refresh", elem_id="admin-accounts-refresh", size="sm")
        gr.Markdown("**Add an account**")
        with gr.Row():
            new = {
                "name": gr.Textbox(label="Name", elem_id="admin-new-name"),
                "password": gr.Textbox(label="Password (8+ characters)", type="password", elem_id="admin-new-password"),
                "role": gr.Dropdown(choices=list(ROLES), value="annotator", label="Role", elem_id="admin-new-role"),
                "kind": gr.Dropdown(choices=list(KINDS), value="crowd", label="Kind", elem_id="admin-new-kind"),
                "add": gr.Button("Add account", elem_id="admin-add-account"),
            }
        gr.Markdown("**Change an account**")
        with gr.Row():
            change = {
                "name": gr.Textbox(label="Account name", elem_id="admin-account-name"),
                "role": gr.Dropdown(choices=list(ROLES), value="annotator", label="Role", elem_id="admin-change-role"),
                "role_button": gr.Button("Set role", elem_id="admin-set-role"),
                "deactivate_button": gr.Button("Deactivate", variant="stop", elem_id="admin-deactivate"),
                "activate_button": gr.Button("Reactivate", elem_id="admin-activate"),
                # kept, never deleted: left out of figures, majorities, exports and the session's overlap
                "set_aside_button": gr.Button("Set labels aside", elem_id="admin-set-aside"),
                "count_again_button": gr.Button("Count labels again", elem_id="admin-count-again"),
                "sign_out_button": gr.Button("Sign out everywhere", elem_id="admin-sign-out"),
            }
        with gr.Row():
            # the alternative-annotator test groups people by kind (crowd, skilled, expert), each with its margin
            change["kind"] = gr.Dropdown(choices=list(KINDS), value="crowd", label="Kind", elem_id="admin-change-kind")
            change["set_kind"] = gr.Button("Set kind", elem_id="admin-set-kind")
        with gr.Row():
            change["password"] = gr.Textbox(label="New password", type="password", elem_id="admin-reset-password")
            change["set_password"] = gr.Button("Set password", elem_id="admin-set-password")
        gr.Markdown("**One-time invite link**")
        with gr.Row():
            invite = {
                "role": gr.Dropdown(choices=list(ROLES), value="annotator", label="Role", elem_id="admin-invite-role"),
                "kind": gr.Dropdown(choices=list(KINDS), value="crowd", label="Kind", elem_id="admin-invite-kind"),
                "hours": gr.Number(value=72, label="Valid for (hours)", elem_id="admin-invite-hours"),
                "create": gr.Button("Create invite link", elem_id="admin-invite"),
            }
        invite["link"] = gr.Textbox(
            label="Invite link (shown once; send it to the person)", interactive=False, elem_id="admin-invite-link"
        )
        result = gr.Markdown(elem_id="admin-accounts-result")
        invites = invites_block()
        tokens = tokens_block()
    return AccountsSection(table, refresh, new, change, invite, result, invites, tokens)


def _lists(s: AccountsSection, desk: AdminDesk) -> tuple[Any, Any, Callable[[gr.Request | None], dict[Any, Any]]]:
    """The invite and token blocks' events; their loaders, and one that fills both (the page's load)."""
    open_invites_view = wire_invites(s.invites, desk, s.result)
    tokens_view = wire_tokens(s.tokens, desk, s.result)

    def invites_view(request: gr.Request | None) -> dict[Any, Any]:
        return {**open_invites_view(request), **tokens_view(request)}

    return open_invites_view, tokens_view, invites_view


def wire_accounts(
    s: AccountsSection, desk: AdminDesk
) -> tuple[Callable[[gr.Request], pd.DataFrame], Callable[[gr.Request], dict[Any, Any]]]:
    """The section's events; returns the accounts table's loader and the open invites' and API tokens' (the
    page fills them on load)."""
    open_invites_view, tokens_view, invites_view = _lists(s, desk)

    @guarded
    def accounts_table(request: gr.Request) -> pd.DataFrame:
        return desk.accounts(actor_of(request))

    # The forms' mistakes replace the result line (no stale "Added …" under an error) and keep the form usable.
    @noted(s.result)
    def add_account(name: str, password: str, role: str, kind: str, request: gr.Request) -> dict[Any, Any]:
        added = desk.add_account(actor_of(request), name, password, role, kind)
        note = f"Added {code(added)} as {code(role)} ({code(kind)} annotator)."
        return {s.table: accounts_table(request), s.result: note, s.new["name"]: "", s.new["password"]: ""}

    def account_change(what: str) -> Callable[..., dict[Any, Any]]:
        @noted(s.result)
        def change(name: str, role: str, request: gr.Request) -> dict[Any, Any]:
            if what == "role":
                desk.update_account(actor_of(request), name, role=role)
                note = f"{code(name.strip())} is now {code(role)}."
            elif what == "sign_out":
                tokens = desk.sign_out_account(actor_of(request), name)
                note = f"{code(name.strip())} is signed out: {signed_out(tokens)}"
            else:
                note = _activity_change(desk, what, name, actor_of(request))
            return {s.table: accounts_table(request), s.result: note, **tokens_view(request)}

        return change

    @noted(s.result)
    def set_kind(name: str, kind: str, request: gr.Request) -> dict[Any, Any]:
        desk.update_account(actor_of(request), name, kind=kind)
        return {s.table: accounts_table(request), s.result: f"{code(name.strip())} is now a {code(kind)} annotator."}

    @noted(s.result)
    def set_password(name: str, password: str, request: gr.Request) -> dict[Any, Any]:
        if not password:
            raise InvalidInput("Enter the new password.")
        revoked = desk.update_account(actor_of(request), name, password=password) or 0
        note = f"New password set for {code(name.strip())}; {signed_out(revoked)}"
        return {s.result: note, s.change["password"]: ""}

    @noted(s.result)
    def make_invite(role: str, kind: str, hours: float | None, request: gr.Request) -> dict[Any, Any]:
        made, token = desk.new_invite(actor_of(request), role, kind, hours)  # an emptied hours field is refused
        note = (
            f"Invite #{made.id} for a new {code(role)} ({code(kind)} annotator) created, valid until "
            f"{utc(made.expires_at)}; it works once. To stop it, revoke #{made.id} below."
        )
        return {
            s.invite["link"]: invite_link(request, token, desk.studio.settings.public_url),
            s.result: note,
            **open_invites_view(request),  # the new link's row (its number, to revoke it) without a refresh
        }

    def create_invite(role: str, kind: str, hours: float | None, request: gr.Request) -> dict[Any, Any]:
        # a refused create empties the link box: the link of an earlier success must not read as this one's
        return {s.invite["link"]: "", **make_invite(role, kind, hours, request)}

    s.refresh.click(accounts_table, outputs=s.table, api_name="admin_accounts")
    new, change, invite = s.new, s.change, s.invite
    adding = [new["name"], new["password"], new["role"], new["kind"]]
    new["add"].click(
        add_account,
        inputs=adding,
        outputs=[s.table, s.result, new["name"], new["password"]],
        api_name="admin_add_account",
    )
    for what in ("role", "deactivate", "activate", "sign_out", "set_aside", "count_again"):
        change[f"{what}_button"].click(
            account_change(what),
            inputs=[change["name"], change["role"]],
            outputs=[s.table, s.result, s.tokens.table, s.tokens.pick],
            api_name=f"admin_account_{what}",
        )
    change["set_kind"].click(
        set_kind, inputs=[change["name"], change["kind"]], outputs=[s.table, s.result], api_name="admin_set_kind"
    )
    change["set_password"].click(
        set_password,
        inputs=[change["name"], change["password"]],
        outputs=[s.result, change["password"]],
        api_name="admin_set_password",
    )
    invite["create"].click(
        create_invite,
        inputs=[invite["role"], invite["kind"], invite["hours"]],
        outputs=[invite["link"], s.result, s.invites.table, s.invites.pick],
        api_name="admin_invite",
    )
    return accounts_table, invites_view
