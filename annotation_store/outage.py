"""A database that cannot be reached: how to recognise it, what a user is told, and one log line per outage.

When PostgreSQL stops (or the SQLite file cannot be opened) while the app serves, every request that
reads the database fails the same way. The interfaces' error boundaries (``web/outage.py`` for HTTP,
``ui/errors.py`` for the Gradio pages) ask ``unreachable(exc)``; when it says yes, the user gets
``UNREACHABLE_MESSAGE`` (HTTP 503 with ``Retry-After``) and the server log gets one warning when the
outage starts, at most one more a minute while it lasts, and one line when a connection works again
(``OUTAGE``), not a traceback per request (s13: 41 in 20 seconds).

Only connection-level failures count: the connection could not be made or was lost (SQLAlchemy's
``DisconnectionError``, an invalidated connection, psycopg errors without an SQLSTATE or of class 08
"connection exception" or 57P01-57P03 "server shutting down / cannot connect now", SQLite's "unable to
open database file" and "disk I/O error"). A lock timeout, a serialization failure, a constraint or a
bug stays what it was: SQLite's "database is locked" (after its 30 s busy timeout) is contention, not
an outage. Nothing was written in any of these cases: the transaction was not committed.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError

#: What a user is told, on every interface.
UNREACHABLE_MESSAGE = "The database is not reachable right now; nothing was saved. Try again in a moment."
#: The ``Retry-After`` of the HTTP answer, in seconds.
RETRY_AFTER_S = 10
#: While an outage lasts, at most one log line per this many seconds.
LOG_EVERY_S = 60.0

# PostgreSQL SQLSTATEs of a lost or refused connection: class 08 (connection exception), and the server
# shutting down (57P01 admin shutdown, 57P02 crash shutdown) or starting (57P03 cannot connect now).
_PG_LOST = ("08", "57P01", "57P02", "57P03")
# When a connection is first opened, a refused login counts too: class 28 (wrong password, no such role) and
# 3D (no such database); later, on a working server, they cannot happen.
_PG_LOGIN_REFUSED = ("28", "3D")
_SQLITE_UNREACHABLE = ("unable to open database file", "disk i/o error")


def pg_state_unreachable(state: object, *, opening: bool = False) -> bool:
    """Whether a PostgreSQL error's SQLSTATE (None: the driver could not even connect) means the server was not
    reached; ``opening``: while a connection is first opened (``db.unreachable_error``), a refused login too.
    The one rule for both the start-up message and the outage boundary."""
    return state is None or str(state).startswith(_PG_LOST + (_PG_LOGIN_REFUSED if opening else ()))


def _driver_unreachable(exc: BaseException) -> bool:
    """Whether a driver's own exception (psycopg, sqlite3) says the connection failed."""
    if isinstance(exc, sqlite3.OperationalError):
        return str(exc).lower().startswith(_SQLITE_UNREACHABLE)
    kind = type(exc)
    if kind.__module__.split(".")[0] in {"psycopg", "psycopg2"} and any(
        base.__name__ == "OperationalError" for base in kind.__mro__
    ):
        return pg_state_unreachable(getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None))
    return False


def causes(exc: BaseException, *, groups: bool = True) -> Iterator[BaseException]:
    """``exc`` and what it was raised from, each once: the driver's exception inside a ``DBAPIError``
    (``orig``), ``__cause__``, and (``groups``) an exception group's members; depth first, the one walk for
    ``unreachable`` here and the storage rule (``annotation_store/storage.py``)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        found = pending.pop()
        if found is None or id(found) in seen:
            continue
        seen.add(id(found))
        yield found
        if isinstance(found, DBAPIError):
            pending.append(found.orig)
        if groups and isinstance(found, BaseExceptionGroup):
            pending.extend(found.exceptions)
        pending.append(found.__cause__)


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) means the database could not be reached."""
    for found in causes(exc):
        if isinstance(found, DisconnectionError):
            return True
        if isinstance(found, DBAPIError):
            if found.connection_invalidated:
                return True
        elif _driver_unreachable(found):
            return True
    return False


def _said(exc: BaseException) -> str:
    """The driver's first line (never SQLAlchemy's text, which quotes the statement and its parameters)."""
    inner: BaseException = exc
    while isinstance(inner, DBAPIError) and inner.orig is not None:
        inner = inner.orig
    lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
    return f"{type(inner).__name__}: {lines[0][:200] if lines else ''}".rstrip(": ")


class Outage:
    """The log of outages in this process: ``refused`` for each request answered "not reachable",
    ``reachable`` when a connection worked (after ``watch``, every new connection calls it)."""

    def __init__(self, log: logging.Logger, every_s: float = LOG_EVERY_S, clock: Callable[[], float] = time.monotonic):
        self.log = log
        self.every_s = every_s
        self.clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None  # when this outage started (None: none now)
        self._said_at = 0.0
        self._refused = 0  # requests refused since the last line
        self._total = 0  # requests refused in this outage
        self._watching = False

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def refused(self, exc: BaseException, where: str = "") -> None:
        """One more request could not reach the database: a warning when an outage starts, then at
        most one a minute, each counting the requests refused since the last."""
        now = self.clock()
        with self._lock:
            self._refused += 1
            self._total += 1
            if self._since is None:
                self._since, self._said_at, self._refused = now, now, 0
                line = (
                    f"The database is not reachable ({_said(exc)}; first seen at {where or 'a request'}): "
                    "requests are answered 503 'try again' until it is back; said again at most once a minute."
                )
            elif now - self._said_at >= self.every_s:
                line = (
                    f"The database is still not reachable after {now - self._since:.0f} s ({_said(exc)}): "
                    f"{self._refused} requests refused in the last {now - self._said_at:.0f} s."
                )
                self._said_at, self._refused = now, 0
            else:
                return
        self.log.warning(line)

    def reachable(self) -> None:
        """A connection to the database worked: ends the outage (one line), if there was one."""
        if self._since is None:  # the common case, without taking the lock
            return
        with self._lock:
            if self._since is None:
                return
            lasted, total = self.clock() - self._since, self._total
            self._since, self._refused, self._total = None, 0, 0
        self.log.warning("The database is reachable again after %.0f s (%d requests refused).", lasted, total)

    def watch(self) -> None:
        """Call ``reachable`` whenever any engine of this process hands out a working connection (a
        class-level listener: the store's engine included, whoever made it). Idempotent."""
        if self._watching:
            return
        self._watching = True

        def connected(_connection: Any) -> None:
            self.reachable()

        event.listen(Engine, "engine_connect", connected)


#: The process's one outage log (logger ``judge_studio.database``).
OUTAGE = Outage(logging.getLogger("judge_studio.database"))

__all__ = ["LOG_EVERY_S", "OUTAGE", "RETRY_AFTER_S", "UNREACHABLE_MESSAGE", "Outage", "causes", "unreachable"]
