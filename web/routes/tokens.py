"""``/api/v1/tokens``: REST API tokens.

``POST /tokens`` gives a token for a name and password, so a person (or their script) can get one without
the server's command line. Throttled like the login form, per account and per address; the token is shown
once (only its digest is stored). Every token expires: after the server's ``token_days`` setting (90 days by
default) or ``expires_in_days`` (1 to 365). ``GET /tokens`` lists the caller's own working tokens (never the
secrets), ``DELETE /tokens/{id}`` revokes one of them and ``DELETE /tokens/current`` the one the request
carries (a REST logout). Admins see and revoke every account's tokens on the Admin page and with
``judge-studio users tokens NAME`` / ``users revoke-token ID``.
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from datetime import UTC, datetime
from typing import Annotated

import anyio.to_thread
from fastapi import Path, Request, status
from pydantic import BaseModel, Field, PlainSerializer, WithJsonSchema

from annotation_store.accounts import MAX_TOKEN_DAYS, TokenInfo
from annotation_store.models import MAX_TOKEN_LABEL
from web.routes.common import BODY, MAX_ID, Caller, RequestIn, StudioDep, answers, api_router

router = api_router("access")


def utc_seconds(moment: datetime) -> str:
    """ISO 8601 UTC with a 'Z' and whole seconds (``2026-11-28T22:42:41Z``); the store keeps naive UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


#: A token's time as JSON shows it: UTC, 'Z', whole seconds (one serializer for every time this route answers).
UtcTime = Annotated[
    datetime,
    PlainSerializer(utc_seconds, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-11-28T22:42:41Z"]}),
]


class TokenIn(RequestIn):
    name: str = Field(max_length=200)
    password: str = Field(max_length=1000)
    label: str = Field(
        default="",
        max_length=MAX_TOKEN_LABEL,
        description="what the token is for (GET /tokens lists it; admins see it on the Admin page and with "
        "`judge-studio users tokens NAME`)",
    )
    expires_in_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_TOKEN_DAYS,
        description=f"how long the token works, 1 to {MAX_TOKEN_DAYS} days (default: the server's `token_days` "
        "setting, 90 unless changed)",
    )


class TokenOut(BaseModel):
    token: str = Field(description="send as 'Authorization: Bearer <token>'; shown once")
    id: int = Field(description="the token's number: DELETE /tokens/{id} revokes it")
    name: str
    role: str
    label: str
    expires_at: UtcTime = Field(description="UTC; after it the token answers 401 (make a new one)")


class TokenInfoOut(BaseModel):
    """A working token as its owner sees it; never the secret (only its digest is stored)."""

    id: int
    label: str
    created_at: UtcTime = Field(description="UTC")
    expires_at: UtcTime = Field(description="UTC")
    last_used_at: UtcTime | None = Field(
        description="UTC, to the minute (stamped at most once a minute); null: not used yet"
    )


class TokenListOut(BaseModel):
    tokens: list[TokenInfoOut] = Field(description="your tokens that still work, oldest first")


def _info(token: TokenInfo) -> TokenInfoOut:
    return TokenInfoOut(
        id=token.id,
        label=token.label,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
    )


@router.post(
    "/tokens",
    response_model=TokenOut,
    status_code=status.HTTP_201_CREATED,
    responses=answers(401, 429, *BODY, notes={401: "wrong name or password, or the account is deactivated"}),
)
async def create_token(request: Request, studio: StudioDep, body: TokenIn) -> TokenOut:
    """A new API token for your account (name and password; any role). It expires after `expires_in_days`
    (default: the server's `token_days` setting)."""
    address = request.client.host if request.client else None
    # password hashing (scrypt) takes tens of milliseconds: keep it off the event loop
    user = await anyio.to_thread.run_sync(studio.access.sign_in, body.name, body.password, address)
    days = body.expires_in_days or studio.settings.token_days
    made, token = await anyio.to_thread.run_sync(
        studio.access.new_api_token, user.name, None, body.label or "REST login", days
    )
    return TokenOut(
        token=token, id=made.id, name=user.name, role=user.role, label=made.label, expires_at=made.expires_at
    )


@router.get("/tokens", response_model=TokenListOut, responses=answers(401))
def list_tokens(user: Caller, studio: StudioDep) -> TokenListOut:
    """Your API tokens that still work (unrevoked, unexpired): number, label, created, expires, last used."""
    return TokenListOut(tokens=[_info(token) for token in studio.access.my_tokens(user.name)])


# Declared before ``/tokens/{token_id}``: "current" is not a number.
@router.delete("/tokens/current", response_model=TokenInfoOut, responses=answers(401))
def revoke_current_token(request: Request, user: Caller, studio: StudioDep) -> TokenInfoOut:
    """Revoke the token this request carries (log out a script); later requests with it get 401."""
    return _info(studio.access.revoke_my_token(user.name, request.state.api_token_id))


@router.delete(
    "/tokens/{token_id}",
    response_model=TokenInfoOut,
    responses=answers(401, 404, notes={404: "none of your working tokens"}),
)
def revoke_token(
    user: Caller, studio: StudioDep, token_id: int = Path(description=f"a number from GET /tokens, 1 to {MAX_ID}")
) -> TokenInfoOut:
    """Revoke one of your working tokens. Any other number (unknown, revoked, expired or another account's)
    answers the same 404."""
    return _info(studio.access.revoke_my_token(user.name, token_id))
