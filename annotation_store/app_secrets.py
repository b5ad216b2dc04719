"""Secrets that every app server of one deployment shares, kept in the database (``app_secrets``).

A mixin of ``Store``. Why in the database: each app server has its own data folder, but all the
servers of a deployment (behind a load balancer) share one database, so a secret stored there is the
same on every server without anyone copying files between machines. The first server to need a
secret makes it; servers starting at the same moment agree on one value (see ``shared_secret``).
The values are random keys (``secrets.token_hex``), not passwords: stored as they are, since the
servers need the key itself to sign with; a copy of the database can sign cookies, as a copy of the
data folder could before.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from annotation_store.base import StoreBase
from annotation_store.errors import StoreError
from annotation_store.models import AppSecret, utcnow

SESSION_SECRET = "session"  # the key browser login cookies are signed with (web/sessions.py)
MAX_SECRET_NAME = 64  # app_secrets.name
MAX_SECRET_VALUE = 128  # app_secrets.value


def _check(name: str, value: str | None) -> None:
    if not isinstance(name, str) or not 0 < len(name) <= MAX_SECRET_NAME:
        raise StoreError(f"A shared secret's name is 1 to {MAX_SECRET_NAME} characters, not {name!r}.")
    if value is not None and (not isinstance(value, str) or not 0 < len(value) <= MAX_SECRET_VALUE):
        raise StoreError(
            f"The secret to adopt as {name!r} must be 1 to {MAX_SECRET_VALUE} characters of text; nothing was saved."
        )


class AppSecretsMixin(StoreBase):
    """Named secrets shared by every server on this database, for ``Store``."""

    def _stored_secret(self, name: str) -> str | None:
        with self._read() as session:
            return session.scalar(select(AppSecret.value).where(AppSecret.name == name))

    def shared_secret(self, name: str, *, adopt: str | None = None) -> str:
        """The secret stored as ``name``. When there is none yet, stores ``adopt`` (a secret an older
        version kept elsewhere, being moved here) or else a new random one, and returns it.

        Race-safe: servers starting at once may all find no row and all insert; the primary key lets
        one insert win, and the others read the winner's value, so every server signs with the same
        key. A stored value always wins over ``adopt``: compare the two to tell they differ."""
        _check(name, adopt)
        stored = self._stored_secret(name)
        if stored is not None:
            return stored
        value = adopt if adopt is not None else secrets.token_hex(32)
        try:
            with self._write() as session:
                session.add(AppSecret(name=name, value=value))
        except IntegrityError:
            stored = self._stored_secret(name)
            if stored is None:  # the conflicting row is gone again: not a race this can settle
                raise
            return stored
        return value

    def rotate_shared_secret(self, name: str) -> None:
        """Replace the secret ``name`` with a new random one (storing one if there was none). Whatever
        was made with the old value is void on every server, e.g. every browser login for ``session``."""
        _check(name, None)
        with self._write() as session:
            row = session.get(AppSecret, name)
            if row is None:
                session.add(AppSecret(name=name, value=secrets.token_hex(32)))
            else:
                row.value = secrets.token_hex(32)
                row.created_at = utcnow()
