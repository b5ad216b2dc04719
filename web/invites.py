"""One-time invite pages under ``/invite/<token>``: GET shows the form, POST creates the account and
sends the person to the login page. Outside the login (the token is the credential)."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
import html
from typing import Annotated
from urllib.parse import urlencode

import fastapi
from fastapi import Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from errors import Conflict, StudioError
from orchestration.access import LoginThrottled
from web.context import web_context
from web.pages import error_paragraph, page

_FORM = """{error}
<p>{intro}</p>
<form method="post" autocomplete="off">
<label for="name">Your name (how you log in)</label>
<input id="name" name="name" required maxlength="100" value="{name}" autocomplete="username"{name_attrs}>
<label for="password">Password (at least 8 characters)</label>
<input id="password" name="password" type="password" required minlength="8" autocomplete="new-password"
{password_attrs}>
<label for="password2">The same password again</label>
<input id="password2" name="password2" type="password" required minlength="8" autocomplete="new-password"
{password2_attrs}>
<button type="submit" id="create-account">Create my account</button>
</form>
<p class="hint">After this you log in with the name and password you chose. The link works once.</p>
"""

_GONE = """<p class="error">This invite link is unknown, already used or expired.</p>
<p>Ask an admin for a new link, or <a href="/">log in</a> if you already have an account.</p>
"""

_ROLE_WORDS = {
    "annotator": "an annotator (you label comparisons and grade responses)",
    "reviewer": "a reviewer (you label, read the judge's output and settle disagreements)",
    "admin": "an admin (you manage accounts, datasets and sessions)",
}

router = fastapi.APIRouter(include_in_schema=False)


#: The fields an error is about (s14 a11y finding 12): they are marked aria-invalid and the first takes the focus
#: (autofocus: the page's CSP runs no script), so the person is not left on the page's top after "The two passwords
#: differ"; with no error, the name field has the focus.
FIELDS = ("name", "password", "password2")


def _focus_attributes(wrong: tuple[str, ...]) -> dict[str, str]:
    focus = wrong[0] if wrong else "name"
    return {
        f"{field}_attrs": (' aria-invalid="true"' if field in wrong else "") + (" autofocus" if field == focus else "")
        for field in FIELDS
    }


def _form(
    role: str, name: str = "", error: str = "", status_code: int = 200, wrong: tuple[str, ...] = ()
) -> HTMLResponse:
    intro = f"You were invited to Judge Studio as {_ROLE_WORDS.get(role, 'a new user')}. Choose your name and password."
    body = _FORM.format(
        error=error_paragraph(error),
        intro=html.escape(intro),
        name=html.escape(name, quote=True),
        **_focus_attributes(wrong),
    )
    return page("Create your account", body, status_code)


def _gone() -> HTMLResponse:
    return page("Invite link not valid", _GONE, status.HTTP_410_GONE)


def _throttled(exc: LoginThrottled) -> HTMLResponse:
    shown = page("Too many invite links tried", error_paragraph(str(exc)), status.HTTP_429_TOO_MANY_REQUESTS)
    shown.headers["Retry-After"] = str(exc.retry_after)
    return shown


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None  # a trusted proxy's X-Forwarded-For applied


@router.get("/invite/{token}", response_class=HTMLResponse)
def invite_form(request: Request, token: str) -> HTMLResponse:
    try:  # a wrong link is counted and logged; too many from one address answer 429 (``Access.open_invite``)
        role = web_context(request).studio.access.open_invite(token, _address(request))
    except LoginThrottled as exc:
        return _throttled(exc)
    return _gone() if role is None else _form(role)


@router.post("/invite/{token}", response_class=HTMLResponse, response_model=None)
def invite_accept(
    request: Request,
    token: str,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    password2: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse | RedirectResponse:
    access = web_context(request).studio.access
    try:
        role = access.open_invite(token, _address(request))
    except LoginThrottled as exc:
        return _throttled(exc)
    if role is None:
        return _gone()
    if not name.strip():
        return _form(role, name, "Choose a name to log in with.", status.HTTP_400_BAD_REQUEST, ("name",))
    if password != password2:
        both = ("password", "password2")
        return _form(role, name, "The two passwords differ; type them again.", status.HTTP_400_BAD_REQUEST, both)
    try:
        created, _role = access.accept_invite(token, name, password, _address(request))
    except StudioError as exc:
        if access.invite_role(token) is None:
            return _gone()
        code = status.HTTP_409_CONFLICT if isinstance(exc, Conflict) else status.HTTP_400_BAD_REQUEST
        # a password the rules refuse, else the name (taken, or not allowed)
        wrong: tuple[str, ...] = ("password", "password2") if "password" in str(exc).lower() else ("name",)
        return _form(role, name, str(exc), code, wrong)
    # the login page says the account was created and fills in the name (escaped there)
    return RedirectResponse(
        f"/login?{urlencode({'created': 1, 'name': created})}", status_code=status.HTTP_303_SEE_OTHER
    )
