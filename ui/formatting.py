"""Markdown for what the pages show. Untrusted text goes through ``ui.render``: ``inline_text``/``code``
inside a line, ``safe_markdown``/``quote_block`` for blocks."""

from __future__ import annotations

from analysis.verdicts import outcome
from annotation_store import ComparisonView, VerdictView
from judge_runtime import DEMO_DISPLAY_NAME
from orchestration.metrics import margin_setting
from ui.render import code, cut_for_display, inline_text, quote_block

#: elem_classes of a gr.Number that starts empty: static/empty_numbers.js clears the 0 Gradio's front end
#: shows for an empty value, so the placeholder ("e.g. 12") shows and nothing is sent until typed.
EMPTY_NUMBER = ["js-empty-number"]
VERDICT_NAMES = {"1": "Response 1 is better", "2": "Response 2 is better", "tie": "Tie"}
LEANING = {"1": "Response 1", "2": "Response 2", "tie": "a tie"}


DEMO_CAVEAT = "the 135M demo judge's reasons are not meaningful: it is for trying the app"


def prompt_markdown(c: ComparisonView, *, reference: bool = False) -> str:
    """Instruction and input; with ``reference``, the dataset's reference answer too where it has one (what a
    judge profile that takes a reference is given)."""
    parts = [f"### Instruction\n\n{quote_block(c.instruction)}"]  # headings under the item's H2 (s14 a11y 7)
    if c.input.strip():
        parts.append(f"### Input\n\n{quote_block(c.input)}")
    if reference and c.reference and c.reference.strip():
        parts.append(f"**Reference answer (from the dataset)**\n\n{quote_block(c.reference)}")
    return "\n\n".join(parts)


def probability_places(*values: float) -> int:
    """Decimals to show probabilities with: 3 when two of them round alike at 2 ("leaning to Response 1" beside
    "p(1) 0.36 · p(2) 0.36" reads as a bug), else 2. The one rule (Case study, Annotate feedback)."""
    return 3 if len({f"{x:.2f}" for x in values}) < len(values) else 2


def probabilities_line(p: dict[str, float]) -> str:
    """``p(1) 0.62 · p(2) 0.30 · p(tie) 0.08``, at ``probability_places`` decimals (0 where one is missing)."""
    p1, p2, tie = (p.get(key, 0.0) for key in ("1", "2", "tie"))
    places = probability_places(p1, p2, tie)
    return f"p(1) {p1:.{places}f} · p(2) {p2:.{places}f} · p(tie) {tie:.{places}f}"


def plain_block(text: str | None, empty: str = "_(empty)_") -> str:
    """Untrusted text shown as plain text in a Markdown component: every line through ``inline_text`` (no
    heading, list, emphasis or tag can form), the line breaks kept (a component with ``line_breaks=True``)."""
    if not text or not text.strip():
        return empty
    shown, note = cut_for_display(text)
    lines = "\n".join(inline_text(line) for line in shown.splitlines())
    return f"{lines}\n\n{note}" if note else lines


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


def judge_line(v: VerdictView, setup: str = "") -> str:
    """Which judge, with which setup (``setup``: the run's, in words; else the profile), and how long it took."""
    how = inline_text(setup) if setup else f"profile {code(v.profile)}"
    return f"Judge: {code(v.judge_model)} · {how} · {v.latency_s:.1f} s"


def verdict_markdown(v: VerdictView | None, margin: float | None = None, setup: str = "") -> str:
    """The verdict as people should read it: an uncertain one says so, with the probabilities beside it;
    ``setup``: the judge setup the run used, in words (the Studio's ``setup_words``)."""
    if v is None:
        return "_Not judged yet: press **Run judge**._"
    margin = margin_setting() if margin is None else margin
    if outcome(v.verdict, v.status, v.probabilities, margin) == "uncertain":
        p = v.probabilities or {}
        return (
            f"### Uncertain: leaning to {LEANING[str(v.verdict)]}\n\n"
            f"{probabilities_line(p)}: {UNCERTAIN_NOTE.format(margin=margin)}\n\n{judge_line(v, setup)}"
        )
    if v.status != "ok":
        shown = {
            "unparsed": "Unparsed: the judge's output has no verdict in its format",
            "truncated": "Truncated: the output hit the token limit before a verdict",
        }
        return f"### ⚠ {shown.get(v.status, inline_text(v.status))}\n\n{judge_line(v, setup)}"
    probs = f" · {probabilities_line(v.probabilities)}" if v.probabilities else ""
    return f"### Verdict: {VERDICT_NAMES[str(v.verdict)]}\n\n{judge_line(v, setup)}{probs}"


def is_demo_judge(judge_model: str) -> bool:
    return judge_model == DEMO_DISPLAY_NAME


def reason_markdown(v: VerdictView) -> str:
    """The judge's reason; where the output has no verdict, the output itself as plain text under a heading that
    says so (not as a reason); by the demo judge's reason, the caveat that it means nothing."""
    if v.status in ("unparsed", "truncated"):
        return f"**Raw output (no verdict found)**\n\n{plain_block(v.raw_output or v.reason)}"
    if v.status != "ok":
        return f"**Why there is no verdict**\n\n{plain_block(v.reason, '_(no reason recorded)_')}"
    caveat = f" · _{DEMO_CAVEAT}_" if is_demo_judge(v.judge_model) else ""
    return f"**Reason**{caveat}\n\n{quote_block(v.reason, '_(none given)_')}"


def reference_markdown(v: VerdictView) -> str:
    """The reference answer the judge wrote itself (PandaLM's layout has one); not the dataset's."""
    return f"**Judge's reference answer**\n\n{quote_block(v.reference, '_(none written)_')}"
