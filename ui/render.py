"""Turn untrusted text (model responses, judge output) into Markdown that shows HTML as text.

Gradio's Markdown already sanitizes HTML (scripts and event handlers are dropped). On top of that,
``<``, ``>`` and ``&`` outside code are escaped so that a response *about* HTML shows its tags as
text instead of losing them; code spans and fenced blocks are left alone because the Markdown
renderer shows their content literally.
"""

from __future__ import annotations

import html
import re

_FENCE = re.compile(r"(^```.*?^```[ \t]*$|^~~~.*?^~~~[ \t]*$)", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)


def _escape_outside_code_spans(text: str) -> str:
    out, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(html.escape(text[last : match.start()], quote=False))
        out.append(match.group(0))
        last = match.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)


def safe_markdown(text: str | None) -> str:
    if not text:
        return ""
    parts = _FENCE.split(text)
    # split() with one group alternates: outside, fence, outside, fence, ...
    return "".join(part if i % 2 else _escape_outside_code_spans(part) for i, part in enumerate(parts))


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def inline_text(text: object) -> str:
    """Untrusted text (a model, dataset, session or account name, a comment) placed inside a line of
    Markdown: HTML and Markdown syntax are escaped and line breaks become spaces, so the text can
    neither open a tag nor close the span, link or heading around it. The one helper for that."""
    flat = " ".join(str(text).split())
    return _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(flat, quote=False))


# C0 and C1 control characters (ESC starts every ANSI sequence) and the bidirectional overrides.
_TERMINAL_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: object) -> str:
    """Untrusted text placed in a line printed to a terminal (the plain-text report card): line breaks
    become spaces and control characters are dropped, so a name from an imported file can neither
    move the cursor, recolour or retitle the terminal nor reorder the line; nothing else is escaped
    (a terminal shows ``_`` and ``*`` as they are). Never for text that is rendered as Markdown."""
    flat = " ".join(str(text).split())
    return _TERMINAL_CONTROLS.sub("", flat)


def code(text: object) -> str:
    """Untrusted text as a Markdown code span (shown literally; backticks cannot close it)."""
    return "`" + str(text).replace("`", "\u02cb").replace("\n", " ").replace("\r", " ") + "`"


def quote_block(text: str | None, empty: str = "_(empty)_") -> str:
    return safe_markdown(text) if text and text.strip() else empty
