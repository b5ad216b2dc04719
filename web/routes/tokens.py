"""``POST /api/v1/tokens``: a REST API token for a name and password, so a person (or their script)
can get one without the server's command line. Throttled like the login form, per account and per
address; the token is shown once (only its digest is stored)."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
import anyio.to_thread
from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field

from web.routes.common import API_PREFIX, ERRORS, Problem, StudioDep

router = APIRouter(prefix=API_PREFIX, responses=ERRORS, tags=["access"])


class TokenIn(BaseModel):
    name: str = Field(max_length=200)
    password: str = Field(max_length=1000)
    label: str = Field(default="", max_length=100, description="what the token is for (shown to admins)")


class TokenOut(BaseModel):
    token: str = Field(description="send as 'Authorization: Bearer <token>'; shown once")
    name: str
    role: str


@router.post(
    "/tokens",
    response_model=TokenOut,
    status_code=status.HTTP_201_CREATED,
    responses={429: {"model": Problem, "description": "too many failed logins lately"}},
)
async def create_token(request: Request, studio: StudioDep, body: TokenIn) -> TokenOut:
    """A new API token for your account (name and password; any role)."""
    address = request.client.host if request.client else None
    # password hashing (scrypt) takes tens of milliseconds: keep it off the event loop
    user = await anyio.to_thread.run_sync(studio.access.sign_in, body.name, body.password, address)
    token = await anyio.to_thread.run_sync(studio.access.api_token, user.name, None, body.label or "REST login")
    return TokenOut(token=token, name=user.name, role=user.role)
