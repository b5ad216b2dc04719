"""The typed errors every package raises, so that each interface maps them once: the web layer to
HTTP status codes (``web.errors``), the Gradio pages to messages (``ui.errors``), the CLI to exit codes.

The message of each is written for the person who caused it: what is wrong and where, and what to
do. Raising one of these promises that nothing was written (the store rolls its transaction back).
"""

from __future__ import annotations


class StudioError(Exception):
    """Base class: a problem a user can act on (never a bug)."""


class InvalidInput(StudioError, ValueError):
    """A value, file or request that cannot be used as given (HTTP 400)."""


class NotFound(StudioError, LookupError):
    """The dataset, comparison, session, run or account named is not there (HTTP 404)."""


class Conflict(StudioError):
    """The request clashes with the current state: already there, changed elsewhere, taken (HTTP 409)."""


class Forbidden(StudioError, PermissionError):
    """Signed in, but this role may not do this (HTTP 403)."""


class NotSignedIn(StudioError, PermissionError):
    """No valid login or token (HTTP 401)."""


class Unavailable(StudioError):
    """A resource the request needs cannot be used right now, e.g. the judge failed to load (HTTP 503)."""


_CLOSERS = "\"')]}»”’"


def sentence(text: str) -> str:
    """``text`` ended as a sentence: a full stop added unless it already ends with one (or ! ? …), looking
    past closing quotes and brackets (``... (is it running?)`` is left alone, ``{"error": "nope"}`` gets one)."""
    text = text.rstrip()
    if not text or text.rstrip(_CLOSERS).endswith((".", "!", "?", "…")):
        return text
    return text + "."


def joined(*parts: str) -> str:
    """Messages said one after the other, each ended as a sentence (tester report s14 judgeeng, finding 7: "CUDA out
    of memory 0 verdicts of this run were stored" ran two sentences together); empty parts are left out."""
    return " ".join(sentence(part) for part in parts if part and part.strip())


__all__ = [
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "NotSignedIn",
    "StudioError",
    "Unavailable",
    "joined",
    "sentence",
]
