"""Counts in words ("1 annotator", "2 annotators"), with no statistics and no pandas, so that the importers'
messages (``interchange/importers.py``) and the CLI need not load the report's modules to say a number."""

from __future__ import annotations


def counted(n: int, word: str, plural: str | None = None) -> str:
    """ "1 annotator", "2 annotators": a count with its noun in the right number."""
    return f"{n} {word if n == 1 else plural or word + 's'}"
