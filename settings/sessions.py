"""The defaults of a new annotation session, as rows of the settings table.

The values belong to the store (``annotation_store.sessions.SESSION_DEFAULTS``: what a session gets
when a field is left out); these rows add the help text, the environment variable
``JUDGE_STUDIO_SESSION_<KEY>`` that changes what the Admin page's session form starts with, and the
README row. Kept apart from ``settings/__init__`` so that importing ``settings`` (as ``evaluation``
does) never imports the store.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from annotation_store.sessions import SESSION_DEFAULTS
from settings.table import Setting

__all__ = ["SESSION_HELP", "SESSION_SETTINGS", "session_defaults"]

SESSION_HELP: dict[str, str] = {
    "overlap": "new sessions: annotators per item",
    "blind": "new sessions: model names hidden while people answer",
    "reveal_judge": (
        "new sessions: after each answer (not a skip) the judge's answer and, in a blind session, the model "
        "names are shown; such an answer is final"
    ),
    "randomize_order": "new sessions: left/right order drawn per (comparison, annotator)",
    "lease_seconds": "new sessions: an item not answered within this many seconds returns to the pool",
    "gold_rate": "new sessions: share of gold (attention-check) comparisons, 0 to 0.5",
    "guidelines": "new sessions: guidelines shown above every item",
    "fill": (
        "new sessions: the order items are handed out in: breadth (every item gets one answer before any gets "
        "a second) or depth (items are filled to the overlap one after another, so agreement shows early)"
    ),
}


def _row(key: str, value: Any) -> Setting:
    return Setting(
        f"session_{key}",
        type(value),
        SESSION_HELP.get(key, "new sessions: see annotation_store.sessions"),
        "session",
        default=value,
        source=f"annotation_store.sessions.SESSION_DEFAULTS[{key!r}]",
        runtime=False,
    )


#: One row per key of the store's defaults, in its order.
SESSION_SETTINGS: tuple[Setting, ...] = tuple(_row(key, value) for key, value in SESSION_DEFAULTS.items())


def session_defaults(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What the session form starts with: the store's defaults, changed by ``JUDGE_STUDIO_SESSION_*``.

    Keyed like ``SESSION_DEFAULTS`` (``overlap``, ``lease_seconds``, ...), so the result can be passed
    to the store as it is.
    """
    env = os.environ if environ is None else environ
    return {row.name.removeprefix("session_"): row.from_env(env) for row in SESSION_SETTINGS}
