"""What every part of the web layer shares: the studio, the session signer, the app's own origin, the
upload folder and who owns which file. One object per app, kept in ``app.state.web``."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
from starlette.requests import HTTPConnection
from starlette.responses import Response

from errors import Forbidden
from orchestration import Studio
from web.proxy import host_of
from web.sessions import COOKIE_NAME, SessionSigner

ACCOUNT_CHECK_S = 5.0  # how long "this account is active" is believed before asking the database again
# Worker threads that check session cookies at once (``WebContext.signed_in_user``), apart from the REST API's
# ``api_threads``: a page or Gradio call does not wait for a slow export to free a thread.
SESSION_CHECK_THREADS = 8
DEFAULT_PORTS = {"http": 80, "https": 443}
# Hosts a request may name besides public_url's: the machine itself (admin scripts, health checks, a
# proxy that sends the upstream address as Host). A DNS-rebinding page cannot send these: its Host is
# the attacker's own name.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lower-case, without a default port; None if not http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != DEFAULT_PORTS[parts.scheme] else "")


class FileOwners:
    """Which signed-in user each file in the upload folder was uploaded by or handed to.

    Kept in memory (bounded): after a restart the old files belong to nobody and are refused, and
    their owners upload or export them again."""

    MAX_FILES = 50_000

    def __init__(self) -> None:
        self._owners: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(path: str | Path) -> str:
        return str(Path(path).resolve(strict=False))

    def grant(self, path: str | Path, user: str) -> None:
        key = self._key(path)
        with self._lock:
            if key not in self._owners and len(self._owners) >= self.MAX_FILES:
                self._owners.pop(next(iter(self._owners)))
            self._owners.setdefault(key, set()).add(user)

    def owns(self, path: str | Path, user: str | None) -> bool:
        with self._lock:
            return user is not None and user in self._owners.get(self._key(path), ())


class EventOwners:
    """Which signed-in user a Gradio session hash (``s:...``) or event id (``e:...``) belongs to.

    Gradio keys its event streams, state and cancellation by these client-chosen or random strings
    alone; the first signed-in user to use one owns it and every other user is refused. Bounded
    (least recently used dropped first): a dropped key is owned again by whoever uses it next, which
    needs the random string, as before."""

    MAX_KEYS = 100_000

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._max = max_keys
        self._lock = threading.Lock()

    def claim(self, key: str, user: str) -> bool:
        """True if ``key`` is ``user``'s (it is now, if it was nobody's); False if another user's."""
        with self._lock:
            owner = self._owners.get(key)
            if owner is None:
                if len(self._owners) >= self._max:
                    self._owners.popitem(last=False)
                self._owners[key] = user
                return True
            self._owners.move_to_end(key)
            return owner == user

    def __len__(self) -> int:
        return len(self._owners)


@dataclass
class WebContext:
    studio: Studio
    signer: SessionSigner
    upload_dir: Path
    public_origin: str | None = None
    files: FileOwners = field(default_factory=FileOwners)
    events: EventOwners = field(default_factory=EventOwners)
    _active: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _checkers: anyio.CapacityLimiter | None = None  # made in the server's event loop, on first use

    # ------------------------------------------------------------------ who is asking
    def user_of(self, conn: HTTPConnection) -> str | None:
        """The signed-in user of a browser request (session cookie), or None."""
        session = self.signer.read(conn.cookies.get(COOKIE_NAME))
        if session is None:
            return None
        return session.name if self._active_account(session.name) else None

    async def signed_in_user(self, conn: HTTPConnection) -> str | None:
        """``user_of`` for the async middleware and Gradio's login check, run in a worker thread: it reads the
        database (is the cookie logged out, is the account active), and a database connect that hangs must
        not stop the event loop, and with it every other request, until the connect gives up (s14). An
        unreachable database still raises here, for ``web/outage.py`` to answer 503."""
        if not conn.cookies.get(COOKIE_NAME):
            return None  # nothing to look up: no thread needed
        if self._checkers is None:
            self._checkers = anyio.CapacityLimiter(SESSION_CHECK_THREADS)
        return await anyio.to_thread.run_sync(self.user_of, conn, limiter=self._checkers)

    async def may(self, name: str, role: str) -> bool:
        """Whether the account ``name`` has ``role`` (or a higher one), read in a worker thread as above."""
        if self._checkers is None:
            self._checkers = anyio.CapacityLimiter(SESSION_CHECK_THREADS)
        return await anyio.to_thread.run_sync(lambda: self.studio.access.user(name).can(role), limiter=self._checkers)

    def _active_account(self, name: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._active.get(name, 0.0) > now:
                return True
        try:
            self.studio.access.user(name)
        except Forbidden:  # no such account, or a deactivated one
            return False
        with self._lock:
            if len(self._active) > 10_000:
                self._active.clear()
            self._active[name] = now + ACCOUNT_CHECK_S
        return True

    def forget_account(self, name: str) -> None:
        with self._lock:
            self._active.pop(name, None)

    # ------------------------------------------------------------------ where it is served
    def own_origins(self, conn: HTTPConnection) -> set[str]:
        """The origins this app is served on: ``public_url`` and the one the request was sent to
        (its scheme, after a trusted proxy's X-Forwarded-Proto, and its Host header)."""
        origins = {self.public_origin} if self.public_origin else set()
        host = conn.headers.get("host")
        if host:
            found = origin_of(f"{conn.url.scheme}://{host}")
            if found:
                origins.add(found)
        return origins

    def host_problem(self, conn: HTTPConnection) -> str | None:
        """Why this request's Host is not one this app answers for, or None. Only with ``public_url``:
        its host and port (none, or the scheme's default, is the default port), or loopback (any port).
        Stops DNS rebinding: a page of another site that makes its own name point at this server sends that
        name as Host. The rule is ``web/proxy.py``'s for ``X-Forwarded-Host`` (``host_of``)."""
        if not self.public_origin:
            return None
        public = urlsplit(self.public_origin)
        sent = conn.headers.get("host", "")
        found = host_of(sent, public.scheme)
        if found is not None and (found == host_of(public.netloc, public.scheme) or found[0] in LOOPBACK_HOSTS):
            return None
        return f"This server answers only for {public.netloc} (public_url), not for the host {sent[:100]!r}."

    def is_https(self, conn: HTTPConnection) -> bool:
        if conn.url.scheme == "https":
            return True
        public = self.public_origin or ""
        return public.startswith("https://") and origin_of(f"https://{conn.headers.get('host', '')}") == public

    # ------------------------------------------------------------------ the cookie
    def set_session(self, response: Response, conn: HTTPConnection, name: str, account_id: int | None) -> None:
        """The login cookie of the account ``account_id`` called ``name`` (``SessionSigner.issue``)."""
        response.set_cookie(
            COOKIE_NAME,
            self.signer.issue(name, account_id),
            max_age=self.signer.max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.is_https(conn),
        )

    def clear_session(self, response: Response, conn: HTTPConnection) -> None:
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=self.is_https(conn))


def web_context(conn: HTTPConnection) -> WebContext:
    """The shared object of the app serving this request."""
    context: WebContext = conn.app.state.web
    return context
