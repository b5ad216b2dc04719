"""The login page, ``POST /login`` and logout: our own, in place of Gradio's (see ``web.sessions``).

``POST /login`` takes the form fields Gradio's login used (``username``, ``password``), so
``gradio_client.Client(url, auth=(name, password))`` keeps working: a browser's form post is answered
with a redirect to the app, any other client with ``{"success": true}``; both get the session cookie.
Failed logins are throttled per account and per address (``Access.sign_in``).
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
import base64
import hashlib
import html
from pathlib import Path
from typing import Annotated

import anyio.to_thread
import fastapi
from fastapi import Form, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from errors import StudioError
from orchestration.access import ADMIN_PASSWORD_FILE
from web.context import origin_of, web_context
from web.errors import error_response, status_of
from web.methods import HEAD_ASKED
from web.pages import PAGE_HEADERS, error_paragraph, page
from web.sessions import COOKIE_NAME

LOGIN_MESSAGE = "Log in with the name and password an admin gave you, or the account you created from an invite link."
#: Added to ``LOGIN_MESSAGE`` only while the first admin is the one account that can log in (nobody has been
#: given an account yet) and the page is no invite sign-up's, sign-out's or logout's: an annotator who had just
#: created an account from an invite read about the admin password (s12 crowd finding 13).
FIRST_START_HINT = (
    "First start: the server printed the admin password (also in initial-admin-password.txt in its data folder): "
    'log in as admin with it. The start-up log names that file; see the README\'s "Accounts".'
)

#: What the login page says after ``?signed_out=1`` (the app page's script sends people here when
#: Gradio's API answered 401) and after ``?created=1`` (an invite sign-up).
SIGNED_OUT_NOTICE = (
    "You are signed out: log in again. Your login ended (everyone was signed out, it expired, the account "
    "was deactivated, or you logged out in another tab); your last answer was not saved."
)
CREATED_NOTICE = "Your account was created; log in with the name and password you chose."
#: After "Log out" (``/login?logged_out=1``): the person asked for it, so it says only that it worked.
LOGGED_OUT_NOTICE = "You are logged out."

_NOTICE = '<p class="notice" role="status" id="login-notice">{text}</p>'  # its colours: web/pages.py (dark too)

_FORM = """{notice}{error}
<p>{intro}</p>
<form method="post" action="/login" autocomplete="on">
<label for="username">Name</label>
<input id="username" name="username" type="text" required maxlength="200" value="{name}"
 autocomplete="username"{name_focus}>
<label for="password">Password</label>
<input id="password" name="password" type="password" required maxlength="1000" autocomplete="current-password"
{password_focus}>
<button type="submit" id="login">Login</button>
</form>
"""

_LOGOUT = """<p>Log out of Judge Studio?</p>
<form method="post" action="/logout"><button type="submit" id="logout">Log out</button></form>
<p class="hint"><a href="/">Back to Judge Studio</a></p>
"""

#: The login page removes the answer drafts ``static/drafts.js`` keeps in the tab's sessionStorage: whoever is
#: here is signed out (Log out, ``/logout`` typed, an expired login), and the next person at this computer must
#: not find the last one's unsent comment (s13 redteam). Inline, allowed by its hash alone (no other script runs).
_CLEAR_DRAFTS = (
    "try{const s=window.sessionStorage;for(const k of Object.keys(s))"
    "if(k.startsWith('[\"judge-studio-draft\",'))s.removeItem(k)}catch(e){}"
)
_CLEAR_HASH = base64.b64encode(hashlib.sha256(_CLEAR_DRAFTS.encode()).digest()).decode()
LOGIN_CSP = PAGE_HEADERS["Content-Security-Policy"].replace(
    "default-src 'none';", f"default-src 'none'; script-src 'sha256-{_CLEAR_HASH}';", 1
)

router = fastapi.APIRouter(include_in_schema=False)


def login_page(
    name: str = "", error: str = "", status_code: int = 200, notice: str = "", first_start: bool = False
) -> HTMLResponse:
    """The form; ``notice`` (plain text, escaped here) says why the person is here; ``first_start``: add
    where the first admin's password is (``FIRST_START_HINT``)."""
    shown = _NOTICE.format(text=html.escape(notice)) if notice else ""
    intro = f"{LOGIN_MESSAGE} {FIRST_START_HINT}" if first_start else LOGIN_MESSAGE
    # the name filled in (after an invite sign-up, or a failed login): the password takes the focus (s14 a11y 12)
    focus = {"name_focus": "" if name else " autofocus", "password_focus": " autofocus" if name else ""}
    body = _FORM.format(
        notice=shown, error=error_paragraph(error), intro=html.escape(intro), name=html.escape(name), **focus
    )
    response = page("Log in", f"{body}<script>{_CLEAR_DRAFTS}</script>\n", status_code)
    response.headers["Content-Security-Policy"] = LOGIN_CSP
    return response


