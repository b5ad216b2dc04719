"""The one web app: the REST API under ``/api/v1``, the login page, one-time invite pages under
``/invite/<token>``, and the Gradio UI at ``/`` behind the login, so every Gradio handler gets
``request.username`` and checks the role itself.

``create_app(studio)`` returns a FastAPI app; ``judge-studio serve`` runs it with uvicorn. Routes are
added before Gradio is mounted at ``/``: Starlette matches in order, so ``/api/v1``, ``/login``,
``/logout`` and ``/invite`` are ours, never the UI's. The middleware, outermost first: a trusted
proxy's X-Forwarded-* (only from ``settings.forwarded_allow_ips``; ``TrustedProxy``), ``no-store`` on
private answers (``NoStore``), the outage boundary, ``/healthz`` (``Health``), ``WebSecurity`` (cross-site
requests, headers, the login form), request body sizes (``BodyLimit``), CORS allowing no other origin,
``FileGuard`` (uploads and downloads). See docs/SECURITY.md for the threat model.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from starlette.middleware.cors import CORSMiddleware

from orchestration import Studio
from web import invites, login
from web.caching import NoStore
from web.context import WebContext, origin_of, web_context
from web.errors import install_error_boundary
from web.health import Health
from web.limits import BodyLimit
from web.methods import HeadAsGet, install_method_answers
from web.outage import install_outage_boundary
from web.proxy import TrustedProxy
from web.routes import API_PREFIX, ROUTERS
from web.security import WebSecurity
from web.sessions import SessionSigner
from web.uploads import FileGuard

__all__ = ["create_api_app", "create_app", "web_context", "worker_app"]


def _context(studio: Studio, upload_dir: str) -> WebContext:
    settings = studio.settings
    public = origin_of(settings.public_url) if settings.public_url else None
    if settings.public_url and public is None:
        raise ValueError(f"public_url {settings.public_url!r} is not an http(s) URL such as https://judge.example.org")
    signer = SessionSigner(Path(settings.home), hours=settings.session_hours, store=studio.store)
    return WebContext(studio=studio, signer=signer, upload_dir=Path(upload_dir), public_origin=public)


def _api_app(studio: Studio) -> FastAPI:
    app = FastAPI(
        title="Judge Studio API",
        version="1",
        description=(
            "Comparisons, labels (idempotent submit), metrics and exports of Judge Studio. Authenticate with "
            "`Authorization: Bearer <token>`: `POST /api/v1/tokens` with your name and password, or "
            "`judge-studio users token NAME` on the server, gives you one."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served by _local_docs: FastAPI's own page loads Swagger UI from a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=_thread_budget(studio.settings.api_threads),
    )
    install_error_boundary(app)
    _local_docs(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(login.router)
    app.include_router(invites.router)
    install_method_answers(app, API_PREFIX)  # the last /api/v1 route: a wrong method is a 405, not Gradio's 404
    return app


def _thread_budget(threads: int) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The lifespan that sets how many threads run the REST API's (synchronous) requests at once:
    ``api_threads``, Starlette's default being 40. Why fewer: every write transaction holds one lock for
    the whole database, and the thread holding it shares Python's GIL with every other thread of its
    process; with 40 runnable threads it crawls and everyone waits on it. Gradio's events have their own
    limiter and are not affected. Measured in docs/NOTES.md ("Several REST workers")."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = max(1, int(threads))
        yield

    return lifespan


def _local_docs(app: FastAPI) -> None:
    """The interactive API docs with Swagger UI's files from the ``swagger-ui-py`` package (Swagger UI 5, which
    reads FastAPI's OpenAPI 3.1), so the page works offline and under a CSP that allows nothing from other
    origins. Only the package's ``static`` folder is used (found without importing the package)."""
    import importlib.util

    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - a declared dependency
        return
    assets = f"{API_PREFIX}/docs/assets"
    folder = Path(list(spec.submodule_search_locations)[0]) / "static"
    app.mount(assets, StaticFiles(directory=folder), name="swagger-assets")

    @app.get(f"{API_PREFIX}/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{API_PREFIX}/openapi.json",
            title="Judge Studio API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
        )


