"""Accounts beyond a name: listing and managing them, one-time invite links, REST API tokens.

A mixin of ``Store`` (it uses the store's ``_read``/``_write`` transactions). Invite links and API
tokens are random secrets (``secrets.token_urlsafe``) shown once; only their SHA-256 is stored, so a
copy of the database does not hand out logins. SHA-256 (not scrypt) is right here: the secrets are
256-bit random values, not guessable passwords.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, case, delete, exists, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from annotation_store.base import StoreBase, StoreConflict, StoreNotFound
from annotation_store.credentials import dummy_verify, hash_password, verify_password
from annotation_store.db import NOWAIT_IN_SESSION
from annotation_store.errors import StoreError
from annotation_store.models import (
    ANNOTATOR_KINDS,
    ANNOTATOR_ROLES,
    MAX_ANNOTATOR_NAME,
    MAX_SESSION_ID,
    Annotator,
    ApiToken,
    Assignment,
    Invite,
    Label,
    LoginFailure,
    Rating,
    RatingAssignment,
    RevokedSession,
    utcnow,
)
from annotation_store.names import collapse_spaces, refuse_name
from annotation_store.outage import unreachable
from annotation_store.password_rules import refuse_weak_password
from annotation_store.views import AnnotatorView

if TYPE_CHECKING:
    import pandas as pd

ROLE_RANK = {"annotator": 0, "reviewer": 1, "admin": 2}
#: ``Store.account_rows``'s keys and ``Store.accounts``' columns, in order.
ACCOUNT_COLUMNS = ["name", "role", "kind", "active", "can_log_in", "labels", "ratings", "skipped"]
Account = tuple[int, str, str, str, bool]  # (id, name, role, kind, active): ``Store.account``
#: How long before its account's ``created_at`` a login cookie's issue time may be and still count: cookies are
#: stamped to the millisecond, rounded down, and app servers' clocks may differ a little; an older cookie was
#: issued to an account that no longer exists (``browser_session_ended``).
COOKIE_BEFORE_ACCOUNT_S = 1.0


@dataclass(frozen=True)
class OpenInvite:
    """An invite link that still works, as an admin may see it (never its token)."""

    id: int
    role: str
    kind: str
    created_by: str | None  # None: made on the command line, or its creator's account is gone
    created_at: datetime  # UTC, naive (as stored)
    expires_at: datetime


#: A new API token's lifetime when none is asked for (the ``token_days`` setting's default) and the longest
#: one may ask for (``POST /api/v1/tokens``'s ``expires_in_days``, ``users token --token-days``).
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 365
#: A token's ``last_used_at`` is written at most once per this many seconds: a REST request whose token was
#: stamped less than a minute ago writes nothing (a write per request would serialise every GET on SQLite).
TOKEN_TOUCH_S = 60


@dataclass(frozen=True)
class TokenInfo:
    """An API token as its owner or an admin may see it (never the secret: only its digest is stored)."""

    id: int
    account: str
    label: str
    created_at: datetime  # UTC, naive (as stored)
    expires_at: datetime
    last_used_at: datetime | None  # None: not used since it was made (or since migration 0019)


@dataclass(frozen=True)
class TokenBearer:
    """The known token a request carries and its account, whether it still works or not (``token_bearer``):
    ``orchestration.access`` says why one that does not (revoked, expired) stopped."""

    name: str
    role: str
    kind: str
    token_id: int
    expires_at: datetime
    last_used_at: datetime | None
    revoked: bool
    revoked_at: datetime | None  # None: not revoked, or revoked before migration 0020 (when is not known)
    active: bool  # the account's

    @property
    def works(self) -> bool:
        """Unrevoked, unexpired, its account active."""
        return not self.revoked and self.active and self.expires_at > utcnow()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def clean_name(name: str) -> str:
    cleaned = (name or "").strip() if isinstance(name, str) else ""
    if not cleaned:
        raise StoreError("Enter your annotator name before labelling.")
    if len(cleaned) > MAX_ANNOTATOR_NAME:
        raise StoreError(f"Annotator names are at most {MAX_ANNOTATOR_NAME} characters.")
    return cleaned


def new_account_name(name: str) -> str:
    """The stripped name for a new account (each run of spaces one space: ``names.collapse_spaces``), or a
    message saying what is wrong with it. Stricter than ``clean_name`` (which every path uses to find an
    account, so existing accounts keep working): no control or invisible characters (a zero-width space makes
    a look-alike), at least one letter or digit. ``refuse_taken_name`` then compares it with every name."""
    cleaned = collapse_spaces(name) if isinstance(name, str) else ""
    if not cleaned:
        raise StoreError("Enter a name for the new account; nothing was saved.")
    if len(cleaned) > MAX_ANNOTATOR_NAME:
        raise StoreError(f"Account names are at most {MAX_ANNOTATOR_NAME} characters; nothing was saved.")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise StoreError(
            f"The name {cleaned!r} holds a control or invisible character; type it without one. Nothing was saved."
        )
    if not any(unicodedata.category(ch)[0] in "LN" for ch in cleaned):
        raise StoreError(f"An account name needs a letter or a digit, not only {cleaned!r}; nothing was saved.")
    return cleaned


def refuse_taken_name(session: Session, cleaned: str, taken: str) -> None:
    """Inside the creating write transaction: the one rule for a new account's name, on every path (``users
    add``, the Admin page's "Add account", an invite): ``names.refuse_name`` over every annotator's name, an
    imported one without a password included (else a newcomer would own their labels or pass for them).
    Compared in Python (skeletons are not SQL) over the names only: one column of a table of people, read once
    per account created."""
    refuse_name(cleaned, session.scalars(select(Annotator.name)), taken)


def _check_role_kind(role: str, kind: str) -> None:
    if role not in ANNOTATOR_ROLES:
        raise StoreError(f"Role {role!r} is not one of {', '.join(ANNOTATOR_ROLES)}.")
    if kind not in ANNOTATOR_KINDS:
        raise StoreError(f"Kind {kind!r} is not one of {', '.join(ANNOTATOR_KINDS)}.")


def annotator_view(person: Annotator) -> AnnotatorView:
    return AnnotatorView(
        person.id, person.name, person.role, person.kind, bool(person.active), person.password_hash is not None
    )


class AccountsMixin(StoreBase):
    """Account management for ``Store``."""

    def create_annotator(
        self, name: str, *, role: str = "annotator", kind: str = "crowd", password: str | None = None
    ) -> AnnotatorView:
        """Create an account. Only a scrypt hash of ``password`` is stored (see ``credentials.py``).

        Every existing name is taken, an annotator's without a password (imported labels, ``save_label``)
        included, so that nobody takes over someone else's labels by naming a new account after them; an
        admin who means to let that person log in gives the existing name a password (``users set NAME
        --password-stdin``, ``update_account``). The password must pass ``password_rules``.
        """
        cleaned = new_account_name(name)
        if role not in ANNOTATOR_ROLES:
            raise StoreError(f"Role {role!r} is not one of {', '.join(ANNOTATOR_ROLES)}.")
        if kind not in ANNOTATOR_KINDS:
            raise StoreError(f"Kind {kind!r} is not one of {', '.join(ANNOTATOR_KINDS)}.")
        if password is not None:
            refuse_weak_password(password, cleaned)
        try:
            password_hash = hash_password(password) if password is not None else None
        except ValueError as exc:
            raise StoreError(f"Annotator {cleaned!r}: {exc} Nothing was saved.") from exc
        with self._write() as session:
            refuse_taken_name(session, cleaned, f"There is already an account named {cleaned!r}; nothing was saved.")
            person = Annotator(name=cleaned)
            session.add(person)
            person.role, person.kind, person.password_hash, person.active = role, kind, password_hash, True
            session.flush()
            return annotator_view(person)

    def authenticate(self, name: str, password: str) -> AnnotatorView | None:
        """The active account with this name and password, else None (never says which part was wrong)."""
        return self.check_login(name, password)[0]

    def check_login(self, name: str, password: str) -> tuple[AnnotatorView | None, bool]:
        """(the active account with this name and password, else None; whether the name and password are
        right but the account is deactivated). Only the right password learns that the account is
        deactivated (so the person asks an admin instead of resetting a password that works); a wrong
        name or password never says which part was wrong."""
        cleaned = (name or "").strip() if isinstance(name, str) else ""
        with self._read() as session:
            person = session.scalar(select(Annotator).where(Annotator.name == cleaned)) if cleaned else None
            if person is None or person.password_hash is None:
                dummy_verify(password)  # the same time as a wrong password: names are not probed by timing
                return None, False
            if not verify_password(password, person.password_hash):
                return None, False
            return (annotator_view(person), False) if person.active else (None, True)

    def account(self, name: str) -> Account | None:
        """(id, name, role, kind, active) of the account called ``name``, or None."""
        cleaned = (name or "").strip() if isinstance(name, str) else ""
        if not cleaned:
            return None
        with self._read() as session:
            person = session.scalar(select(Annotator).where(Annotator.name == cleaned))
            if person is None:
                return None
            return person.id, person.name, person.role, person.kind, bool(person.active)

    def has_admin(self) -> bool:
        with self._read() as session:
            found = session.scalar(
                select(Annotator.id).where(
                    Annotator.role == "admin", Annotator.active.is_(True), Annotator.password_hash.is_not(None)
                )
            )
            return found is not None

    def account_rows(self) -> list[dict[str, Any]]:
        """Every account: name, role, kind, active, can_log_in (has a password and is active), labels and ratings
        (how many answers of each sort, skips apart: a grader's work shows in ``ratings``, a pairwise annotator's
        in ``labels``), skipped (skipped items of either sort). ``labels`` counts as ``sessions activity`` does:
        an answer that is a label, never a skip. Plain rows (``ACCOUNT_COLUMNS``), no pandas: ``users list``."""
        counts = answer_counts(Label)
        rated = answer_counts(Rating)
        query = (
            select(
                Annotator.name,
                Annotator.role,
                Annotator.kind,
                Annotator.active,
                (Annotator.password_hash.is_not(None) & Annotator.active.is_(True)).label("can_log_in"),
                func.coalesce(counts.c.n, 0).label("labels"),
                func.coalesce(rated.c.n, 0).label("ratings"),
                (func.coalesce(counts.c.skipped, 0) + func.coalesce(rated.c.skipped, 0)).label("skipped"),
            )
            .outerjoin(counts, counts.c.annotator_id == Annotator.id)
            .outerjoin(rated, rated.c.annotator_id == Annotator.id)
            .order_by(Annotator.name)
        )
        with self._read() as session:
            rows = session.execute(query).mappings().all()
        return [{**row, "active": bool(row["active"]), "can_log_in": bool(row["can_log_in"])} for row in rows]

    def accounts(self) -> pd.DataFrame:
        """``account_rows`` as a DataFrame of ``ACCOUNT_COLUMNS``."""
        import pandas as pd

        frame = pd.DataFrame(self.account_rows(), columns=ACCOUNT_COLUMNS)
        return frame.astype({"active": bool, "can_log_in": bool})

    def update_account(
        self,
        name: str,
        *,
        role: str | None = None,
        kind: str | None = None,
        active: bool | None = None,
        password: str | None = None,
    ) -> int | None:
        """Change an account's role, kind, active flag or password. The last active admin stays an admin.

        A new password or a deactivation also signs the account out everywhere (``_sign_out``), in the
        same transaction: whoever knew the old password, or the person who left, keeps no browser login
        and no API token. Returns how many API tokens that revoked, or None when nothing was signed out."""
        cleaned = clean_name(name)
        person_role = role
        _check_role_kind(role or "annotator", kind or "crowd")
        if password is not None:
            refuse_weak_password(password, cleaned)
        try:
            password_hash = hash_password(password) if password is not None else None
        except ValueError as exc:
            raise StoreError(f"Account {cleaned!r}: {exc} Nothing was saved.") from exc
        with self._write() as session:
            person = session.scalar(select(Annotator).where(Annotator.name == cleaned))
            if person is None:
                raise StoreNotFound(f"There is no account named {cleaned!r}.")
            demoted = (person_role is not None and person_role != "admin") or active is False
            if person.role == "admin" and demoted and _active_admins(session) <= 1:
                raise StoreError(f"{cleaned!r} is the last active admin; make another admin first. Nothing changed.")
            if role is not None:
                person.role = role
            if kind is not None:
                person.kind = kind
            if active is not None:
                person.active = active
            if password_hash is not None:
                person.password_hash = password_hash
            if active is False:
                release_leases(session, person.id)
            return _sign_out(session, person) if password_hash is not None or active is False else None

    def sign_out_account(self, name: str) -> int:
        """End every browser login of the account ``name`` on every app server and revoke its API tokens
        (a lost laptop, a leaked token). Returns how many tokens were revoked. The password stays."""
        cleaned = clean_name(name)
        with self._write() as session:
            person = session.scalar(select(Annotator).where(Annotator.name == cleaned))
            if person is None:
                raise StoreNotFound(f"There is no account named {cleaned!r}.")
            return _sign_out(session, person)

    # ------------------------------------------------------------------ invites
    def create_invite(
        self, *, role: str = "annotator", kind: str = "crowd", created_by: str | None = None, hours: float = 72
    ) -> str:
        """A one-time invite token (show it once, as a link); only its digest is stored."""
        return self.new_invite(role=role, kind=kind, created_by=created_by, hours=hours)[1]

    def new_invite(
        self, *, role: str = "annotator", kind: str = "crowd", created_by: str | None = None, hours: float = 72
    ) -> tuple[OpenInvite, str]:
        """A one-time invite and its token (show it once, as a link): the invite says its number (never reused:
        revoked invites stay as rows, see ``revoke_invite``), so the admin can tell which link to revoke."""
        _check_role_kind(role, kind)
        if not 0 < hours <= 24 * 90:
            raise StoreError("An invite is valid for more than 0 hours and at most 90 days.")
        token, now = secrets.token_urlsafe(32), utcnow()
        with self._write() as session:
            creator = (
                session.scalar(select(Annotator).where(Annotator.name == created_by.strip())) if created_by else None
            )
            invite = Invite(
                token_hash=token_digest(token),
                role=role,
                kind=kind,
                created_by=creator.id if creator else None,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
            session.add(invite)
            session.flush()
            made = OpenInvite(
                invite.id, role, kind, creator.name if creator else None, invite.created_at, invite.expires_at
            )
        return made, token

    def invite_role(self, token: str) -> str | None:
        """The role an unused, unexpired invite grants, else None."""
        with self._read() as session:
            invite = session.scalar(select(Invite).where(Invite.token_hash == token_digest(token or "")))
            if invite is None or invite.used_at is not None or invite.expires_at <= utcnow():
                return None
            return invite.role

    def accept_invite(self, token: str, name: str, password: str) -> tuple[str, str]:
        """Create the account an invite allows; the invite is used up. Returns (name, role)."""
        cleaned = new_account_name(name)
        refuse_weak_password(password, cleaned)
        try:
            password_hash = hash_password(password)
        except ValueError as exc:
            raise StoreError(f"{exc} Nothing was saved.") from exc
        with self._write() as session:
            invite = session.scalar(select(Invite).where(Invite.token_hash == token_digest(token or "")))
            if invite is None or invite.used_at is not None or invite.expires_at <= utcnow():
                raise StoreError("This invite link is unknown, used or expired; ask an admin for a new one.")
            # every existing name is taken, an imported annotator's (no password) included (s12 ops finding 2)
            refuse_taken_name(session, cleaned, f"The name {cleaned!r} is taken; choose another. Nothing was saved.")
            person = Annotator(name=cleaned)
            session.add(person)
            person.role, person.kind, person.password_hash, person.active = (
                invite.role,
                invite.kind,
                password_hash,
                True,
            )
            session.flush()
            invite.used_at, invite.used_by = utcnow(), person.id
            return person.name, person.role

    def open_invites(self) -> list[OpenInvite]:
        """The invites that still work (unused, unexpired), oldest first; never their tokens (only digests
        are stored anyway)."""
        creator = aliased(Annotator)
        with self._read() as session:
            rows = session.execute(
                select(Invite, creator.name)
                .outerjoin(creator, creator.id == Invite.created_by)
                .where(Invite.used_at.is_(None), Invite.expires_at > utcnow())
                .order_by(Invite.created_at, Invite.id)
            ).all()
            return [
                OpenInvite(invite.id, invite.role, invite.kind, name, invite.created_at, invite.expires_at)
                for invite, name in rows
            ]

    def revoke_invite(self, invite_id: int) -> OpenInvite:
        """Make an unused, unexpired invite stop working now: its link answers "unknown, used or expired" from
        now on. The row stays, its ``expires_at`` set to the moment of revoking, so its number is never given to
        another invite (SQLite reuses the id of a deleted last row), and revoking the same number again says it
        was done already instead of stopping a newer link. Used invites stay too (they say who created which
        account)."""
        creator = aliased(Annotator)
        with self._write() as session:
            row = session.execute(
                select(Invite, creator.name)
                .outerjoin(creator, creator.id == Invite.created_by)
                .where(Invite.id == invite_id)
            ).first()
            if row is None:
                raise StoreNotFound(
                    f"There is no invite #{invite_id}; `judge-studio users invites` lists the open ones. "
                    "Nothing was changed."
                )
            invite, name = row
            now = utcnow()
            if invite.used_at is not None:
                raise StoreConflict(f"Invite #{invite_id} was already used; nothing changed.")
            if invite.expires_at <= now:
                raise StoreConflict(
                    f"Invite #{invite_id} was already revoked or expired (it stopped working "
                    f"{invite.expires_at:%Y-%m-%d %H:%M} UTC); nothing changed."
                )
            revoked = OpenInvite(invite.id, invite.role, invite.kind, name, invite.created_at, invite.expires_at)
            invite.expires_at = now
            return revoked

    # ------------------------------------------------------------------ API tokens
    def create_api_token(self, name: str, label: str = "", days: int = DEFAULT_TOKEN_DAYS) -> str:
        """A new REST API token for the account ``name`` (shown once; only its digest is stored)."""
        return self.new_api_token(name, label, days)[1]

    def new_api_token(self, name: str, label: str = "", days: int = DEFAULT_TOKEN_DAYS) -> tuple[TokenInfo, str]:
        """A new REST API token for the account ``name``, working ``days`` days (1 to ``MAX_TOKEN_DAYS``):
        what it is (its number, to revoke it) and the secret (shown once; only its digest is stored)."""
        cleaned = clean_name(name)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS:
            raise StoreError(f"An API token works 1 to {MAX_TOKEN_DAYS} days, not {days!r}; no token was made.")
        token, now = "js_" + secrets.token_urlsafe(32), utcnow()
        with self._write() as session:
            person = session.scalar(select(Annotator).where(Annotator.name == cleaned))
            if person is None or not person.active:
                raise StoreNotFound(f"There is no active account named {cleaned!r}.")
            made = ApiToken(
                annotator_id=person.id,
                token_hash=token_digest(token),
                label=(label or "")[:100],
                created_at=now,
                expires_at=now + timedelta(days=days),
            )
            session.add(made)
            session.flush()
            return TokenInfo(made.id, person.name, made.label, now, made.expires_at, None), token

    def token_holder(self, token: str) -> tuple[str, str, str] | None:
        """(name, role, kind) of the active account owning this unrevoked, unexpired token, else None."""
        found = self.token_bearer(token)
        return (found.name, found.role, found.kind) if found is not None and found.works else None

    def token_bearer(self, token: str) -> TokenBearer | None:
        """The account owning this token, with the token's number, expiry, last use and revocation (a revoked or
        expired token included, so the caller can say so); None for an unknown token. One query, as every REST
        request asks it."""
        if not token:
            return None
        with self._read() as session:
            found = session.execute(
                select(
                    Annotator.name,
                    Annotator.role,
                    Annotator.kind,
                    ApiToken.id,
                    ApiToken.expires_at,
                    ApiToken.last_used_at,
                    ApiToken.revoked,
                    ApiToken.revoked_at,
                    Annotator.active,
                )
                .join(ApiToken, ApiToken.annotator_id == Annotator.id)
                .where(ApiToken.token_hash == token_digest(token))
            ).first()
            return TokenBearer(*found) if found else None

    def touch_api_token(self, token_id: int, now: datetime) -> bool:
        """Stamp the token's ``last_used_at`` with ``now`` unless it was stamped less than ``TOKEN_TOUCH_S``
        ago (another process may have done it meanwhile); whether it wrote. Best effort, never waiting: it runs
        on every REST request's path, so while another writer holds the database (an import, a judge batch)
        it gives up at once (``NOWAIT_IN_SESSION``) and a later request stamps it."""
        recent = now - timedelta(seconds=TOKEN_TOUCH_S)
        try:
            with (
                Session(self.engine.execution_options(**NOWAIT_IN_SESSION), expire_on_commit=False) as session,
                session.begin(),
            ):
                done = session.execute(
                    update(ApiToken)
                    .where(
                        ApiToken.id == token_id,
                        (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at <= recent),
                    )
                    .values(last_used_at=now)
                    .execution_options(synchronize_session=False)
                )
                return bool(getattr(done, "rowcount", 0))
        except OperationalError as exc:  # contention ("database is locked"): the next request stamps it
            if unreachable(exc):
                raise
            return False

    def api_tokens(self, name: str | None = None) -> list[TokenInfo]:
        """The tokens that still work (unrevoked, unexpired) of the account ``name`` (every account's: None),
        by account and then oldest first; never their secrets. An unknown ``name`` is a ``StoreNotFound``."""
        query = (
            select(ApiToken, Annotator.name)
            .join(Annotator, Annotator.id == ApiToken.annotator_id)
            .where(ApiToken.revoked.is_(False), ApiToken.expires_at > utcnow())
            .order_by(Annotator.name, ApiToken.created_at, ApiToken.id)
        )
        with self._read() as session:
            if name is not None:
                cleaned = clean_name(name)
                if session.scalar(select(Annotator.id).where(Annotator.name == cleaned)) is None:
                    raise StoreNotFound(f"There is no account named {cleaned!r}.")
                query = query.where(Annotator.name == cleaned)
            return [_token_info(token, owner) for token, owner in session.execute(query).all()]

    def revoke_api_token(self, token_id: int, owner: str | None = None) -> TokenInfo | None:
        """Revoke one token that still works, for good: the token ``token_id`` of the account ``owner`` (any
        account's: None, for admins). Returns what it was, or None when there is no such working token (an
        unknown number, another account's, revoked or expired: one answer, so an owner learns nothing about
        numbers that are not theirs)."""
        query = (
            select(ApiToken, Annotator.name)
            .join(Annotator, Annotator.id == ApiToken.annotator_id)
            .where(ApiToken.id == token_id, ApiToken.revoked.is_(False), ApiToken.expires_at > utcnow())
        )
        if owner is not None:
            query = query.where(Annotator.name == clean_name(owner))
        with self._write() as session:
            row = session.execute(query).first()
            if row is None:
                return None
            token, name = row
            token.revoked, token.revoked_at = True, utcnow()
            return _token_info(token, name)

    def revoke_api_tokens(self, name: str) -> int:
        """Revoke every API token of the account ``name`` (for good); returns how many were live."""
        cleaned = clean_name(name)
        with self._write() as session:
            person = session.scalar(select(Annotator).where(Annotator.name == cleaned))
            return _revoke_tokens(session, person.id) if person is not None else 0

    # ------------------------------------------------------------------ failed logins (the throttle's count)
    def failing_keys(self, prefix: str, since: datetime, at_least: int) -> dict[str, tuple[int, datetime]]:
        """The keys starting with ``prefix`` (``address:``) with at least ``at_least`` failures at or after
        ``since``: (how many, when the ``at_least``-th newest of them was made: see ``failures_over``) each, so an
        admin can be told which addresses are locked and until when."""
        which = LoginFailure.key.startswith(prefix, autoescape=True)
        return self._past_limit(which, since, lambda _key: at_least, at_least)

    def failures_over(self, limits: Mapping[str, int], since: datetime) -> dict[str, tuple[int, datetime]]:
        """For each key of ``limits`` with at least ``limits[key]`` failures at or after ``since``: (how many, when
        the ``limits[key]``-th newest of them was made). The key has fewer failures than its limit once that one
        is older than the window: it is the oldest only when the count is exactly the limit (s16 review 5)."""
        return self._past_limit(LoginFailure.key.in_(list(limits)), since, limits.get, max(limits.values(), default=0))

    def _past_limit(
        self, which: ColumnElement[bool], since: datetime, limit_of: Callable[[str], int | None], most: int
    ) -> dict[str, tuple[int, datetime]]:
        """``failing_keys`` and ``failures_over``: one statement, each key's failures in the window ranked newest
        first, read down to rank ``most`` (the largest limit) and kept where the rank is the key's limit."""
        newest_first = func.row_number().over(
            partition_by=LoginFailure.key, order_by=(LoginFailure.failed_at.desc(), LoginFailure.id.desc())
        )
        ranked = (
            select(
                LoginFailure.key,
                LoginFailure.failed_at,
                newest_first.label("rank"),
                func.count().over(partition_by=LoginFailure.key).label("total"),
            )
            .where(which, LoginFailure.failed_at >= since)
            .subquery()
        )
        with self._read() as session:
            rows = session.execute(
                select(ranked.c.key, ranked.c.total, ranked.c.failed_at, ranked.c.rank).where(ranked.c.rank <= most)
            )
            return {key: (int(total), at) for key, total, at, rank in rows if rank == limit_of(key)}

    def clear_login_failures(self, keys: Sequence[str]) -> int:
        """Forget every failure counted against these keys (an admin's unlock or password reset); how many."""
        with self._write() as session:
            done = session.execute(
                delete(LoginFailure)
                .where(LoginFailure.key.in_([key[:160] for key in keys]))
                .execution_options(synchronize_session=False)
            )
            return int(getattr(done, "rowcount", 0) or 0)

    def record_login_failure(self, keys: Sequence[str], at: datetime, forget_before: datetime) -> None:
        """One failure at ``at`` for each key; failures of any key older than ``forget_before`` are deleted
        (the table holds one throttle window of failures)."""
        with self._write() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.failed_at < forget_before))
            session.add_all(LoginFailure(key=key[:160], failed_at=at) for key in keys)

    # ------------------------------------------------------------------ logged-out browser sessions
    def revoke_browser_sessions(self, expiries: Mapping[str, datetime], forget_before: datetime) -> None:
        """Record these session ids (each with the time its cookie expires, naive UTC) as logged out.

        Idempotent: an id already recorded keeps its row. Rows whose cookie expired before
        ``forget_before`` are deleted first (an indexed range delete), so the table holds only cookies
        that could still be used. Under the store's write lock, so two servers logging out the same
        session cannot both insert it."""
        too_long = [sid for sid in expiries if not 0 < len(sid) <= MAX_SESSION_ID]
        if too_long:
            raise StoreError(
                f"A session id is 1 to {MAX_SESSION_ID} characters, not {len(too_long[0])}; nothing was saved."
            )
        with self._write() as session:
            session.execute(delete(RevokedSession).where(RevokedSession.expires_at < forget_before))
            wanted = {sid: at for sid, at in expiries.items() if at >= forget_before}
            if not wanted:
                return
            query = select(RevokedSession.session_id).where(RevokedSession.session_id.in_(list(wanted)))
            known = set(session.scalars(query))
            session.add_all(
                RevokedSession(session_id=sid, expires_at=at) for sid, at in wanted.items() if sid not in known
            )

    def browser_session_ended(self, session_id: str, name: str, issued_at: datetime, account_id: int) -> bool:
        """Whether a browser login was logged out (its id in ``revoked_sessions``), its account (by id) no longer
        holds the name the cookie names (renamed, deleted, or the name now another account's: s15 rolesec 2),
        it was issued at or before the account was signed out (``annotators.signed_out_at``), or it was issued
        before the account was made (``COOKIE_BEFORE_ACCOUNT_S`` of slack): an account that took over a deleted
        one's row id and name (SQLite reuses the highest row id) is not signed in by the old cookie (s16 review 6).
        One statement of three primary-key reads, as every browser request asks it."""
        of_account = Annotator.id == account_id
        query = select(
            exists().where(RevokedSession.session_id == session_id),
            select(Annotator.name).where(of_account).scalar_subquery(),
            select(Annotator.signed_out_at).where(of_account).scalar_subquery(),
            select(Annotator.created_at).where(of_account).scalar_subquery(),
        )
        with self._read() as session:
            revoked, holder, signed_out, created = session.execute(query).one()
        before = created is not None and issued_at < created - timedelta(seconds=COOKIE_BEFORE_ACCOUNT_S)
        return bool(revoked) or holder != name or (signed_out is not None and issued_at <= signed_out) or before

    def browser_session_revoked(self, session_id: str) -> bool:
        """Whether this session id was logged out: one primary-key read, as every browser request asks it."""
        query = select(RevokedSession.session_id).where(RevokedSession.session_id == session_id)
        with self._read() as session:
            return session.scalar(query) is not None  # only the key: answered from the primary key's index


