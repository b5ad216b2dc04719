"""Admin: every account's REST API tokens that still work (what ``judge-studio users tokens NAME`` prints per
account) and revoking one (``judge-studio users revoke-token ID``), under the Accounts section's invite links.

Everything goes through ``AdminDesk`` (``api_tokens``, ``revoke_api_token``), which checks the admin role
first; secrets are never listed (only their digests are stored). A token's label and its account's name are
untrusted text, so they reach the page only as ``plain_table`` cells, ``shown_choices`` labels or through
``ui.render``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr
import pandas as pd

from annotation_store.accounts import TokenInfo
from orchestration import AdminDesk
from ui.admin_sections.invites import RevokeBlock, Revoking, View, revoke_block, utc, wire_revoke
from ui.render import code

#: The columns of ``judge-studio users tokens NAME``, the account first (this table holds every account's).
TOKEN_HEADERS = ("account", "id", "label", "created", "expires", "last_used")

TokensBlock = RevokeBlock


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


def tokens_block() -> RevokeBlock:
    """The tokens' table, picker and buttons (built inside the Accounts accordion)."""
    return revoke_block(
        "token",
        "**API tokens that still work** (REST API; unrevoked and not expired; revoking one leaves the account's "
        "other tokens and browser logins alone)",
        TOKEN_HEADERS,
        table_label="API tokens",
        pick_label="API token to revoke",
        confirm=True,
    )


def wire_tokens(b: RevokeBlock, desk: AdminDesk, result: gr.Markdown) -> View:
    """The block's events (Revoke asks first, and answers under the token table, not in ``result``); returns
    the loader ``request -> {table: …, pick: …}`` (page load, after a sign-out)."""

    def revoked(actor: str | None, picked: Any) -> str:
        gone = desk.revoke_api_token(actor, picked)
        label = f" ({code(gone.label)})" if gone.label else ""
        return f"Revoked API token #{gone.id}{label} of {code(gone.account)}: it no longer works."

    unpicked = "Choose the API token to revoke (the list shows the tokens that still work)."
    ask = (
        "Revoke API token #{number}? Scripts that send it get 401 from then on (your own too, if it is yours). "
        "Click Revoke token again to confirm."
    )
    return wire_revoke(
        b, Revoking("token", desk.api_tokens, tokens_frame, token_choice, revoked, unpicked, ask), result
    )