def create_app(studio: Studio) -> FastAPI:
    """The REST API, the login and invite pages and the Gradio UI (behind the login) in one FastAPI app.
    Gradio and the UI are imported here, not at the top: ``serve-api``'s workers never load them."""
    import gradio as gr
    from gradio.utils import get_upload_folder

    from ui.layout import TAB_ROLES, build_ui, css_paths, head_html
    from web.role_markup import RoleMarkup

    settings = studio.settings
    studio.access.limit_logins(settings.login_attempts)
    web = _context(studio, get_upload_folder())
    app = _api_app(studio)
    app.state.web = web

    from web import login_state  # the draft script's login check (imports the UI: app server only)

    app.include_router(login_state.router)  # before Gradio is mounted at "/"
    blocks = build_ui(studio)
    _lighter_gradio_events()
    blocks.queue(default_concurrency_limit=4)
    app = gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        auth_dependency=web.signed_in_user,  # async: the database read runs off the event loop
        head=head_html(),
        css_paths=css_paths(),
        # no footer: Gradio's "Use via API" listed every UI endpoint (admin ones too) to annotators (s12); the
        # REST API's docs are at /api/v1/docs
        footer_links=[],
        max_file_size=f"{max(1, settings.max_upload_mb)}mb",
    )
    # innermost first: Starlette runs the last one added first
    app.add_middleware(FileGuard, web=web, runnable=_runnable(blocks))
    # a role's page carries no words of the tabs it cannot open (web/role_markup.py)
    app.add_middleware(RoleMarkup, web=web, blocks=blocks, tab_roles=TAB_ROLES)
    return _secured(app, web)


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration plus the security log (``orchestration.access.SECURITY_LOG``: logins,
    account and invite changes, refused requests) on the same console, one line per event, with its time."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    from orchestration.access import SECURITY_DATEFMT, SECURITY_FORMAT

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["security"] = {
        "()": "uvicorn.logging.DefaultFormatter",
        "fmt": SECURITY_FORMAT,
        "datefmt": SECURITY_DATEFMT,
        "use_colors": None,
    }
    config["handlers"]["security"] = {
        "formatter": "security",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["judge_studio.security"] = {"handlers": ["security"], "level": "INFO", "propagate": False}
    # a database outage: one line when it starts, at most one a minute while it lasts, one when it ends
    config["loggers"]["judge_studio.database"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def _runnable(blocks: Any) -> Callable[[int], bool]:
    """Whether a Gradio ``fn_index`` names one of the page's functions that runs on the server (a call naming
    another one made Gradio log a 12-line traceback: ``web/uploads.py`` answers it 400 instead)."""

    def runnable(index: int) -> bool:
        found = blocks.fns.get(index)
        return found is not None and found.fn is not None

    return runnable


def _lighter_gradio_events() -> None:
    """Two costs Gradio adds to every UI event that this app gains nothing from (measured with py-spy on
    ``bench/annotation_latency.py``'s submits, ~4-5 ms of the server's ~23 ms of CPU per submit):

    - its queue rebuilds a pandas summary of the last 10,000 events after each event, for Gradio's own
      monitoring page (which this app does not serve); ``GRADIO_ANALYTICS_CACHE_FREQUENCY`` (read when the
      queue is created) makes that once per 1,000 events;
    - it imports matplotlib around each event to pin the "agg" backend; where matplotlib is not
      installed (it is not a dependency) each failed import scans ``sys.path`` twice. Marking it absent
      in ``sys.modules`` makes the import fail at once, as it would anyway.

    Both are process-wide and both leave an operator's own choice alone."""
    import importlib.util
    import os
    import sys

    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    if "matplotlib" not in sys.modules and importlib.util.find_spec("matplotlib") is None:
        sys.modules["matplotlib"] = None  # type: ignore[assignment]


def create_api_app(studio: Studio) -> FastAPI:
    """The REST API (with the login and invite pages, and a plain ``/`` saying so) without the Gradio
    UI: what each worker process of ``judge-studio serve-api`` serves. Same security middleware; the one
    upload is REST's ``POST /datasets/import`` (``max_upload_mb``)."""
    studio.access.limit_logins(studio.settings.login_attempts)
    web = _context(studio, str(Path(studio.settings.home) / "uploads"))
    app = _api_app(studio)
    app.state.web = web
    _api_only_root(app, studio.settings.public_url)
    return _secured(app, web)


def _api_only_root(app: FastAPI, public_url: str | None) -> None:
    """``/`` on the API-only server: a short plain answer saying where things are, instead of a 404. The
    login and invite pages stay (a login's cookie works on every server of the database, and invite
    links may point here) and end on ``/`` as on the app server, so they land on this answer."""
    where = f" at {public_url.rstrip('/')}" if public_url else ""
    text = (
        "Judge Studio: this server serves the REST API only (docs: /api/v1/docs).\n"
        f"The pages (Grade, Annotate, Dashboard, Admin, ...) are on the app server (judge-studio serve){where}.\n"
    )

    @app.get("/", include_in_schema=False)
    def api_only() -> PlainTextResponse:
        return PlainTextResponse(text)


def worker_app() -> FastAPI:
    """uvicorn's app factory in each ``serve-api`` worker process. The parent process opened the database
    first (migrations, demo data) and put every setting in the ``JUDGE_STUDIO_*`` environment, so a
    worker only connects."""
    from dataclasses import replace

    from settings import Settings

    settings = replace(Settings.from_env(), seed_demo=False, judge_demo_on_start=False)
    return create_api_app(Studio.open(settings))


def _secured(app: FastAPI, web: WebContext) -> FastAPI:
    """The outer middleware, innermost first (Starlette runs the last one added first)."""
    # No origin is allowed: the app's own pages are same-origin and need no CORS. The middleware is
    # here so that Gradio's own handler (credentialed, any Origin when Host is not localhost) stands aside.
    app.add_middleware(CORSMiddleware, allow_origins=[], allow_credentials=False)
    app.add_middleware(BodyLimit, web=web)  # request bodies held to a size before they are read (web/limits.py)
    app.add_middleware(WebSecurity, web=web, docs_prefix=f"{API_PREFIX}/docs")
    app.add_middleware(Health, studio=web.studio)  # GET /healthz, for any Host (web/health.py)
    # around all of it (and inside the mounted Gradio app): an unreachable database is a 503 with a message
    install_outage_boundary(app)
    app.add_middleware(NoStore)  # Cache-Control: no-store but on static assets (web/caching.py)
    # X-Forwarded-* believed only from forwarded_allow_ips, X-Forwarded-Host only as public_url's host (web/proxy.py)
    app.add_middleware(TrustedProxy, trusted=web.studio.settings.forwarded_allow_ips, public_origin=web.public_origin)
    app.add_middleware(HeadAsGet, router=app.router)  # HEAD as GET without the body on our routes (web/methods.py)
    return app
