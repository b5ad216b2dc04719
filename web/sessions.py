"""Browser logins that survive a restart: signed session cookies with an expiry, and logout.

Why signed cookies and not Gradio's login: Gradio keeps its login tokens in a dict in memory, so
every restart logged everyone out. Here the cookie itself says who and since when
(``name``, a random session id, the issue time), signed with HMAC-SHA256 under a secret kept in the
data folder (``session-secret``, mode 600). A restart reads the same secret, so cookies stay valid
until ``session_hours`` after login. Logging out records the session id as revoked in the database
(``revoked_sessions``, until the cookie would have expired anyway), so a copy of the cookie stops
working too, on every app server sharing that database (each of them needs the same
``session-secret``). Older versions kept the revoked ids in ``revoked-sessions.json`` beside the
secret; that file is imported into the table once at start and renamed ``.imported``. Every use
also checks that the account still exists and is active: deactivating an account ends its sessions
at once.

Deleting ``session-secret`` logs everybody out.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

SECRET_FILE = "session-secret"
REVOKED_FILE = "revoked-sessions.json"  # where versions before 0013 kept logouts; imported once at start
IMPORTED_SUFFIX = ".imported"
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


class RevocationStore(Protocol):
    """What ``RevokedSessions`` needs of the store (``annotation_store.Store`` has both)."""

    def revoke_browser_sessions(self, expiries: Mapping[str, datetime], forget_before: datetime) -> None: ...

    def browser_session_revoked(self, session_id: str) -> bool: ...


def _utc(seconds: float) -> datetime:
    """Epoch seconds as the store's timestamps: naive UTC."""
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


class RevokedSessions:
    """Session ids logged out before their expiry, in the database (``revoked_sessions``), so every app
    server of a deployment refuses a logged-out cookie, not only the one that logged it out.

    Each check is one primary-key read. Only "revoked" answers are remembered in this process (a
    logout never goes back); "not revoked" is asked every time, else a logout on another server would
    be missed here for as long as it was remembered."""

    CACHE_MAX = 10_000

    def __init__(self, store: RevocationStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()
        self._known: set[str] = set()

    def _remember(self, session_id: str) -> None:
        with self._lock:
            if len(self._known) >= self.CACHE_MAX:
                self._known.clear()
            self._known.add(session_id)

    def __contains__(self, session_id: object) -> bool:
        if not isinstance(session_id, str):
            return False
        with self._lock:
            if session_id in self._known:
                return True
        if not self.store.browser_session_revoked(session_id):
            return False
        self._remember(session_id)
        return True

    def add(self, session_id: str, until: float) -> None:
        """Log out ``session_id`` until ``until`` (epoch seconds, when its cookie expires anyway)."""
        self.store.revoke_browser_sessions({session_id: _utc(until)}, forget_before=_utc(self.clock()))
        self._remember(session_id)

    def import_file(self, path: Path) -> int:
        """Move the logouts of an older version (``revoked-sessions.json``: session id -> expiry in epoch
        seconds) into the database, then rename the file to ``<name>.imported`` so it is read only once.
        Returns how many ids the file held (expired ones are not stored). Several processes starting
        at once may each import it: storing an id twice is a no-op, and the rename happens once."""
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            return 0
        try:
            found = json.loads(text)
            if not isinstance(found, dict):
                raise ValueError("not a JSON object")
            expiries = {str(sid): _utc(float(until)) for sid, until in found.items() if 0 < len(sid) <= 64}
        except (ValueError, TypeError, OverflowError) as exc:
            raise ValueError(
                f"{path} (logged-out sessions of an older version) is not a JSON object of session id -> "
                f"expiry in seconds ({exc}); fix it, or delete it to forget those logouts."
            ) from None
        if expiries:
            self.store.revoke_browser_sessions(expiries, forget_before=_utc(self.clock()))
        with contextlib.suppress(FileNotFoundError):  # another process imported and renamed it first
            os.replace(path, path.with_name(path.name + IMPORTED_SUFFIX))
        return len(found)


class SessionSigner:
    """Issues and checks session cookies (see the module's docstring)."""

    def __init__(
        self, home: Path, hours: float, store: RevocationStore, clock: Callable[[], float] = time.time
    ) -> None:
        self.secret = load_secret(home)
        self.hours = float(hours)
        self.clock = clock
        self.revoked = RevokedSessions(store, clock)
        self.revoked.import_file(home / REVOKED_FILE)

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
