"""The Gradio pages' one error boundary: the typed errors of the ``errors`` package (and the judge's
input and loading errors) become messages a user can act on, in one place.

Every handler is wrapped in ``guarded`` (the error pops up as a ``gr.Error``) or ``noted(target)``
(the message is written into a Markdown area of the page and shown as a warning toast, with no error
state on the other outputs, so a typo in a form never leaves an overlay that blocks the form).
Anything else is a bug: it propagates out of these decorators, and ``guard_all`` (run once on the
whole app by ``ui.layout.build_ui``) logs its traceback and shows the user only ``BUG_MESSAGE``
(Gradio would otherwise show the bare exception text, e.g. a ``KeyError``'s column name), for every
handler, decorated or not (timers, page loads, pickers). A database that cannot be reached takes the
same path but is no bug: the user sees ``UNREACHABLE_MESSAGE`` ("...nothing was saved...") instead.
"""

from __future__ import annotations

import functools
import html
import inspect
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import gradio as gr
from gradio_client.exceptions import AppError

from annotation_store.outage import OUTAGE, UNREACHABLE_MESSAGE, unreachable
from annotation_store.storage import storage_problem
from errors import StudioError
from judge_runtime import JudgeInputError, JudgeLoadError
from ui.render import inline_text

F = TypeVar("F", bound=Callable[..., Any])

#: What a user can fix or must wait for. Plain ``ValueError`` stays here while lower layers still
#: raise it for bad input (e.g. a password that is too long); everything else is a bug.
USER_ERRORS: tuple[type[BaseException], ...] = (StudioError, JudgeInputError, JudgeLoadError, ValueError)
#: What a user sees when a handler hits a bug; the traceback goes to the server log.
BUG_MESSAGE = "Something went wrong on the server (logged); try again, or tell an admin."

log = logging.getLogger("judge_studio.ui")


def user_message(exc: BaseException) -> str:
    """The sentence shown to the user for a user error (the typed errors carry it as their text). A
    ``gr.Error`` is a ``ValueError`` too, but its ``str()`` is the ``repr`` of its message (quote marks
    around the text): its ``message`` is the sentence."""
    text = (str(exc.message) if isinstance(exc, AppError) else str(exc)).strip() or type(exc).__name__
    if isinstance(exc, JudgeLoadError) and not text.lower().startswith("the judge"):
        return f"The judge could not be loaded: {text}"
    return text


def as_gr_error(exc: BaseException) -> gr.Error:
    """A user error as a Gradio popup (no traceback printed: it is not a bug). Gradio renders a
    popup's message as HTML and messages quote what the user typed, so it is escaped here."""
    return gr.Error(html.escape(user_message(exc), quote=False), print_exception=False)


def as_bug(fn: Callable[..., Any], exc: BaseException) -> gr.Error:
    """A bug in a handler: the traceback to the server log, a generic popup (no internals) to the user.
    A database that cannot be reached is no bug: the user reads that nothing was saved, and the log gets
    one line per outage (``annotation_store.outage``), not a traceback per click."""
    if (problem := storage_problem(exc)) is not None:  # a full disk or a read-only data folder: no bug either
        log.warning("%s (UI handler %s)", problem, getattr(fn, "__qualname__", fn))
        return gr.Error(problem, print_exception=False)
    if unreachable(exc):
        OUTAGE.refused(exc, f"UI handler {getattr(fn, '__qualname__', fn)}")
        return gr.Error(UNREACHABLE_MESSAGE, print_exception=False)
    log.error("Unexpected error in UI handler %s", getattr(fn, "__qualname__", fn), exc_info=exc)
    return gr.Error(BUG_MESSAGE, print_exception=False)


def _wrap(fn: F, on_error: Callable[[BaseException], Any], *, bugs: bool = False) -> F:
    """``fn`` (a plain function or a generator) with user errors handed to ``on_error``, whose return
    value (if it returns) becomes the handler's last update; with ``bugs``, any other exception
    becomes ``as_bug``'s popup. ``functools.wraps`` keeps the signature: Gradio injects
    ``gr.Request`` / ``gr.SelectData`` by their annotations."""
    caught: tuple[type[BaseException], ...] = (Exception,) if bugs else ()
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except USER_ERRORS as exc:
                yield on_error(exc)
            except caught as exc:
                raise as_bug(fn, exc) from exc

        return stream  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except USER_ERRORS as exc:
            return on_error(exc)
        except caught as exc:
            raise as_bug(fn, exc) from exc

    return call  # type: ignore[return-value]


def _keep(exc: BaseException) -> Any:
    raise exc


def guard_all(demo: gr.Blocks) -> None:
    """The bug boundary around every handler of ``demo`` (built with ``guarded``/``noted`` or not):
    user errors pass through as they are; anything else is logged and shown as ``BUG_MESSAGE``.
    Done once, after the pages are built, so that no handler can be left out."""
    for block_fn in demo.fns.values():
        fn = block_fn.fn
        if fn is None or getattr(fn, "__bug_boundary__", False):
            continue
        if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
            continue  # none of the pages' handlers is async; the sync wrapper would not await them
        wrapped = _wrap(fn, _keep, bugs=True)
        wrapped.__bug_boundary__ = True  # type: ignore[attr-defined]
        if hasattr(fn, "__self__"):  # a bound method: who it belongs to stays visible
            wrapped.__self__ = fn.__self__  # type: ignore[attr-defined]
        block_fn.fn = wrapped


def _raise(exc: BaseException) -> Any:
    raise as_gr_error(exc) from exc


def guarded(fn: F) -> F:
    """Decorator for a handler: a user error becomes a ``gr.Error`` popup with its message."""
    return _wrap(fn, _raise)


def noted(target: Any, prefix: str = "⚠ ") -> Callable[[F], F]:
    """Decorator for a handler whose form must stay usable after a mistake: a user error is written
    into ``target`` (a ``gr.Markdown`` among the event's outputs) and shown as a warning toast; the
    other outputs are left as they are (the handler must return a ``{component: value}`` dict)."""

    def note(exc: BaseException) -> dict[Any, Any]:
        message = user_message(exc)
        gr.Warning(html.escape(message, quote=False))
        return {target: f"{prefix}{inline_text(message)}"}

    def decorate(fn: F) -> F:
        return _wrap(fn, note)

    return decorate


def has_role(studio: Any, request: gr.Request | None, role: str) -> bool:
    """For page-load handlers: whether the caller has ``role`` (a user without it gets a note on the
    page instead of an error popup; every action still checks the role in orchestration)."""
    try:
        studio.access.require(actor_of(request), role)
    except USER_ERRORS:
        return False
    return True


def actor_of(request: gr.Request | None) -> str | None:
    """The logged-in account of a request (None when there is no login)."""
    return getattr(request, "username", None) if request is not None else None


__all__ = [
    "BUG_MESSAGE",
    "USER_ERRORS",
    "actor_of",
    "as_bug",
    "as_gr_error",
    "guard_all",
    "guarded",
    "has_role",
    "noted",
    "user_message",
]
