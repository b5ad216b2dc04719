"""What every part of the web layer shares: the studio, the session signer, the app's own origin, the
upload folder and who owns which file. One object per app, kept in ``app.state.web``."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import Response

from orchestration import Studio
from web.sessions import COOKIE_NAME, SessionSigner

ACCOUNT_CHECK_S = 5.0  # how long "this account is active" is believed before asking the database again
DEFAULT_PORTS = {"http": 80, "https": 443}


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


@dataclass
class WebContext:
    studio: Studio
    signer: SessionSigner
    upload_dir: Path
    public_origin: str | None = None
    files: FileOwners = field(default_factory=FileOwners)
    _active: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ who is asking
    def user_of(self, conn: HTTPConnection) -> str | None:
        """The signed-in user of a browser request (session cookie), or None."""
        session = self.signer.read(conn.cookies.get(COOKIE_NAME))
        if session is None:
            return None
        return session.name if self._active_account(session.name) else None

    def _active_account(self, name: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._active.get(name, 0.0) > now:
                return True
        found = self.studio.store.account(name)
        if found is None or not found[4]:
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

    def is_https(self, conn: HTTPConnection) -> bool:
        if conn.url.scheme == "https":
            return True
        public = self.public_origin or ""
        return public.startswith("https://") and origin_of(f"https://{conn.headers.get('host', '')}") == public

    # ------------------------------------------------------------------ the cookie
    def set_session(self, response: Response, conn: HTTPConnection, name: str) -> None:
        response.set_cookie(
            COOKIE_NAME,
            self.signer.issue(name),
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
