"""The one web app: the REST API under ``/api/v1``, one-time invite pages under ``/invite/<token>``,
and the Gradio UI at ``/`` behind Gradio's own login page (``auth=Access.login``), so every Gradio
handler gets ``request.username`` and checks the role itself.

``create_app(studio)`` returns a FastAPI app; ``judge-studio serve`` runs it with uvicorn. Routes are
added before Gradio is mounted at ``/``: Starlette matches in order, so ``/api/v1`` and ``/invite``
are never shadowed by the UI.
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
import html
from typing import Annotated

import anyio.to_thread
import fastapi
import gradio as gr
from fastapi import Form, status
from fastapi.responses import HTMLResponse, RedirectResponse

from orchestration import Studio, UserError
from ui.layout import build_ui, css_paths, head_html
from web.rest import API_PREFIX, api_router

LOGIN_MESSAGE = (
    "Log in with the name and password an admin gave you, or the account you created from an invite link. "
    "First start: the server printed the admin password (also in initial-admin-password.txt in its data folder)."
)

# The invite page is plain HTML with nothing from outside in it but escaped messages. It loads
# nothing (no script, no remote style), may not be framed and does not send the token on in a Referer.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Judge Studio · {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 28rem; margin: 4rem auto; padding: 0 1rem; color: #1f2937; }}
h1 {{ font-size: 1.4rem; }}
label {{ display: block; margin: 0.8rem 0 0.2rem; font-weight: 600; }}
input {{ width: 100%; padding: 0.5rem; font-size: 1rem; box-sizing: border-box; }}
button {{ margin-top: 1.2rem; padding: 0.6rem 1.2rem; font-size: 1rem; }}
.error {{ background: #fee2e2; border: 1px solid #f87171; padding: 0.6rem; border-radius: 4px; }}
.hint {{ color: #6b7280; font-size: 0.9rem; }}
</style>
</head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""

_FORM = """{error}
<p>{intro}</p>
<form method="post" autocomplete="off">
<label for="name">Your name (how you log in)</label>
<input id="name" name="name" required maxlength="100" value="{name}" autocomplete="username">
<label for="password">Password (at least 8 characters)</label>
<input id="password" name="password" type="password" required minlength="8" autocomplete="new-password">
<label for="password2">The same password again</label>
<input id="password2" name="password2" type="password" required minlength="8" autocomplete="new-password">
<button type="submit" id="create-account">Create my account</button>
</form>
<p class="hint">After this you log in on the <a href="/">Judge Studio</a> page. The link works once.</p>
"""

_GONE = """<p class="error">This invite link is unknown, already used or expired.</p>
<p>Ask an admin for a new link, or <a href="/">log in</a> if you already have an account.</p>
"""

_ROLE_WORDS = {
    "annotator": "an annotator (you label comparisons)",
    "reviewer": "a reviewer (you label, read the judge's output and settle disagreements)",
    "admin": "an admin (you manage accounts, datasets and sessions)",
}


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(title=html.escape(title), body=body), status_code=status_code, headers=_SECURITY_HEADERS
    )


def _form(role: str, name: str = "", error: str = "", status_code: int = 200) -> HTMLResponse:
    intro = f"You were invited to Judge Studio as {_ROLE_WORDS.get(role, 'a new user')}. Choose your name and password."
    body = _FORM.format(
        error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
        intro=html.escape(intro),
        name=html.escape(name, quote=True),
    )
    return _page("Create your account", body, status_code)


def invite_router(studio: Studio) -> fastapi.APIRouter:
    """GET shows the form, POST creates the account and sends the person to the login page."""
    router = fastapi.APIRouter(include_in_schema=False)

    @router.get("/invite/{token}", response_class=HTMLResponse)
    def invite_form(token: str) -> HTMLResponse:
        role = studio.access.invite_role(token)
        if role is None:
            return _page("Invite link not valid", _GONE, status.HTTP_410_GONE)
        return _form(role)

    @router.post("/invite/{token}", response_class=HTMLResponse, response_model=None)
    def invite_accept(
        token: str,
        name: Annotated[str, Form(max_length=200)] = "",
        password: Annotated[str, Form(max_length=1000)] = "",
        password2: Annotated[str, Form(max_length=1000)] = "",
    ) -> HTMLResponse | RedirectResponse:
        role = studio.access.invite_role(token)
        if role is None:
            return _page("Invite link not valid", _GONE, status.HTTP_410_GONE)
        if not name.strip():
            return _form(role, name, "Choose a name to log in with.", status.HTTP_400_BAD_REQUEST)
        if password != password2:
            return _form(role, name, "The two passwords differ; type them again.", status.HTTP_400_BAD_REQUEST)
        try:
            studio.access.accept_invite(token, name, password)
        except UserError as exc:
            gone = studio.access.invite_role(token) is None
            if gone:
                return _page("Invite link not valid", _GONE, status.HTTP_410_GONE)
            code = status.HTTP_409_CONFLICT if "taken" in str(exc) else status.HTTP_400_BAD_REQUEST
            return _form(role, name, str(exc), code)
        return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)

    return router


def create_app(studio: Studio) -> fastapi.FastAPI:
    """The REST API, the invite pages and the Gradio UI (behind its login page) in one FastAPI app."""
    app = fastapi.FastAPI(
        title="Judge Studio API",
        version="1",
        description=(
            "Comparisons, labels (idempotent submit), metrics and exports of Judge Studio. Authenticate with "
            "`Authorization: Bearer <token>`; `judge-studio users token NAME` prints a token."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.include_router(api_router(studio))
    app.include_router(invite_router(studio))

    async def login(name: str, password: str) -> bool:
        # password hashing (scrypt) takes tens of milliseconds: keep it off the event loop
        return await anyio.to_thread.run_sync(studio.access.login, name, password)

    blocks = build_ui(studio)
    blocks.queue(default_concurrency_limit=4)
    return gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        auth=login,
        auth_message=html.escape(LOGIN_MESSAGE),
        head=head_html(),
        css_paths=css_paths(),
        footer_links=["api"],
    )
