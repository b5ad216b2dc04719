"""Browser logins that survive a restart: signed session cookies with an expiry, and logout.

Why signed cookies and not Gradio's login: Gradio keeps its login tokens in a dict in memory, so
every restart logged everyone out. Here the cookie itself says who and since when
(``name``, the account's id, a random session id, the issue time), signed with HMAC-SHA256 under the deployment's
signing secret. That secret is kept in the database (``app_secrets``, name ``session``, migration
0015), made by whichever app server starts first, so every server on one database (several behind a
load balancer, or a restart on another machine) accepts the cookies of the others with nothing copied
between machines, and cookies stay valid until ``session_hours`` after login. Older versions kept the
secret in ``session-secret`` in each data folder: at start that file is adopted into the database if
the database has none yet (cookies signed with it stay signed right) and renamed ``.imported``; if the
database already holds another secret, the database's is used and a warning names the file.

Logging out records the session id as revoked in the database (``revoked_sessions``, until the
cookie would have expired anyway), so a copy of the cookie stops working too, on every app server
sharing that database. Older versions kept the revoked ids in ``revoked-sessions.json``; that file
is imported into the table once at start and renamed ``.imported``. Every use also checks that the
account still exists and is active, and that the cookie was issued after the account was last signed
out (``annotators.signed_out_at``, migration 0016: set by a password change, a deactivation and
``judge-studio users sign-out NAME``), so those end the account's logins on every server at once, and
reactivating the account does not bring them back. The issue time is kept to the millisecond, so a
login right after a sign-out works.

The cookie names its account by id as well as by name, and is refused unless the account with that id still
holds that name (s15 rolesec, finding 2): before, a cookie named the account by name alone, so after a row was
renamed (a DBA, a restore) and a new account, an admin, was given the old name, the old annotator's cookie was an
admin's login. Cookies of older versions carry no id and are refused: everyone logs in once again after that
upgrade. A cookie issued before its account was made (``annotators.created_at``, a second of slack) is refused
too (s16 review, finding 6): SQLite hands a deleted row's id to the next account when it was the highest, so an
account deleted in the database (the app deletes none) and made again under its name would otherwise accept it.

``judge-studio users sign-out-everyone`` logs everybody out on purpose: it replaces the secret in the
database (``Store.rotate_shared_secret``), and every server reads the new one within
``SECRET_REFRESH_S`` seconds. API tokens are not signed with it (they are stored as digests) and keep
working.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from annotation_store.app_secrets import SESSION_SECRET

SECRET_NAME = SESSION_SECRET  # the row of ``app_secrets`` holding the signing secret: "session"
SECRET_REFRESH_S = 5.0  # how long a server signs with the secret it read before reading it again
SECRET_FILE = "session-secret"  # where versions before 0015 kept it, one per data folder; adopted at start
MAX_SECRET = 128  # app_secrets.value
REVOKED_FILE = "revoked-sessions.json"  # where versions before 0013 kept logouts; imported once at start
IMPORTED_SUFFIX = ".imported"
COOKIE_NAME = "judge_studio_session"

log = logging.getLogger(__name__)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SecretStore(Protocol):
    """What the signing key needs of the store (``annotation_store.Store`` has it)."""

    def shared_secret(self, name: str, *, adopt: str | None = None) -> str: ...


def _old_secret(path: Path) -> str | None:
    """The secret an older version kept in ``path`` (``session-secret``), or None if there is no file."""
    try:
        secret = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (UnicodeError, OSError) as exc:
        raise ValueError(f"{path} (an older version's session secret) cannot be read ({exc}); delete it.") from None
    if not 32 <= len(secret) <= MAX_SECRET:
        raise ValueError(
            f"{path} (an older version's session secret) is {len(secret)} characters, not 32 to {MAX_SECRET}; "
            "delete it (the secret in the database is used then; logins signed with the file's secret end)."
        )
    return secret


def load_secret(home: Path, store: SecretStore) -> bytes:
    """The deployment's signing secret: the database's (``app_secrets``, name ``session``), made there on
    first use. An older version's ``session-secret`` in ``home`` is adopted when the database has none
    yet, so its cookies stay valid, and renamed ``session-secret.imported`` (also when another server
    adopted the same value first). A file that differs from the database's secret is left alone, and a
    warning names it: the database wins, as every other server of the deployment uses that one."""
    path = home / SECRET_FILE
    old = _old_secret(path)
    secret = store.shared_secret(SECRET_NAME, adopt=old)
    if old is not None and old != secret:
        log.warning(
            "%s is not used: the database holds another session secret, which every app server uses "
            "(logins signed with the file's secret are refused); delete the file to silence this warning.",
            path,
        )
    elif old is not None:
        with contextlib.suppress(FileNotFoundError):  # another process on this data folder renamed it first
            os.replace(path, path.with_name(path.name + IMPORTED_SUFFIX))
    return secret.encode("utf-8")


class SigningKey:
    """The signing secret as this process last read it from the database, read again when older than
    ``SECRET_REFRESH_S`` (so ``users sign-out-everyone``, run anywhere, takes effect here) and when a
    cookie's signature does not match (so a cookie another server signed with a newer secret is
    accepted at once). Each read again is one primary-key read."""

    def __init__(self, home: Path, store: SecretStore, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.monotonic = monotonic
        self._current = (load_secret(home, store), monotonic())  # (secret, when read): replaced as one

    def current(self) -> bytes:
        secret, read_at = self._current
        if self.monotonic() - read_at >= SECRET_REFRESH_S:
            secret = self.reload()
        return secret

    def reload(self) -> bytes:
        """Read the secret from the database now."""
        secret = self.store.shared_secret(SECRET_NAME).encode("utf-8")
        self._current = (secret, self.monotonic())
        return secret


@dataclass(frozen=True)
class BrowserSession:
    name: str
    session_id: str
    issued_at: float  # epoch seconds, to the millisecond
    account_id: int  # the account the cookie was issued to (``annotators.id``): it must still hold ``name``

    def expires_at(self, hours: float) -> float:
        return self.issued_at + hours * 3600


class RevocationStore(Protocol):
    """What ``RevokedSessions`` needs of the store (``annotation_store.Store`` has both)."""

    def revoke_browser_sessions(self, expiries: Mapping[str, datetime], forget_before: datetime) -> None: ...

    def browser_session_revoked(self, session_id: str) -> bool: ...

    def browser_session_ended(self, session_id: str, name: str, issued_at: datetime, account_id: int) -> bool: ...


class SessionStore(RevocationStore, SecretStore, Protocol):
    """What ``SessionSigner`` needs of the store."""

    def account(self, name: str) -> tuple[int, str, str, str, bool] | None: ...


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

    def ended(self, found: BrowserSession) -> bool:
        """Whether this login was logged out, its account no longer holds its name, or its account was signed out
        after it was issued or made after it (``Store.browser_session_ended``): one database read (indexed
        lookups), unless this process already knows it ended."""
        with self._lock:
            if found.session_id in self._known:
                return True
        issued = _utc(found.issued_at)
        if not self.store.browser_session_ended(found.session_id, found.name, issued, found.account_id):
            return False
        self._remember(found.session_id)  # an ended login never comes back
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

    def __init__(self, home: Path, hours: float, store: SessionStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.key = SigningKey(home, store)
        self.hours = float(hours)
        self.clock = clock
        self.revoked = RevokedSessions(store, clock)
        self.revoked.import_file(home / REVOKED_FILE)

    @property
    def max_age(self) -> int:
        return int(self.hours * 3600)

    @staticmethod
    def _signature(secret: bytes, payload: str) -> str:
        return _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())

    def _signed(self, payload: str, signature: str) -> bool:
        """Whether ``signature`` is the current secret's. On a mismatch the secret is read again first:
        another server may already sign with a newer one (after ``sign_out_everyone``)."""
        if hmac.compare_digest(signature, self._signature(self.key.current(), payload)):
            return True
        return hmac.compare_digest(signature, self._signature(self.key.reload(), payload))

    def issue(self, name: str, account_id: int | None = None) -> str:
        """A cookie value for the account ``account_id`` called ``name``, valid for ``hours`` from now. The login
        passes the id of the account whose password it checked; without one (tests, scripts) the account now
        called ``name`` is read (none: a cookie every check refuses)."""
        if account_id is None:
            found = self.store.account(name)
            account_id = found[0] if found is not None else 0
        # to the millisecond, rounded down: a login a moment after its account's sign-out is not refused
        stamp = math.floor(self.clock() * 1000) / 1000
        body = {"u": name, "i": account_id, "s": secrets.token_urlsafe(16), "t": stamp}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode("utf-8"))
        return f"{payload}.{self._signature(self.key.current(), payload)}"

    def read(self, value: str | None) -> BrowserSession | None:
        """The session in a cookie value: None when unsigned, tampered with, expired, logged out, of an older
        version (no account id) or of an account that no longer holds the name it names."""
        if not value or len(value) > 4096 or value.count(".") != 1:
            return None
        payload, signature = value.split(".")
        try:
            if not self._signed(payload, signature):
                return None
            body = json.loads(_unb64(payload))
            account_id = body["i"]
            if type(account_id) is not int:  # an older version's cookie has none: refused (log in again)
                return None
            found = BrowserSession(str(body["u"]), str(body["s"]), float(body["t"]), account_id)
        except (ValueError, KeyError, TypeError, UnicodeError):
            return None
        now = self.clock()
        if not (found.issued_at - 60 <= now < found.expires_at(self.hours)) or self.revoked.ended(found):
            return None
        return found

    def revoke(self, value: str | None) -> BrowserSession | None:
        """Log out the session in this cookie value (a no-op for an invalid one)."""
        found = self.read(value)
        if found is not None:
            self.revoked.add(found.session_id, found.expires_at(self.hours))
        return found
