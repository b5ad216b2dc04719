"""The transactions every part of the store uses, and the typed refusals it raises.

Each entity module (datasets, verdicts, labels, ratings, sessions, accounts) is a mixin over
``StoreBase``; ``store.Store`` puts them together behind one facade. Writes run in one short
transaction each that takes the write lock first (see ``db.py``), so a write is either stored
completely or not at all, and a rule checked inside it (overlap, lease owner) cannot be raced.
Leasing and submitting in a session take the lock of that session only (``in_session=True``; the
session's lock is taken where the transaction reads which session it is, ``answers.session_pool``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from annotation_store.db import IN_SESSION, WRITE
from annotation_store.errors import StoreError
from errors import Conflict, Forbidden, NotFound


class StoreNotFound(StoreError, NotFound):
    """The dataset, session, comparison or response named is not there (HTTP 404). Nothing was written."""


class StoreConflict(StoreError, Conflict):
    """The request clashes with what is stored now: taken by someone else, changed elsewhere, closed
    (HTTP 409). Nothing was written."""


class StoreChanged(StoreConflict):
    """An edit made for an answer version that is no longer the stored one (``expected_version``: changed in
    another tab, window or program meanwhile); ``version`` is the stored one now. The answer pages show the
    answer as it is now instead of leaving the person on a refused Submit (s15 expert finding 1). HTTP 409."""

    def __init__(self, message: str, version: int) -> None:
        super().__init__(message)
        self.version = version


class StoreForbidden(StoreError, Forbidden):
    """Not this person's to answer here: another session's lease or answer, another dataset's item
    (HTTP 403). Nothing was written."""


class StoreBase:
    """An engine and its two kinds of transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        #: Set when the store was opened read-only (``open_store(..., reading=True)``): the note to show.
        self.read_only_note: str | None = None

    @contextmanager
    def _write(self, *, in_session: bool = False) -> Iterator[Session]:
        options = IN_SESSION if in_session else WRITE
        with Session(self.engine.execution_options(**options), expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine) as session, session.begin():
            yield session

    def ping(self) -> None:
        """One trivial query (``SELECT 1``); raises when the database does not answer (the health check)."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()
