"""Turn untrusted text (model responses, judge output) into Markdown that shows HTML as text.

Gradio's Markdown already sanitizes HTML (scripts and event handlers are dropped). On top of that,
``<``, ``>`` and ``&`` outside code are escaped so that a response *about* HTML shows its tags as
text instead of losing them; code spans and fenced blocks are left alone because the Markdown
renderer shows their content literally.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

#: How much of one untrusted block (a response, an instruction, a reason) a page shows. A response may be
#: megabytes (README) and the browser renders Markdown on its main thread: 5 MB froze the Case study for
#: a minute. A module constant, not a setting: ``settings/table.py`` has another owner (it could move).
DISPLAY_LIMIT_BYTES = 100_000
SHOWN_NOTE = "_Shown: the first {shown} of {total}; the judge and the exports use the whole text._"

# Bidirectional embeddings, overrides and isolates: each can make text show in another order than it
# has (``\u202e`` shows "abc" as "cba"), so a name or response could look unlike what it is. The marks
# (LRM, RLM, ALM) only steer neutral characters and are common in right-to-left text: the web keeps
# them; a terminal (no bidi-aware layout to trust) drops both. The one place for the rule.
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
BIDI_MARKS = "\u200e\u200f\u061c"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def visible_bidi(text: str) -> str:
    """``text`` with each bidi control shown as a marker (``⟨U+202E⟩``) instead of acting on the text
    around it; right-to-left letters and marks are left as they are. Every web helper below uses it."""
    return _BIDI.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)


def visible_cells(rows: Iterable[Iterable[object]]) -> list[list[object]]:
    """A table's rows with every text cell through ``visible_bidi`` (numbers and the like unchanged): the
    rule for table cells, applied to every table's value by ``ui.tables.plain_table``."""
    return [[visible_bidi(cell) if isinstance(cell, str) else cell for cell in row] for row in rows]


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 1_000_000 else f"{round(n_bytes / 1e3)} KB"


def _close_fence(text: str) -> str:
    """A cut inside a fenced code block would leave it open (the note below would show as code)."""
    fences = re.findall(r"^(```|~~~)", text, re.MULTILINE)
    return f"{text}\n{fences[-1]}" if len(fences) % 2 else text


def cut_for_display(text: str, limit: int = DISPLAY_LIMIT_BYTES) -> tuple[str, str]:
    """The start of ``text`` a page shows (at most ``limit`` UTF-8 bytes, ending at a line break when
    one is in the last half) and the note that says so ("" when the whole text fits)."""
    if len(text) * 4 <= limit:  # no character takes more than 4 bytes: fits, without encoding
        return text, ""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text, ""
    head = encoded[:limit].decode("utf-8", errors="ignore")
    line_end = head.rfind("\n")
    head = head[:line_end] if line_end > len(head) // 2 else head
    note = SHOWN_NOTE.format(shown=_size(limit), total=_size(len(encoded)))
    return _close_fence(head), note


_FENCE = re.compile(r"(^```.*?^```[ \t]*$|^~~~.*?^~~~[ \t]*$)", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)


def _as_text(text: str) -> str:
    """Plain text outside code: HTML escaped, and no image: ``![`` becomes ``!\\[``, so an image
    (inline or by reference) shows as its alt text and address instead of being fetched from another
    host by the reader's browser (a tracking pixel; only the CSP stopped it: s12 ops finding 9)."""
    return html.escape(text, quote=False).replace("![", "!\\[")


def _escape_outside_code_spans(text: str) -> str:
    out, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_as_text(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_as_text(text[last:]))
    return "".join(out)


def safe_markdown(text: str | None) -> str:
    """Untrusted text as a Markdown block: HTML shows as text, images as their alt text and address (never
    fetched), code stays literal, bidi controls show as markers. Shown whole: use ``quote_block`` for text
    that may be long."""
    if not text:
        return ""
    parts = _FENCE.split(visible_bidi(text))
    # split() with one group alternates: outside, fence, outside, fence, ...
    return "".join(part if i % 2 else _escape_outside_code_spans(part) for i, part in enumerate(parts))


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def inline_text(text: object) -> str:
    """Untrusted text (a model, dataset, session or account name, a comment) placed inside a line of
    Markdown: HTML and Markdown syntax are escaped and line breaks become spaces, so the text can
    neither open a tag nor close the span, link or heading around it. The one helper for that."""
    flat = " ".join(plain_text(text).split())
    return _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(flat, quote=False))


def plain_text(text: object) -> str:
    """Untrusted text for a plain-text place on a web page (a ``gr.Dataframe`` cell, a textbox):
    nothing to escape there but the bidi controls, shown as markers."""
    return visible_bidi(str(text))


# C0 and C1 control characters (ESC starts every ANSI sequence) and the bidirectional overrides.
_TERMINAL_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI_MARKS}{BIDI_CONTROLS}]")


def terminal_text(text: object) -> str:
    """Untrusted text placed in a line printed to a terminal (the plain-text report card): line breaks
    become spaces and control characters are dropped, so a name from an imported file can neither
    move the cursor, recolour or retitle the terminal nor reorder the line; nothing else is escaped
    (a terminal shows ``_`` and ``*`` as they are). Never for text that is rendered as Markdown."""
    flat = " ".join(str(text).split())
    return _TERMINAL_CONTROLS.sub("", flat)


def code(text: object) -> str:
    """Untrusted text as a Markdown code span (shown literally; backticks cannot close it)."""
    return "`" + plain_text(text).replace("`", "\u02cb").replace("\n", " ").replace("\r", " ") + "`"


def quote_block(text: str | None, empty: str = "_(empty)_") -> str:
    """A response, prompt or reason as a page shows it: ``safe_markdown`` of at most
    ``DISPLAY_LIMIT_BYTES``, with a note under a cut text; ``empty`` when there is no text."""
    if not text or not text.strip():
        return empty
    shown, note = cut_for_display(text)
    return f"{safe_markdown(shown)}\n\n{note}" if note else safe_markdown(shown)