def _token_info(token: ApiToken, owner: str) -> TokenInfo:
    return TokenInfo(token.id, owner, token.label, token.created_at, token.expires_at, token.last_used_at)


def answer_counts(table: type[Label] | type[Rating], annotator_id: int | None = None) -> Any:
    """Per account (only ``annotator_id``'s when given): ``n`` its answers of that sort (skips apart) and
    ``skipped`` its skips, one GROUP BY subquery. The one count of an account's "labels" over every dataset:
    ``accounts`` and ``set_aside``'s answers read it, and ``sessions activity`` counts the same way in its own
    SQL (per session). The Dashboard's set-aside caption counts one dataset's labels in "Labels from"'s scope
    from ``label_details`` instead, by the same rule (answers, not skips)."""
    skip = case((table.skipped.is_(True), 1), else_=0)
    query = select(
        table.annotator_id,
        (func.count() - func.sum(skip)).label("n"),
        func.sum(skip).label("skipped"),
    )
    if annotator_id is not None:
        query = query.where(table.annotator_id == annotator_id)
    return query.group_by(table.annotator_id).subquery()


def _revoke_tokens(session: Session, annotator_id: int) -> int:
    """Revoke the account's live API tokens inside the caller's write transaction; returns how many. An expired
    token is left as it is: it stopped working at its expiry, and its 401 keeps saying so."""
    now = utcnow()
    done = session.execute(
        update(ApiToken)
        .where(ApiToken.annotator_id == annotator_id, ApiToken.revoked.is_(False), ApiToken.expires_at > now)
        .values(revoked=True, revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0) or 0)


