"""The one rule for a new account's name, on every path (``users add``, the Admin page's "Add account", an
invite sign-up): a name must not pass for another one in a label table.

- Runs of spaces are one space (``"rita  x"`` is stored as ``"rita x"``; HTML shows both alike anyway).
- A name may not mix scripts (``"аnna"``: a Cyrillic ``а`` among Latin letters), except the combinations
  Unicode TR39 calls "highly restrictive" (Latin with Han, Hiragana and Katakana; with Han and Bopomofo; with
  Han and Hangul), so Japanese, Chinese and Korean names work.
- A name may not look like an existing one (accounts and imported annotators alike): two names look alike
  when their keys (``name_keys``) meet. A key is the name after NFKC, without punctuation, symbols and
  invisible characters, spaces collapsed, case-folded and turned into its Unicode TR39 confusable skeleton:
  ``ADMIN``, ``ａｄｍｉｎ``, ``ΑDMIN`` (Greek Alpha), ``admin.`` and ``a-dmin`` all look like ``admin``;
  ``anna-2`` does not look like ``anna``, nor ``José`` like ``Jose``.

The confusables table and the script of each character come from ``confusable_homoglyphs`` (Unicode's
confusables.txt and Scripts.txt as data); that package checks one string at a time and has no skeleton, so
the few lines that turn its table into one (``_prototype``) are here. Existing names are never changed.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from typing import Any

from annotation_store.base import StoreConflict
from annotation_store.errors import StoreError

#: Scripts that may share a name (TR39 "highly restrictive"); any other pair is a mixed-script name.
_TOGETHER = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
#: Characters of every script (digits, spaces, punctuation) and combining marks: no script of their own.
_NO_SCRIPT = frozenset({"COMMON", "INHERITED"})
_DIRECTION_MARK = "\u200e"  # the package wraps right-to-left look-alikes in it for display


def collapse_spaces(name: str) -> str:
    """``name`` stripped, each run of white space (tabs, no-break and ideographic spaces included) one space."""
    return " ".join(name.split())


@functools.cache
def _confusables() -> dict[str, Any]:
    from confusable_homoglyphs.confusables import confusables_data  # ~1 MB of JSON: loaded on first use

    return confusables_data


def _script(ch: str) -> str:
    from confusable_homoglyphs.categories import alias

    return str(alias(ch))


@functools.cache
def _prototype(ch: str) -> str:
    """What ``ch`` looks like (TR39's prototype): the package lists, for a character that looks like a
    prototype, that one prototype; for a prototype, every character that looks like it. Two characters that
    list only each other (the table does not say which is the prototype) are one pair: the one NFKC keeps, else
    a letter or digit, else the smaller code point stands for both (``山``, not the Kangxi radical ``⼭``)."""
    found = _confusables().get(ch)
    if not found or len(found) != 1:
        return ch  # not confusable, or a prototype with several look-alikes
    target = str(found[0]["c"]).replace(_DIRECTION_MARK, "")
    back = _confusables().get(target)
    if back is not None and len(back) == 1 and str(back[0]["c"]).replace(_DIRECTION_MARK, "") == ch:
        return min(ch, target, key=_standing)
    return target


def _standing(text: str) -> tuple[bool, bool, str]:
    """How a character of a look-alike pair is ranked to stand for both (smallest first)."""
    return unicodedata.normalize("NFKC", text) != text, not text.isalnum(), text


def _skeleton(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(_prototype(ch) for ch in decomposed))


def _tidy(text: str) -> str:
    """Punctuation, symbols and invisible characters dropped (before the skeleton: a letter that looks like
    punctuation, the Katakana ``ノ`` like ``/``, stays), white space collapsed."""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSC" or ch.isspace())
    return collapse_spaces(kept)


def name_keys(name: str) -> frozenset[str]:
    """The keys of ``name``; two names look alike when they share one. Two keys, because case and look-alike
    letters interact: case folding first makes ``ADMIN`` (whose ``I`` looks like ``l``) meet ``admin``; the
    skeleton first makes a Cyrillic ``ВОВ`` (whose lower case ``вов`` looks like nothing Latin) meet ``bob``."""
    text = _tidy(unicodedata.normalize("NFKC", name))
    folded_first = _skeleton(text.casefold()).casefold()
    skeleton_first = _skeleton(_skeleton(text).casefold()).casefold()
    return frozenset({collapse_spaces(folded_first), collapse_spaces(skeleton_first)})


def mixed_scripts(name: str) -> list[str] | None:
    """The scripts ``name`` mixes (Latin first, then as they appear), or None when it may use them together."""
    seen: list[str] = []
    for ch in unicodedata.normalize("NFKC", name):
        script = _script(ch)
        if script not in _NO_SCRIPT and script not in seen:
            seen.append(script)
    if len(seen) < 2 or any(set(seen) <= allowed for allowed in _TOGETHER):
        return None
    return sorted(seen, key=lambda script: (script != "LATIN", seen.index(script)))


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def refuse_name(cleaned: str, existing: Iterable[str], taken: str) -> None:
    """Refuse the new name ``cleaned`` (stripped, spaces collapsed) when an ``existing`` name is the same
    (``StoreConflict(taken)``) or looks like it (``StoreConflict``), or when it mixes scripts (``StoreError``).
    The store runs it in the creating write transaction over every annotator's name; ``users add`` runs it
    before asking for the password."""
    keys = name_keys(cleaned)
    alike = None
    for other in existing:
        if other == cleaned:
            raise StoreConflict(taken)
        if alike is None and keys & name_keys(other):
            alike = other
    if alike is not None:
        raise StoreConflict(
            f"{cleaned!r} looks like the existing name {alike!r} (names may not differ only in upper/lower case, "
            "character width, look-alike letters, spacing or punctuation); choose another. Nothing was saved."
        )
    scripts = mixed_scripts(cleaned)
    if scripts is not None:
        raise StoreError(
            f"{cleaned!r} mixes {_listed([s.title() for s in scripts])} letters, so it could pass for another "
            "name; choose a name in one script. Nothing was saved."
        )