def _notice_of(request: Request) -> str:
    """The notice a link to the login page asked for (fixed texts: nothing from the address is shown)."""
    if request.query_params.get("signed_out"):
        return SIGNED_OUT_NOTICE
    if request.query_params.get("created"):
        return CREATED_NOTICE
    if request.query_params.get("logged_out"):
        return LOGGED_OUT_NOTICE
    return ""


def _first_start(request: Request) -> bool:
    """Whether the login page should say where the first admin's password is: no notice asked for (an invite
    sign-up, a sign-out, a logout), no account but the first admin's can log in yet, and the password the server
    printed still holds: its file (``initial-admin-password.txt``) is removed when that account gets a new password
    (Admin page, ``users set``), and is never written when the admin was made otherwise (``users add``), so the
    hint no longer points at a password that does not work (s16). No login is recorded, so "the admin never
    logged in" itself cannot be told."""
    if _notice_of(request):
        return False
    studio = web_context(request).studio
    return studio.access.first_start() and (Path(studio.settings.home) / ADMIN_PASSWORD_FILE).is_file()


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def client_address(request: Request) -> str | None:
    """The caller's address (a trusted proxy's X-Forwarded-For already applied)."""
    return request.client.host if request.client else None


@router.get("/login", response_model=None)
def show_login(request: Request) -> Response:
    if web_context(request).user_of(request) is not None:
        return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    # an invite sign-up passes the new name along: it fills the name field (escaped, at most 200 characters)
    name = request.query_params.get("name", "")[:200] if request.query_params.get("created") else ""
    return login_page(name, notice=_notice_of(request), first_start=_first_start(request))


@router.post("/login", response_model=None)
async def log_in(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    web = web_context(request)
    try:
        # password hashing (scrypt) takes tens of milliseconds: keep it off the event loop
        user = await anyio.to_thread.run_sync(web.studio.access.sign_in, username, password, client_address(request))
    except StudioError as exc:
        if _wants_html(request):
            shown = login_page(username, str(exc), status_of(exc))
            retry_after = getattr(exc, "retry_after", None)  # a throttled login: as the JSON answer says it
            if retry_after is not None:
                shown.headers["Retry-After"] = str(retry_after)
            return shown
        return error_response(exc)
    response: Response
    if _wants_html(request):
        response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    else:
        response = JSONResponse({"success": True})
    web.set_session(response, request, user.name, user.account_id)
    return response


def _logged_out(request: Request) -> Response:
    web = web_context(request)
    found = web.signer.revoke(request.cookies.get(COOKIE_NAME))
    if found is not None:
        web.forget_account(found.name)
    # a fixed flag, never text from the request: the login page maps it to its own sentence
    response = RedirectResponse("/login?logged_out=1", status_code=status.HTTP_303_SEE_OTHER)
    web.clear_session(response, request)
    return response


@router.get("/logout", response_model=None)
def log_out_link(request: Request) -> Response:
    """The app's "Log out" link (same tab). A link on another site could point here too: then ask first
    (the form posts, and a POST passes the cross-site check). Logged out at once only when the browser says
    the link was on this app's own page: ``Sec-Fetch-Site: same-origin``, or, from a browser that does not
    send that header, a ``Referer`` of this origin (the app's pages send it: ``Referrer-Policy: same-origin``).
    A request with neither (a script, or a link typed or bookmarked) gets the page with the button."""
    fetch_site = request.headers.get("sec-fetch-site")
    if request.scope.get(HEAD_ASKED):  # HEAD (answered as this GET without the body) logs nobody out
        same = False
    elif fetch_site is not None:
        same = fetch_site == "same-origin"
    else:
        referer = request.headers.get("referer", "")
        same = bool(referer) and origin_of(referer) in web_context(request).own_origins(request)
    if not same:
        return page("Log out", _LOGOUT)
    return _logged_out(request)


@router.post("/logout", response_model=None)
def log_out(request: Request) -> Response:
    return _logged_out(request)