def release_leases(session: Session, annotator_id: int, session_id: int | None = None) -> int:
    """Inside the caller's write transaction: end the account's live leases (comparisons and responses) at
    once, so that a deactivated person's items go back to the pool now instead of when the lease
    expires (15 minutes by default; a session stood "not done" meanwhile). ``session_id``: only the leases in
    that annotation session (someone removed from its members). Returns how many."""
    now, released = utcnow(), 0
    for lease in (Assignment, RatingAssignment):
        live = [lease.annotator_id == annotator_id, lease.completed_at.is_(None), lease.lease_expires_at > now]
        if session_id is not None:
            live.append(lease.session_id == session_id)
        done = session.execute(
            update(lease).where(*live).values(lease_expires_at=now).execution_options(synchronize_session=False)
        )
        released += int(getattr(done, "rowcount", 0) or 0)
    return released


def _sign_out(session: Session, person: Annotator) -> int:
    """Inside the caller's write transaction: refuse every browser login of ``person`` issued until now
    (``signed_out_at``; ``web/sessions.py`` checks it on every use) and revoke its API tokens. Returns
    how many tokens were revoked. A later reactivation or login does not bring either back."""
    person.signed_out_at = utcnow()
    return _revoke_tokens(session, person.id)


def _active_admins(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Annotator.role == "admin", Annotator.active.is_(True), Annotator.password_hash.is_not(None)
            )
        )
        or 0
    )
