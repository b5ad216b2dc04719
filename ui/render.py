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


# What the page's Markdown renderer (marked, GFM) makes a link of by itself: an address with a scheme or "www.", and
# an e-mail address. Its address runs to the next space or "<", so an escaped ``&gt;&lt;/iframe`` after it was
# taken into the link (s13 redteam finding 6).
_LINKED = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>`]+", re.IGNORECASE)
_LINK_TRAILING = ".,:;!?'\")]}*_~"
_LINK_DESTINATION = re.compile(r"(?:\]\(\s*|\]:\s*|\[)$")  # [text](here, [ref]: here, [here: already Markdown's


def _bare_address(match: re.Match[str]) -> str:
    """The address ``match`` found, less the sentence's trailing punctuation ("" when none is left)."""
    address = match.group().rstrip(_LINK_TRAILING)
    return "" if address.lower() in ("http://", "https://", "ftp://", "www.") else address


def _plain_links(text: str) -> str:
    """Untrusted text (model output, prompts, responses, comments): no link at all, every address visible.
    Markdown's link brackets are escaped (``[x](https://…)`` shows as written), an address becomes a code span
    (shown as it is, never a link), an e-mail address's ``@`` is escaped (no mailto link)."""
    out, last = [], 0
    for match in _LINKED.finditer(text):
        address = _bare_address(match)
        if address:
            out += [_unlinked(text[last : match.start()]), code(address)]
            last = match.start() + len(address)
    out.append(_unlinked(text[last:]))
    return "".join(out)


def _unlinked(text: str) -> str:
    """``_as_text`` that can start no link: every ``[`` (so ``![`` too) and ``@`` escaped."""
    return html.escape(text, quote=False).replace("[", "\\[").replace("@", "\\@")


def _bounded_links(text: str) -> str:
    """Text whose links stay links (a session's guidelines, written by an admin): a bare address becomes an
    autolink (``<https://…>``), so the escaped HTML after it (``<iframe src=https://x></iframe>``) stays text
    and out of the address; addresses that are already a Markdown link's are left to it."""
    out, last = [], 0
    for match in _LINKED.finditer(text):
        address = _bare_address(match)
        if not address or _LINK_DESTINATION.search(text[last : match.start()]):
            continue
        if "://" not in address:  # "www.…" (no autolink form): only where HTML follows it needs it one
            if not text.startswith(("<", ">"), match.start() + len(address)):
                continue
            address_link = f"<http://{address}>"
        else:
            address_link = f"<{address}>"
        out += [_as_text(text[last : match.start()]), address_link]
        last = match.start() + len(address)
    out.append(_as_text(text[last:]))
    return "".join(out)


def _escape_outside_code_spans(text: str, links: bool) -> str:
    escape = _bounded_links if links else _plain_links
    out, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def safe_markdown(text: str | None, *, links: bool = True) -> str:
    """Untrusted text as a Markdown block: HTML shows as text, images as their alt text and address (never
    fetched), code stays literal, bidi controls show as markers. ``links``: Markdown links and addresses stay
    links (guidelines an admin wrote); without, none is a link and every address shows as code (what a model,
    a dataset or a person wrote: ``quote_block``). Shown whole: use ``quote_block`` for text that may be long."""
    if not text:
        return ""
    parts = _FENCE.split(visible_bidi(text))
    # split() with one group alternates: outside, fence, outside, fence, ...
    return "".join(part if i % 2 else _escape_outside_code_spans(part, links) for i, part in enumerate(parts))


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


# A web address inside untrusted text: the Markdown renderer links it before it reads escapes, so an escaped
# address showed its backslashes and linked to them ("http://127\.0\.0\.1", s13 pgteam findings 4 and 5).
# Trailing punctuation ("…/v1." "(…/v1)") is the sentence's, as in GitHub's autolinks.
_URL = re.compile(r"(?:https?://|www\.)[^\s<>`|]+", re.IGNORECASE)
_URL_TRAILING = ".,:;!?'\")]}*_~"


def _escaped(flat: str) -> str:
    return _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(flat, quote=False))


def inline_text(text: object) -> str:
    """Untrusted text (a model, dataset, session or account name, a comment, a message) placed inside a line
    of Markdown: HTML and Markdown syntax are escaped and line breaks become spaces, so the text can
    neither open a tag nor close the span, link or heading around it; a web address in it becomes a code
    span (shown as it is, never a link). The one helper for that."""
    flat = " ".join(plain_text(text).split())
    out, last = [], 0
    for match in _URL.finditer(flat):
        address = match.group().rstrip(_URL_TRAILING)
        if not address or address.lower() in ("http://", "https://", "www."):
            continue
        out += [_escaped(flat[last : match.start()]), code(address)]
        last = match.start() + len(address)
    out.append(_escaped(flat[last:]))
    return "".join(out)


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
    return without_controls(" ".join(str(text).split()))


def without_controls(line: str) -> str:
    """One line printed to a terminal with its control and bidi characters dropped and nothing else changed
    (spaces kept, so a report's columns stay aligned): ``terminal_text`` for a name, this for a whole line."""
    return _TERMINAL_CONTROLS.sub("", line)


def code(text: object) -> str:
    """Untrusted text as a Markdown code span (shown literally; backticks cannot close it)."""
    return "`" + plain_text(text).replace("`", "\u02cb").replace("\n", " ").replace("\r", " ") + "`"


def quote_block(text: str | None, empty: str = "_(empty)_") -> str:
    """A response, prompt, reason or comment as a page shows it: ``safe_markdown`` without links (an address
    shows as code, never a link a model or dataset put in front of annotators) of at most
    ``DISPLAY_LIMIT_BYTES``, with a note under a cut text; ``empty`` when there is no text."""
    if not text or not text.strip():
        return empty
    shown, note = cut_for_display(text)
    block = safe_markdown(shown, links=False)
    return f"{block}\n\n{note}" if note else block
