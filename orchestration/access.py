"""Who may do what: logins, roles, invite links, API tokens, and the first admin account.

Every UI handler and REST endpoint asks ``Access.require(name, role)`` on the server, so a hidden
button's endpoint called directly over HTTP is refused all the same. Roles are ordered:
annotator < reviewer < admin (a reviewer may also label; an admin may do everything).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotation_store import ROLE_RANK, Account, Store
from annotation_store.accounts import ACCOUNT_COLUMNS, TOKEN_TOUCH_S, OpenInvite, TokenBearer, TokenInfo
from errors import Forbidden, InvalidInput, NotFound, NotSignedIn
from settings.table import BY_NAME

if TYPE_CHECKING:
    import pandas as pd

#: One line per login (success, failure, refusal while locked), account, role, invite and sign-out event, and
#: per cross-site request refused (``web/security.py``); ``serve`` and ``serve-api`` print it on their console,
#: the ``users`` commands on their stderr (actor ``'(command line)'``).
#: Names are written with ``%r`` (a name cannot forge a line); never a password, a token or an invite link.
SECURITY_LOG = logging.getLogger("judge_studio.security")
#: How a security line is printed (uvicorn's formatter: ``INFO:     2026-05-04 10:16:40 security: ...``), by the
#: servers (``web.server.log_config``) and by the ``users`` commands (``cli.users.security_log_printed``) alike.
SECURITY_FORMAT = "%(levelprefix)s %(asctime)s security: %(message)s"
SECURITY_DATEFMT = "%Y-%m-%d %H:%M:%S"


class AccessDenied(Forbidden):
    """The caller is not logged in, or their role does not allow this action."""


class WrongPassword(NotSignedIn):
    """The name or the password is wrong, or the account is deactivated: ``WRONG_LOGIN``, never saying which."""


#: What a failed login hears, by the form and ``POST /api/v1/tokens`` alike: a wrong name, a wrong password and a
#: deactivated account (whatever the password) are one answer, so a deactivated account's login cannot confirm a
#: guessed password (s15 rolesec, finding 3); the hint sends a deactivated person to an admin.
WRONG_LOGIN = "Incorrect name or password. If your account was deactivated, ask an admin."


class TokenEnded(NotSignedIn):
    """The request's API token is known but stopped working (HTTP 401 saying why and when, where an unknown
    token gets the generic 401): ``TokenRevoked`` or ``TokenExpired``."""


class TokenRevoked(TokenEnded):
    """The request's API token was revoked (by its owner, an admin, a sign-out, a deactivation, a new password)."""


class TokenExpired(TokenEnded):
    """The request's API token is known and unrevoked but past its ``expires_at`` (HTTP 401, saying so)."""


