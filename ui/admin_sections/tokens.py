"""Admin: every account's REST API tokens that still work (what ``judge-studio users tokens NAME`` prints per
account) and revoking one (``judge-studio users revoke-token ID``), under the Accounts section's invite links.

Everything goes through ``AdminDesk`` (``api_tokens``, ``revoke_api_token``), which checks the admin role
first; secrets are never listed (only their digests are stored). A token's label and its account's name are
untrusted text, so they reach the page only as ``plain_table`` cells, ``shown_choices`` labels or through
``ui.render``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from annotation_store.accounts import TokenInfo
from errors import InvalidInput
from orchestration import AdminDesk
from ui.admin_sections.invites import utc
from ui.errors import actor_of, guarded, noted
from ui.pickers import shown_choices
from ui.render import code
from ui.tables import plain_table

#: The columns of ``judge-studio users tokens NAME``, the account first (this table holds every account's).
TOKEN_HEADERS = ("account", "id", "label", "created", "expires", "last_used")


@dataclass(frozen=True)
class TokensBlock:
    table: gr.Dataframe
    pick: gr.Dropdown
    revoke: gr.Button
    refresh: gr.Button


def tokens_frame(tokens: Sequence[TokenInfo]) -> pd.DataFrame:
    """The working tokens by account, oldest first (no secrets); "-": not used yet."""
    rows = [
        (t.account, t.id, t.label, utc(t.created_at), utc(t.expires_at), utc(t.last_used_at) if t.last_used_at else "-")
        for t in tokens
    ]
    return pd.DataFrame(rows, columns=list(TOKEN_HEADERS))


def token_choice(token: TokenInfo) -> tuple[str, int]:
    """The revoke picker's (label, value) for one token: its number is what is revoked."""
    label = f" · {token.label}" if token.label else ""
    return (f"#{token.id} · {token.account}{label} · until {utc(token.expires_at)}", token.id)


def tokens_block() -> TokensBlock:
    """The table, the picker and the buttons (built inside the Accounts accordion)."""
    gr.Markdown(
        "**API tokens that still work** (REST API; unrevoked and not expired; revoking one leaves the account's "
        "other tokens and browser logins alone)"
    )
    table = plain_table(
        headers=list(TOKEN_HEADERS), interactive=False, label="API tokens", elem_id="admin-tokens", wrap=True
    )
    with gr.Row():
        pick = gr.Dropdown(
            choices=[], label="API token to revoke", elem_id="admin-token-pick", scale=3, allow_custom_value=True
        )
        revoke = gr.Button("Revoke token", variant="stop", elem_id="admin-revoke-token", scale=1)
        refresh = gr.Button("Refresh tokens", elem_id="admin-tokens-refresh", size="sm", scale=1)
    return TokensBlock(table, pick, revoke, refresh)


def wire_tokens(b: TokensBlock, desk: AdminDesk, result: gr.Markdown) -> Any:
    """The block's events; returns the loader ``request -> {table: …, pick: …}`` (page load, after a sign-out)."""

    def tokens_view(request: gr.Request | None) -> dict[Any, Any]:
        tokens = desk.api_tokens(actor_of(request))
        choices = shown_choices(token_choice(t) for t in tokens)
        return {b.table: tokens_frame(tokens), b.pick: gr.Dropdown(choices=choices, value=None)}

    @guarded
    def list_tokens(request: gr.Request) -> dict[Any, Any]:
        return tokens_view(request)

    @noted(result)
    def revoke_token(picked: Any, request: gr.Request) -> dict[Any, Any]:
        if picked is None or picked == "":
            raise InvalidInput("Choose the API token to revoke (the list shows the tokens that still work).")
        gone = desk.revoke_api_token(actor_of(request), picked)
        label = f" ({code(gone.label)})" if gone.label else ""
        note = f"Revoked API token #{gone.id}{label} of {code(gone.account)}: it no longer works."
        return {**tokens_view(request), result: note}

    b.refresh.click(list_tokens, outputs=[b.table, b.pick], api_name="admin_tokens")
    b.revoke.click(revoke_token, inputs=b.pick, outputs=[b.table, b.pick, result], api_name="admin_revoke_token")
    return tokens_view
