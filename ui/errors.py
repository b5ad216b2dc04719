"""The Gradio pages' one error boundary: the typed errors of the ``errors`` package (and the judge's
input and loading errors) become messages a user can act on, in one place.

Every handler is wrapped in ``guarded`` (the error pops up as a ``gr.Error``) or ``noted(target)``
(the message is written into a Markdown area of the page and shown as a warning toast, with no error
state on the other outputs, so a typo in a form never leaves an overlay that blocks the form).
Anything else is a bug: it propagates, and Gradio shows a generic error without internals.
"""

from __future__ import annotations

import functools
import html
import inspect
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import gradio as gr

from errors import StudioError
from judge_runtime import JudgeInputError, JudgeLoadError
from ui.render import inline_text

F = TypeVar("F", bound=Callable[..., Any])

#: What a user can fix or must wait for. Plain ``ValueError`` stays here while lower layers still
#: raise it for bad input (e.g. a password that is too long); everything else is a bug.
USER_ERRORS: tuple[type[BaseException], ...] = (StudioError, JudgeInputError, JudgeLoadError, ValueError)


def user_message(exc: BaseException) -> str:
    """The sentence shown to the user for a user error (the typed errors carry it as their text)."""
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, JudgeLoadError) and not text.lower().startswith("the judge"):
        return f"The judge could not be loaded: {text}"
    return text


def as_gr_error(exc: BaseException) -> gr.Error:
    """A user error as a Gradio popup (no traceback printed: it is not a bug). Gradio renders a
    popup's message as HTML and messages quote what the user typed, so it is escaped here."""
    return gr.Error(html.escape(user_message(exc), quote=False), print_exception=False)


def _wrap(fn: F, on_error: Callable[[BaseException], Any]) -> F:
    """``fn`` (a plain function or a generator) with user errors handed to ``on_error``, whose return
    value (if it returns) becomes the handler's last update. ``functools.wraps`` keeps the signature:
    Gradio injects ``gr.Request`` / ``gr.SelectData`` by their annotations."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except USER_ERRORS as exc:
                yield on_error(exc)

        return stream  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except USER_ERRORS as exc:
            return on_error(exc)

    return call  # type: ignore[return-value]


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


__all__ = ["USER_ERRORS", "actor_of", "as_gr_error", "guarded", "has_role", "noted", "user_message"]
