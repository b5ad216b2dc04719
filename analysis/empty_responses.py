"""The one empty-response rule: what a comparison with an empty (or blank) response gets from the judge.

The judge refuses an empty response (``judge_runtime.base.check_case``: nothing to read), so such a comparison
has no judge verdict. The ``empty_response`` setting says what follows:

- ``leave-out`` (the default, the behaviour before session 15): it is stored as a refusal ("error") and left
  out of the judge's figures, counted in one line by ``metrics``, ``report`` and the card;
- ``loses``: it is decided without the judge: the non-empty side wins, both empty is a tie. The verdict is
  stored with a reason saying so and a marker (``annotation_store.verdicts.RULE_OUTPUT``, read back as the
  ``by_rule`` column of ``Store.judge_verdicts``), so the figures count it as a win and the report says how
  many a run decided so.

Pure functions, imported by ``orchestration`` (which judges and stores), ``analysis.report`` (which counts) and
``analysis.report_text`` (which words it). Imports nothing.
"""

from __future__ import annotations

from typing import Any

LEAVE_OUT = "leave-out"
LOSES = "loses"
#: The values of the ``empty_response`` setting (``settings.table``: a test checks they agree).
EMPTY_RESPONSE_RULES = (LEAVE_OUT, LOSES)
DEFAULT_RULE = LEAVE_OUT


def is_empty(text: Any) -> bool:
    """A response counts as empty when it is missing or only white space: what the judge refuses."""
    return text is None or (isinstance(text, float) and text != text) or not str(text).strip()


def checked_rule(rule: str) -> str:
    """``rule``, or a ValueError naming the values (a bad ``JUDGE_STUDIO_EMPTY_RESPONSE`` is not checked by the
    command line's choices)."""
    if rule not in EMPTY_RESPONSE_RULES:
        raise ValueError(
            f"empty_response {rule!r} is not a rule: use {' or '.join(repr(r) for r in EMPTY_RESPONSE_RULES)}."
        )
    return rule


def rule_verdict(response1: Any, response2: Any, rule: str) -> str | None:
    """The verdict ("1", "2", "tie") the rule gives a comparison, or None when the judge decides (no empty
    response) or the rule leaves it to the judge's refusal (``leave-out``)."""
    empty = (is_empty(response1), is_empty(response2))
    if checked_rule(rule) != LOSES or not any(empty):
        return None
    if all(empty):
        return "tie"
    return "2" if empty[0] else "1"


def rule_reason(verdict: str) -> str:
    """The stored reason of a verdict the rule gave: which response was empty and why it lost (or tied)."""
    if verdict == "tie":
        what = "Both responses are empty: a tie"
    else:
        empty = "1" if verdict == "2" else "2"
        what = f"Response {empty} is empty, so it loses: response {verdict} wins"
    return f"{what}, decided by the empty_response setting ({LOSES!r}) without asking the judge."


def left_out_note() -> str:
    """Said after the judge's refusal of an empty response under ``leave-out`` (the CLI summary, the Case study)."""
    return (
        f"empty_response is {LEAVE_OUT!r}: a comparison with an empty response is left out of the judge's figures "
        f"(--empty-response {LOSES} counts the empty response as a loss)"
    )


def rule_line(n: int) -> str:
    """What the CLI's summary says of the ``n`` comparisons the rule decided in a run ('' for none)."""
    if not n:
        return ""
    which = "1 comparison" if n == 1 else f"{n} comparisons"
    return (
        f"{which} with an empty response decided without the judge (empty_response {LOSES!r}: the empty response "
        "loses, both empty is a tie), counted as ok."
    )
