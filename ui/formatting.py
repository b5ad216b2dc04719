"""Markdown for what the pages show. Untrusted text goes through ``ui.render``: ``inline_text``/``code``
inside a line, ``safe_markdown``/``quote_block`` for blocks."""

from __future__ import annotations

from annotation_store import ComparisonView, VerdictView
from ui.render import code, inline_text, quote_block, safe_markdown

VERDICT_NAMES = {"1": "Response 1 is better", "2": "Response 2 is better", "tie": "Tie"}


def prompt_markdown(c: ComparisonView) -> str:
    parts = [f"**Instruction**\n\n{safe_markdown(c.instruction)}"]
    if c.input.strip():
        parts.append(f"**Input**\n\n{safe_markdown(c.input)}")
    return "\n\n".join(parts)


def verdict_markdown(v: VerdictView | None) -> str:
    if v is None:
        return "_Not judged yet: press **Run judge**._"
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