class LoginThrottled(Forbidden):
    """Too many failed logins for this account or from this address lately; ``retry_after`` in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InviteThrottled(LoginThrottled):
    """Too many wrong invite links from this address lately; ``retry_after`` in seconds."""


THROTTLE_WINDOW_S = 15 * 60


class LoginThrottle:
    """Failed logins per account and per address in a sliding window (15 minutes).

    Why both: per account stops guessing one person's password from many addresses; per address
    stops one machine trying one password on many accounts. At ``limit`` failures of an account
    within the window every further attempt on it is refused before the password is even checked,
    the right password included, until so many age out that fewer than ``limit`` are left. An address may fail
    ``ADDRESS_FACTOR`` times as often: a team behind one NAT (or a proxy whose X-Forwarded-For is
    not trusted) shares one address, and one person's typos must not lock out everyone else. A
    success does not wipe the count (else an attacker with one valid account could reset their
    address's count). The failures are kept in the database (``login_failures``), so every server
    process of a deployment (``serve-api --workers N``) counts the same failures and a restart
    forgets nothing; ``clock`` is wall-clock time for that reason (processes share no monotonic clock).
    """

    ADDRESS_FACTOR = 5
    NAME_CHARS = 120  # longer names share a count (no account name is longer than 100)

    def __init__(
        self, store: Store, limit: int, window_s: float = THROTTLE_WINDOW_S, clock: Callable[[], float] = time.time
    ):
        self.store = store
        self.limit = max(1, int(limit))
        self.window_s = window_s
        self.clock = clock

    def _keys(self, name: str, address: str | None) -> dict[str, str]:
        keys = {"account:" + (name or "").strip().casefold()[: self.NAME_CHARS]: "account"}
        if address:
            keys["address:" + address[:40]] = "address"
        return keys

    def _at(self, seconds: float) -> datetime:
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)

    def _limit(self, what: str) -> int:
        """How many failures in the window lock a key of this kind (``account``, ``address``, ``invite``)."""
        return self.limit * (self.ADDRESS_FACTOR if what == "address" else 1)

    def _locked(self, keys: dict[str, str]) -> dict[str, float]:
        """Each of ``keys`` (key -> its kind) locked now, with when it unlocks (epoch seconds).

        A key is locked while the window holds at least its limit of failures, so it unlocks when its failures in
        the window drop to one below the limit: when the limit-th newest of them (the oldest only when the count
        is exactly the limit) ages out, not the oldest (s16 review finding 5: a burst far over the limit)."""
        if not keys:
            return {}
        now = self.clock()
        limits = {key: self._limit(what) for key, what in keys.items()}
        found = self.store.failures_over(limits, self._at(now - self.window_s))
        return {key: at.replace(tzinfo=UTC).timestamp() + self.window_s for key, (_count, at) in found.items()}

    def _wait(self, until: float) -> tuple[int, int]:
        """(seconds, whole minutes rounded up) until ``until`` (epoch seconds): a ``Retry-After`` and its words."""
        wait = max(1, int(until - self.clock()) + 1)
        return wait, max(1, math.ceil(wait / 60))

    def check(self, name: str, address: str | None) -> None:
        """Raise ``LoginThrottled`` when this account or address has used up its failures, saying when the login
        may be tried again (``_locked``)."""
        keys = self._keys(name, address)
        locked = self._locked(keys)
        if locked:  # both locked: the one that lasts longer, as the login is refused until then
            key = max(keys, key=lambda key: locked.get(key, -math.inf))
            wait, minutes = self._wait(locked[key])
            whom = "for this account" if keys[key] == "account" else "from your address"
            raise LoginThrottled(
                f"Too many failed logins {whom}; try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                retry_after=wait,
            )

    def failed(self, name: str, address: str | None) -> None:
        now = self.clock()
        self.store.record_login_failure(list(self._keys(name, address)), self._at(now), self._at(now - self.window_s))

    # Wrong invite links: counted per address only (there is no account yet), ``limit`` of them in the window
    # (a person with a mistyped or used link fails once or twice; a scan fails hundreds of times), in the same
    # table under their own key, so a scan neither locks anyone's logins nor is forgotten by a restart.
    def _invite_key(self, address: str | None) -> list[str]:
        return ["invite:" + address[:40]] if address else []

    def check_invites(self, address: str | None) -> None:
        """Raise ``InviteThrottled`` when this address has tried ``limit`` wrong invite links in the window."""
        for until in self._locked(dict.fromkeys(self._invite_key(address), "invite")).values():
            wait, minutes = self._wait(until)
            raise InviteThrottled(
                f"Too many unknown, used or expired invite links from your address; try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}, with the link exactly as you were sent it.",
                retry_after=wait,
            )

    def invite_failed(self, address: str | None) -> None:
        keys = self._invite_key(address)
        if keys:
            now = self.clock()
            self.store.record_login_failure(keys, self._at(now), self._at(now - self.window_s))

    def unlock(self, name: str) -> int:
        """Forget the account's failed logins (an admin's unlock or password reset); how many there were."""
        return self.store.clear_login_failures([key for key, what in self._keys(name, None).items()])

    def unlock_address(self, *spellings: str) -> int:
        """Forget the failed logins and wrong invite links from an address (each of its ``spellings``, as a proxy's
        X-Forwarded-For may write it otherwise); how many there were."""
        keys = {key for address in spellings for key in ("address:" + address[:40], *self._invite_key(address))}
        return self.store.clear_login_failures(sorted(keys))

    def locked_addresses(self) -> dict[str, datetime]:
        """Each address whose failed logins lock every login from it now: when it unlocks (naive UTC; ``_locked``)."""
        now = self.clock()
        found = self.store.failing_keys("address:", self._at(now - self.window_s), self._limit("address"))
        return {
            key.removeprefix("address:"): at + timedelta(seconds=self.window_s)
            for key, (_count, at) in sorted(found.items())
        }

    def locked_until(self, names: list[str]) -> dict[str, datetime]:
        """For each of these accounts that is locked now: when it unlocks (naive UTC; ``_locked``)."""
        keys = {next(iter(self._keys(name, None))): name for name in names}
        return {keys[key]: self._at(until) for key, until in self._locked(dict.fromkeys(keys, "account")).items()}


def admitted(name: str | None, found: Account | None, role: str = "annotator") -> User:
    """The one rule of who may act: ``name`` signed in, its account ``found`` (read by the caller) exists
    and is active, and its role is at least ``role``. ``Access.require`` reads the account itself; the
    annotation desk has the store run this on the row its write transaction reads anyway."""
    if not name:
        raise AccessDenied("You are not logged in: log in again (reload the page).")
    if found is None or not found[4]:
        raise AccessDenied(f"The account {name!r} does not exist or is deactivated; ask an admin.")
    return with_role(User(found[1], found[2], found[3]), role)


def with_role(user: User, role: str) -> User:
    """``user`` when its role is at least ``role``, else ``AccessDenied`` saying so (part of ``admitted``)."""
    if not user.can(role):
        raise AccessDenied(f"This needs the {role} role; {user.name!r} is {user.role}.")
    return user


@dataclass(frozen=True)
class User:
    name: str
    role: str
    kind: str
    # the account's id where the caller read it (``sign_in``: the login cookie names it, ``web/sessions.py``)
    account_id: int | None = field(default=None, compare=False)

    def can(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


FIRST_ADMIN = "admin"
FIRST_START = "(first start)"  # who made the first admin, as the security log names it (``ensure_admin``)
ADMIN_PASSWORD_FILE = "initial-admin-password.txt"


class Access:
    def __init__(self, store: Store, login_attempts: int | None = None) -> None:
        self.store = store
        self.throttle = LoginThrottle(store, login_attempts or BY_NAME["login_attempts"].value())

    def limit_logins(self, attempts: int) -> None:
        """Throttle logins after ``attempts`` failures (the server's ``login_attempts`` setting)."""
        self.throttle = LoginThrottle(self.store, attempts)

    def first_start(self) -> bool:
        """Whether no account but the first admin's can log in yet (the login page then says where its password is)."""
        return int(self.store.accounts()["can_log_in"].sum()) <= 1

    # ------------------------------------------------------------------ identity
    def login(self, name: str, password: str) -> bool:
        """True for an active account with this password (no throttling: for the command line and
        tests; the web's login form and token route use ``sign_in``)."""
        return self.store.authenticate(name, password) is not None

    def sign_in(self, name: str, password: str, address: str | None = None) -> User:
        """The account for this name and password, throttled per account and per address.

        Raises ``LoginThrottled`` (even for the right password) after too many recent failures and
        ``WrongPassword`` (``WRONG_LOGIN``) for a wrong name or password and for a deactivated account whatever
        its password (only the security log says "account deactivated"); each counts against both."""
        try:
            self.throttle.check(name, address)
        except LoginThrottled:
            SECURITY_LOG.warning("login refused (locked: too many failed logins) for %r from %s", name, address)
            raise
        found, deactivated = self.store.check_login(name, password)
        if found is None:
            self.throttle.failed(name, address)
            why = "account deactivated" if deactivated else "wrong name or password"
            SECURITY_LOG.warning("login failed (%s) for %r from %s", why, name, address)
            raise WrongPassword(WRONG_LOGIN)
        SECURITY_LOG.info("login: %r (%s) from %s", found.name, found.role, address)
        return User(found.name, found.role, found.kind, account_id=found.id)

    def user(self, name: str | None) -> User:
        """The signed-in account ``name`` (any active account: annotator is the lowest role)."""
        return admitted(name, self.store.account(name) if name else None)

    def require(self, name: str | None, role: str = "annotator") -> User:
        return admitted(name, self.store.account(name) if name else None, role)

    def token_user(self, token: str) -> User | None:
        """The account of a working API token (unrevoked, unexpired, its account active), else None; reads only."""
        found = self.store.token_holder(token)
        return User(*found) if found is not None else None

    def token_caller(self, token: str, clock: Callable[[], datetime] | None = None) -> TokenCaller | None:
        """The REST caller of this API token: its account and the token's number; None for an unknown token (or a
        deactivated account's); ``TokenRevoked`` / ``TokenExpired`` (saying when) for a revoked or an expired one.
        Stamps the token's last use, at most once per ``TOKEN_TOUCH_S`` seconds (so a busy script writes once a
        minute, not once a request)."""
        now = (clock or _utcnow)()
        found = self._working_bearer(token, now)
        if found is None:
            return None
        if found.last_used_at is None or now - found.last_used_at >= timedelta(seconds=TOKEN_TOUCH_S):
            self.store.touch_api_token(found.token_id, now)
        return TokenCaller(User(found.name, found.role, found.kind), found.token_id)

    def token_checked(self, token: str, role: str | None = None) -> User | None:
        """``token_caller`` without stamping the token's last use (reads only): the account of a working token,
        None for an unknown one, ``TokenRevoked`` / ``TokenExpired`` for one that stopped (the body limit asks it,
        before reading the body); with ``role``, ``AccessDenied`` when the account lacks it (an upload route)."""
        found = self._working_bearer(token, _utcnow())
        if found is None:
            return None
        user = User(found.name, found.role, found.kind)
        return user if role is None else with_role(user, role)

    def _working_bearer(self, token: str, now: datetime) -> TokenBearer | None:
        """The token's bearer while it works; ``TokenRevoked`` / ``TokenExpired`` (saying when) for a known token
        that stopped; None for an unknown one, or an unrevoked one of a deactivated account (the generic 401)."""
        found = self.store.token_bearer(token)
        if found is None:
            return None
        if found.revoked:
            when = f" on {found.revoked_at:%Y-%m-%dT%H:%M:%SZ}" if found.revoked_at is not None else ""
            raise TokenRevoked(f"This API token was revoked{when}; ask for a new one (POST /api/v1/tokens).")
        if not found.active:
            return None
        if found.expires_at <= now:
            raise TokenExpired(
                f"This API token expired on {found.expires_at:%Y-%m-%d %H:%M} UTC; create a new one with "
                "POST /api/v1/tokens."
            )
        return found

    # ------------------------------------------------------------------ the first admin
    def ensure_admin(self, home: Path) -> str | None:
        """With no admin yet, create ``admin`` with a random password, write it to a file only the
        owner may read, and return it (the server prints it once). Else None."""
        if self.store.has_admin():
            return None
        password = secrets.token_urlsafe(12)
        if self.store.account(FIRST_ADMIN) is not None:
            self.store.update_account(FIRST_ADMIN, role="admin", active=True, password=password)
            done = "account changed: %r: role admin, active, new password by %r (password in %s)"
        else:
            self.store.create_annotator(FIRST_ADMIN, role="admin", kind="expert", password=password)
            done = "account created: %r (admin, expert) by %r (password in %s)"
        path = home / ADMIN_PASSWORD_FILE
        home.mkdir(mode=0o700, parents=True, exist_ok=True)  # the owner's only, as db.private_sqlite_file makes it
        path.write_text(f"{FIRST_ADMIN}\n{password}\n", encoding="utf-8")
        path.chmod(0o600)
        # logged as every other account change is (``add_account``); its logins are ``sign_in``'s "login:" lines
        SECURITY_LOG.info(done, FIRST_ADMIN, FIRST_START, str(path))
        return password

    # ------------------------------------------------------------------ managing accounts (admin)
    def add_account(
        self, actor: str | None, name: str, password: str, role: str = "annotator", kind: str = "crowd"
    ) -> str:
        """Create an account; returns its name as stored (stripped, each run of spaces one space)."""
        user = self.require(actor, "admin")
        # the store refuses a taken or look-alike name and a weak password (``password_rules``) for every path alike
        created = self.store.create_annotator(name, role=role, kind=kind, password=password or "").name
        SECURITY_LOG.info("account created: %r (%s, %s) by %r", created, role, kind, user.name)
        return created

    def update_account(
        self,
        actor: str | None,
        name: str,
        *,
        role: str | None = None,
        kind: str | None = None,
        active: bool | None = None,
        password: str | None = None,
    ) -> int | None:
        """A new password or a deactivation also ends the account's browser logins and revokes its API
        tokens (``Store.update_account``); returns how many tokens, or None when nobody was signed out.
        A new password also unlocks the account (its failed logins are forgotten): an admin's reset is
        how a locked-out person gets back in."""
        user = self.require(actor, "admin")
        revoked = self.store.update_account(name, role=role, kind=kind, active=active, password=password)
        changes = [
            f"{what} {value}"
            for what, value in (("role", role), ("kind", kind), ("active", active))
            if value is not None
        ]
        if password is not None:
            self.throttle.unlock(name)
            changes.append("password set (failed logins cleared)")
        SECURITY_LOG.info("account changed: %r: %s by %r", name.strip(), ", ".join(changes) or "nothing", user.name)
        return revoked

    def unlock(self, actor: str | None, name: str) -> int:
        """Forget the account's failed logins, so it may log in again at once; how many were forgotten."""
        user = self.require(actor, "admin")
        if self.store.account(name) is None:
            raise NotFound(f"There is no account named {name.strip()!r}.")
        forgotten = self.throttle.unlock(name)
        SECURITY_LOG.info("account unlocked: %r (%d failed logins forgotten) by %r", name.strip(), forgotten, user.name)
        return forgotten

    def unlock_address(self, actor: str | None, address: str) -> tuple[str, int]:
        """Forget the failed logins (and wrong invite links) from ``address``, so every login from it may try again
        at once: the lock ``unlock`` (an account's) leaves in place. The address as counted (an IP address, as
        written by ``ipaddress``) and how many failures were forgotten; ``InvalidInput`` for what is no IP address."""
        user = self.require(actor, "admin")
        try:
            shown = str(ipaddress.ip_address(address.strip()))
        except ValueError:
            if address.strip() in self.throttle.locked_addresses():  # as a proxy wrote it (forwarded_allow_ips "*")
                shown = address.strip()
            else:
                raise InvalidInput(
                    f"{address.strip()[:60]!r} is not an IP address (such as 127.0.0.1 or ::1) nor a locked address; "
                    "the security log names the address of each failed login. Nothing was changed."
                ) from None
        forgotten = self.throttle.unlock_address(shown, address.strip())
        SECURITY_LOG.info("address unlocked: %s (%d failed logins forgotten) by %r", shown, forgotten, user.name)
        return shown, forgotten

    def locked_addresses(self, actor: str | None) -> dict[str, datetime]:
        """Admins: each address locked now by its failed logins (every login from it is refused, whichever account
        it names), with when it unlocks (naive UTC)."""
        self.require(actor, "admin")
        return self.throttle.locked_addresses()

    def sign_out_account(self, actor: str | None, name: str) -> int:
        """End the account's browser logins on every server and revoke its API tokens; how many tokens."""
        user = self.require(actor, "admin")
        revoked = self.store.sign_out_account(name)
        SECURITY_LOG.info("account signed out everywhere: %r (%d API tokens) by %r", name.strip(), revoked, user.name)
        return revoked

    def account_rows(self, actor: str | None) -> list[dict[str, Any]]:
        """Every account (``Store.account_rows``, plain rows: ``users list`` loads no pandas); ``can_log_in`` says
        "locked until HH:MM UTC" for an account locked by failed logins (an admin's password reset or ``unlock``
        ends that)."""
        self.require(actor, "admin")
        rows = self.store.account_rows()
        locked = self.throttle.locked_until([row["name"] for row in rows])
        for row in rows:
            if row["name"] in locked and row["can_log_in"]:
                row["can_log_in"] = f"locked until {locked[row['name']]:%H:%M} UTC"
        return rows

    def accounts(self, actor: str | None) -> pd.DataFrame:
        """``account_rows`` as a DataFrame of ``ACCOUNT_COLUMNS`` (the Admin page's table)."""
        import pandas as pd

        rows = self.account_rows(actor)
        frame = pd.DataFrame(rows, columns=ACCOUNT_COLUMNS).astype({"active": bool})
        if all(isinstance(row["can_log_in"], bool) for row in rows):
            frame = frame.astype({"can_log_in": bool})
        return frame

    def invite(self, actor: str | None, role: str = "annotator", kind: str = "crowd", hours: float = 72) -> str:
        """A one-time invite token (the UI turns it into a link ``/invite/<token>``)."""
        return self.new_invite(actor, role, kind, hours)[1]

    def new_invite(
        self, actor: str | None, role: str = "annotator", kind: str = "crowd", hours: float = 72
    ) -> tuple[OpenInvite, str]:
        """A one-time invite (its number, to revoke it later) and its token; the log line names the number."""
        user = self.require(actor, "admin")
        made, token = self.store.new_invite(role=role, kind=kind, created_by=user.name, hours=hours)
        SECURITY_LOG.info("invite created: #%d %s (%s) valid %g hours, by %r", made.id, role, kind, hours, user.name)
        return made, token

    def open_invites(self, actor: str | None) -> list[OpenInvite]:
        """Admins only: the invite links that still work, oldest first (never a token); ``judge-studio users invites``
        reads them here, loading no pandas (``orchestration.admin.open_invites`` is the Admin page's way in)."""
        self.require(actor, "admin")
        return self.store.open_invites()

    def accept_invite(self, token: str, name: str, password: str, address: str | None = None) -> tuple[str, str]:
        created, role = self.store.accept_invite(token, name, password)
        SECURITY_LOG.info("invite used: new account %r (%s) from %s", created, role, address)
        return created, role

    def invite_role(self, token: str) -> str | None:
        """The role an unused, unexpired invite grants, else None (not counted: see ``open_invite``)."""
        return self.store.invite_role(token)

    def open_invite(self, token: str, address: str | None = None) -> str | None:
        """The invite page's look-up: the role the invite grants, else None. Throttled per address like the
        logins (``InviteThrottled`` after ``login_attempts`` wrong links in 15 minutes, the right link included);
        a wrong link is counted and logged (WARNING, with the address; never the token), so a scan of invite
        links shows in the security log as failed logins do."""
        try:
            self.throttle.check_invites(address)
        except InviteThrottled:
            SECURITY_LOG.warning("invite link refused (locked: too many wrong invite links) from %s", address)
            raise
        role = self.store.invite_role(token)
        if role is None:
            self.throttle.invite_failed(address)
            SECURITY_LOG.warning("invite link failed (unknown, used or expired) from %s", address)
        return role

    def api_token(
        self, actor: str | None, for_name: str | None = None, label: str = "", days: int | None = None
    ) -> str:
        """A REST API token (the secret, shown once): for yourself, or (admins) for anyone."""
        return self.new_api_token(actor, for_name, label, days)[1]

    def new_api_token(
        self, actor: str | None, for_name: str | None = None, label: str = "", days: int | None = None
    ) -> tuple[TokenInfo, str]:
        """A REST API token for yourself, or (admins) for anyone, working ``days`` days (None: the ``token_days``
        setting's default; the server and ``users token`` pass theirs): what it is and the secret (shown once).
        Logged (its number, label and expiry; never the secret)."""
        user = self.require(actor, "annotator")
        target = for_name or user.name
        if target != user.name:
            self.require(actor, "admin")
        lifetime = int(BY_NAME["token_days"].value()) if days is None else days
        made, secret = self.store.new_api_token(target, label, lifetime)
        SECURITY_LOG.info(
            "API token created: #%d for %r (label %r, expires %s UTC) by %r",
            made.id,
            made.account,
            made.label,
            f"{made.expires_at:%Y-%m-%d %H:%M}",
            user.name,
        )
        return made, secret

    def my_tokens(self, actor: str | None) -> list[TokenInfo]:
        """The caller's own API tokens that still work (never the secrets)."""
        user = self.require(actor, "annotator")
        return self.store.api_tokens(user.name)

    def revoke_my_token(self, actor: str | None, token_id: int) -> TokenInfo:
        """Revoke one of the caller's own working tokens; ``NotFound`` for any other number (another account's
        included: the answer does not tell whether that number exists)."""
        user = self.require(actor, "annotator")
        gone = self.store.revoke_api_token(token_id, owner=user.name) if 1 <= token_id < 2**63 else None
        if gone is None:
            raise NotFound(
                f"You have no working API token #{token_id}; GET /api/v1/tokens lists yours. Nothing was changed."
            )
        _log_revoked(gone, user.name)
        return gone

    def account_tokens(self, actor: str | None, name: str | None = None) -> list[TokenInfo]:
        """Admins only: the working API tokens of the account ``name`` (every account's: None)."""
        self.require(actor, "admin")
        return self.store.api_tokens(name)

    def revoke_token(self, actor: str | None, token_id: int) -> TokenInfo:
        """Admins only: revoke any account's working API token ``token_id`` (a leaked CI token)."""
        user = self.require(actor, "admin")
        gone = self.store.revoke_api_token(token_id) if 1 <= token_id < 2**63 else None
        if gone is None:
            raise NotFound(
                f"There is no working API token #{token_id} (unknown, revoked or expired); "
                "`judge-studio users tokens NAME` lists an account's tokens. Nothing was changed."
            )
        _log_revoked(gone, user.name)
        return gone

    # ------------------------------------------------------------------ the command line
    def local_admin(self) -> Access:
        """Access for ``judge-studio users ...``: the command line runs on the server machine by
        someone who can read the database file anyway, so it acts as an admin without logging in.
        Never hand this object to a web handler."""
        return LocalAdmin(self.store)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as the store keeps times


def _log_revoked(token: TokenInfo, by: str) -> None:
    SECURITY_LOG.info("API token revoked: #%d of %r (label %r) by %r", token.id, token.account, token.label, by)


@dataclass(frozen=True)
class TokenCaller:
    """Who a REST request's API token belongs to, and which token it is (``DELETE /api/v1/tokens/current``)."""

    user: User
    token_id: int


LOCAL_ADMIN = "(command line)"


class LocalAdmin(Access):
    """An ``Access`` whose every caller is an admin (see ``Access.local_admin``)."""

    def require(self, name: str | None, role: str = "annotator") -> User:
        return User(LOCAL_ADMIN, "admin", "expert")


#: ``accounts_listed``'s (and ``orchestration.admin.accounts_marked``'s) column: "yes" for an account whose answers
#: are set aside (``orchestration.admin.set_labels_aside``).
SET_ASIDE_COLUMN = "labels_set_aside"


def accounts_listed(access: Access, actor: str | None) -> list[dict[str, Any]]:
    """Admins only: every account (``Access.account_rows``) with ``SET_ASIDE_COLUMN`` ("yes"/"no"), as plain rows:
    ``judge-studio users list`` (no pandas)."""
    rows = access.account_rows(actor)
    aside = access.store.set_aside_accounts()
    return [{**row, SET_ASIDE_COLUMN: "yes" if row["name"] in aside else "no"} for row in rows]
