"""Grading scales and rubrics of single-answer sessions: what a session lets people answer.

A grading session rates each response 1..``scale``: 10 (MT-Bench single-answer grading, the default
and what every session created before issue 11 does) or 5 (Prometheus 2 / Selene absolute grading).
Its ``rubric`` (optional) is written in Prometheus 2's layout, a criterion in square brackets and one
line per score, so the same text can be shown to annotators and given to a rubric-using judge:

    [Does the model provide relevant and useful responses to the user's needs or questions?]
    Score 1: The model's responses are irrelevant or unhelpful ...
    ...
    Score 5: The model consistently offers highly relevant and useful responses ...

(one ``Score k:`` line for every k of the scale). An empty rubric on a 1-5 session means upstream's
default rubric (prometheus-eval's ``helpfulness``); the store keeps it empty and orchestration, which
knows the judge's rubrics, fills it in (``orchestration.grading.session_rubric``), so the store never
copies judge text. The scale of a session that has ratings cannot change: they would fall outside it
or mean something else. A submit outside the scale is refused inside the write transaction
(``check_in_session``), so no path (UI, REST, CLI) can store an 8 in a 1-5 session.
"""

from __future__ import annotations

import re
from typing import Any

from annotation_store.errors import StoreError
from annotation_store.models import RATING_SCALES

GRADING_DEFAULTS: dict[str, Any] = {"scale": 10, "rubric": ""}
MAX_RUBRIC = 20_000
_CRITERION = re.compile(r"\[(.+)\]\n", re.DOTALL)


def check_grading(key: str, value: Any) -> Any:
    """``scale`` or ``rubric``, checked on its own (the rubric against the scale: ``check_rubric``)."""
    if key == "scale":
        if isinstance(value, bool) or not isinstance(value, int | float) or value not in RATING_SCALES:
            raise StoreError(f"The rating scale must be 10 (1-10) or 5 (1-5), got {value!r}; nothing was saved.")
        return int(value)
    if not isinstance(value, str) or len(value) > MAX_RUBRIC:
        raise StoreError(f"The rubric must be text of at most {MAX_RUBRIC:,} characters; nothing was saved.")
    return value.strip("\n").replace("\r\n", "\n")


def parse_rubric(text: str, scale: int) -> tuple[str, list[str]]:
    """(criterion, the description of each score 1..scale) of a rubric, or StoreError saying what is
    missing and where."""
    lines = text.strip("\n").split("\n")
    score_lines = [n for n, line in enumerate(lines) if re.match(r"Score \d+: ", line)]
    head = "\n".join(lines[: score_lines[0]] if score_lines else lines) + "\n"
    match = _CRITERION.fullmatch(head)
    if match is None:
        raise StoreError(
            "A rubric starts with its criterion in square brackets on its own line(s), e.g. '[Is the answer "
            "helpful?]', then one line per score: 'Score 1: ...'; nothing was saved."
        )
    found = [lines[n] for n in score_lines]
    expected = [f"Score {k}: " for k in range(1, scale + 1)]
    for k, prefix in enumerate(expected, start=1):
        if k > len(found) or not found[k - 1].startswith(prefix):
            got = repr(found[k - 1][:40]) if k <= len(found) else "nothing"
            raise StoreError(
                f"The rubric of a 1-{scale} session needs one line per score, 'Score 1: ...' to 'Score {scale}: "
                f"...', in order; score line {k} should start with {prefix!r}, got {got}. Nothing was saved."
            )
    if len(found) > scale or score_lines != list(range(score_lines[0], len(lines))):  # score lines last, together
        raise StoreError(
            f"The rubric of a 1-{scale} session has exactly {scale} score lines, 'Score 1: ...' to "
            f"'Score {scale}: ...', one per line with nothing after them; nothing was saved."
        )
    return match.group(1), [line.split(": ", 1)[1] for line in found]


def check_rubric(rubric: str, scale: int) -> None:
    """A session's rubric (if any) must describe exactly the scores of its scale."""
    if rubric.strip():
        parse_rubric(rubric, scale)


def check_in_session(scale: int, values: dict[str, Any]) -> None:
    """Inside the submit's write transaction: the rating must be on the session's scale."""
    rating = values.get("rating")
    if rating is not None and not 1 <= rating <= scale:
        raise StoreError(
            f"This session rates 1-{scale}: a rating of {rating} is outside its scale; choose 1 to {scale}. "
            "Nothing was saved."
        )
