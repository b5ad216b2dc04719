"""Markdown for what the pages show. Untrusted text goes through ``ui.render``: ``inline_text``/``code``
inside a line, ``safe_markdown``/``quote_block`` for blocks."""

from __future__ import annotations

from analysis.verdicts import outcome
from annotation_store import ComparisonView, VerdictView
from orchestration.metrics import margin_setting
from ui.render import code, inline_text, quote_block

#: elem_classes of a gr.Number that starts empty: static/empty_numbers.js clears the 0 Gradio's front end
#: shows for an empty value, so the placeholder ("e.g. 12") shows and nothing is sent until typed.
EMPTY_NUMBER = ["js-empty-number"]
VERDICT_NAMES = {"1": "Response 1 is better", "2": "Response 2 is better", "tie": "Tie"}
LEANING = {"1": "Response 1", "2": "Response 2", "tie": "a tie"}


def prompt_markdown(c: ComparisonView) -> str:
    parts = [f"**Instruction**\n\n{quote_block(c.instruction)}"]
    if c.input.strip():
        parts.append(f"**Input**\n\n{quote_block(c.input)}")
    return "\n\n".join(parts)


def gold_first(check: str, rest: str) -> str:
    """The gold check, when there is one, as a quoted paragraph above the rest of the message: the one
    line a grader must not miss (the item it is about is already off screen). Words, not ✅/❌: browsers
    without an emoji font show those as empty boxes."""
    return f"> {check}\n\n{rest}" if check else rest


UNCERTAIN_NOTE = (
    "the judge's top two verdicts are less than {margin:.2f} apart in probability: shown, but counted "
    "neither as a win nor as a tie (setting `uncertain_margin`)"
)


def verdict_words(
    verdict: str | None, status: str, probabilities: dict[str, float] | None, margin: float | None = None
) -> str:
    """One verdict in a few words by the one uncertain rule (``analysis.verdicts.outcome`` with the
    ``uncertain_margin`` setting): what the header says, for the lines of a list."""
    margin = margin_setting() if margin is None else margin
    shown = outcome(verdict, status, probabilities, margin)
    if shown == "uncertain":
        return f"Uncertain: leaning to {LEANING[str(verdict)]}"
    if status != "ok" or shown not in VERDICT_NAMES:
        return f"⚠ {inline_text(status)} (no verdict)"
    return VERDICT_NAMES[shown]


def verdict_markdown(v: VerdictView | None, margin: float | None = None) -> str:
    """The verdict as people should read it: an uncertain one says so, with the probabilities beside it."""
    if v is None:
        return "_Not judged yet: press **Run judge**._"
    margin = margin_setting() if margin is None else margin
    if outcome(v.verdict, v.status, v.probabilities, margin) == "uncertain":
        p = v.probabilities or {}
        return (
            f"### Uncertain: leaning to {LEANING[str(v.verdict)]}\n\n"
            f"p(1) {p['1']:.2f} · p(2) {p['2']:.2f} · p(tie) {p['tie']:.2f}: {UNCERTAIN_NOTE.format(margin=margin)}\n\n"
            f"Judge: {code(v.judge_model)} · profile {code(v.profile)} · {v.latency_s:.1f} s"
        )
    if v.status != "ok":
        shown = {
            "unparsed": "Unparsed: the judge's output has no verdict in its format",
            "truncated": "Truncated: the output hit the token limit before a verdict",
        }
        judge = f"Judge: {code(v.judge_model)} · profile {code(v.profile)}"
        return f"### ⚠ {shown.get(v.status, inline_text(v.status))}\n\n{judge}"
    probs = ""
    if v.probabilities:
        p = v.probabilities
        probs = f" · p(1) {p['1']:.2f} · p(2) {p['2']:.2f} · p(tie) {p['tie']:.2f}"
    return (
        f"### Verdict: {VERDICT_NAMES[str(v.verdict)]}\n\n"
        f"Judge: {code(v.judge_model)} · profile {code(v.profile)} · {v.latency_s:.1f} s{probs}"
    )


def reason_markdown(text: str) -> str:
    return f"**Reason**\n\n{quote_block(text, '_(none given)_')}"


def reference_markdown(text: str) -> str:
    return f"**Reference answer**\n\n{quote_block(text, '_(none given)_')}"
