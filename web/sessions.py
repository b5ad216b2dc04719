"""Browser logins that survive a restart: signed session cookies with an expiry, and logout.

Why signed cookies and not Gradio's login: Gradio keeps its login tokens in a dict in memory, so
every restart logged everyone out. Here the cookie itself says who and since when
(``name``, a random session id, the issue time), signed with HMAC-SHA256 under a secret kept in the
data folder (``session-secret``, mode 600). A restart reads the same secret, so cookies stay valid
until ``session_hours`` after login. Logging out records the session id as revoked (in
``revoked-sessions.json`` beside the secret, until the cookie would have expired anyway), so a copy
of the cookie stops working too. Every use also checks that the account still exists and is
active: deactivating an account ends its sessions at once.

Deleting ``session-secret`` logs everybody out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SECRET_FILE = "session-secret"
REVOKED_FILE = "revoked-sessions.json"
COOKIE_NAME = "judge_studio_session"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_secret(home: Path) -> bytes:
    """The signing secret in ``home``, created (mode 600, never overwritten) on first use."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text(encoding="ascii").strip()
        if len(secret) < 32:
            raise ValueError(f"{path} is too short to be a session secret; delete it to make a new one.") from None
        return secret.encode("ascii")
    secret = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secret + "\n")
    return secret.encode("ascii")


@dataclass(frozen=True)
class BrowserSession:
    name: str
    session_id: str
    issued_at: int

    def expires_at(self, hours: float) -> float:
        return self.issued_at + hours * 3600


class RevokedSessions:
    """Session ids logged out before their expiry, in a small JSON file (re-read when another
    process changed it, so several workers on one machine agree)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        self._ids: dict[str, float] = {}
        self._mtime: float | None = None

    def _reload(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            self._ids, self._mtime = {}, None
            return
        if mtime != self._mtime:
            try:
                self._ids = {str(k): float(v) for k, v in json.loads(self.path.read_text("utf-8")).items()}
            except (ValueError, OSError):
                self._ids = {}
            self._mtime = mtime

    def __contains__(self, session_id: object) -> bool:
        with self._lock:
            self._reload()
            return session_id in self._ids

    def add(self, session_id: str, until: float) -> None:
        with self._lock:
            self._reload()
            now = self.clock()
            self._ids = {k: v for k, v in self._ids.items() if v > now}
            self._ids[session_id] = until
            staging = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
            fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self._ids, out)
            os.replace(staging, self.path)
            self._mtime = self.path.stat().st_mtime


class SessionSigner:
    """Issues and checks session cookies (see the module's docstring)."""

    def __init__(self, home: Path, hours: float, clock: Callable[[], float] = time.time) -> None:
        self.secret = load_secret(home)
        self.hours = float(hours)
        self.clock = clock
        self.revoked = RevokedSessions(home / REVOKED_FILE, clock)

    @property
    def max_age(self) -> int:
        return int(self.hours * 3600)

    def _signature(self, payload: str) -> str:
        return _b64(hmac.new(self.secret, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, name: str) -> str:
        """A cookie value for ``name``, valid for ``hours`` from now."""
        body = {"u": name, "s": secrets.token_urlsafe(16), "t": int(self.clock())}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode("utf-8"))
        return f"{payload}.{self._signature(payload)}"

    def read(self, value: str | None) -> BrowserSession | None:
        """The session in a cookie value: None when unsigned, tampered with, expired or logged out."""
        if not value or len(value) > 4096 or value.count(".") != 1:
            return None
        payload, signature = value.split(".")
        try:
            if not hmac.compare_digest(signature, self._signature(payload)):
                return None
            body = json.loads(_unb64(payload))
            found = BrowserSession(str(body["u"]), str(body["s"]), int(body["t"]))
        except (ValueError, KeyError, TypeError, UnicodeError):
            return None
        now = self.clock()
        if not (found.issued_at - 60 <= now < found.expires_at(self.hours)) or found.session_id in self.revoked:
            return None
        return found

    def revoke(self, value: str | None) -> BrowserSession | None:
        """Log out the session in this cookie value (a no-op for an invalid one)."""
        found = self.read(value)
        if found is not None:
            self.revoked.add(found.session_id, found.expires_at(self.hours))
        return found
