"""``GET /login/state``: whether the browser's login (the session cookie) still holds, for the app page's draft
script (``static/drafts.js``).

A tab left open on the app page after its login ended (it expired, everyone was signed out, the account was
deactivated, Log out in another tab) kept the answer drafts in its sessionStorage until it next called the
server; and after another account logged in in the same browser, the tab (still showing the first account's
page) would put the first account's drafts back onto the second account's items. The page asks this route now
and then (when it is shown again, gets the focus, on a timer, and before a draft is put back); on 401, or on an
account that is not the page's, it removes the tab's drafts.

GET, no side effects (it reads the cookie as every request does: nothing is written or refreshed), JSON, never
cached. Only on the app server (``web.server.create_app``): the account value is ``ui.layout.draft_owner``, the
opaque value the page's Log out link carries, so this module imports the UI and ``serve-api`` never loads it.
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
import fastapi
from fastapi import Request
from fastapi.responses import JSONResponse

from ui.layout import draft_owner
from web.context import web_context

STATE_PATH = "/login/state"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

router = fastapi.APIRouter(include_in_schema=False)


@router.get(STATE_PATH, response_model=None)
def login_state(request: Request) -> JSONResponse:
    """200 ``{"signed_in": true, "account": <draft owner>}`` while the cookie's login holds, else 401
    ``{"signed_in": false}``. The account is the opaque draft owner, never the name."""
    name = web_context(request).user_of(request)
    if name is None:
        return JSONResponse({"signed_in": False}, status_code=401, headers=NO_STORE)
    return JSONResponse({"signed_in": True, "account": draft_owner(name)}, headers=NO_STORE)
