"""What ``judge-studio evaluate`` prints: the pipeline's result as a titled summary a person can read.

Why not the DataFrames' own ``to_string``: two untitled tables hid what went wrong (every judgment
truncated printed pandas' ``Empty DataFrame`` and then "Results written"), and the swap consistency of
``--both-orders`` was only in the JSON. Every figure here is the one ``results.json`` holds.
"""

from __future__ import annotations

from typing import Any

from analysis.partial_order import order_scope
from analysis.report_text import counted
from evaluation.pipeline import EvaluationResult

#: Statuses of a sample without a verdict that counts, in the order they are listed.
NOT_COUNTED = ("unparsed", "truncated", "invalid", "incomplete", "error")


def status_line(result: EvaluationResult) -> str:
    """ "6 judgments: 4 ok, 2 uncertain, 0 unparsed, 0 truncated": every sample's status, counted."""
    counts = result.status_counts
    shown = {"ok": counts.get("ok", 0), "uncertain": counts.get("uncertain", 0)}
    shown |= {"unparsed": counts.get("unparsed", 0), "truncated": counts.get("truncated", 0)}
    shown |= {k: v for k, v in counts.items() if k not in shown}
    what = "pairs judged in both orders" if result.settings.get("both_orders") else "judgments"
    return f"{len(result.samples)} {what}: " + ", ".join(f"{n} {name}" for name, n in shown.items())


def _uncertain_line(result: EvaluationResult) -> list[str]:
    n = result.status_counts.get("uncertain", 0)
    if not n:
        return []
    margin = result.settings.get("uncertain_margin")
    return [
        f"{counted(n, 'verdict')} uncertain (top two verdict probabilities less than {margin:g} apart): "
        "counted neither as wins nor as ties (--uncertain-margin 0 turns this off)"
    ]


def _empty_reason(result: EvaluationResult) -> str:
    counts = result.status_counts
    why = ", ".join(f"{counts[s]} {s}" for s in ("uncertain", *NOT_COUNTED) if counts.get(s))
    line = f"No verdict counts ({why}): nothing to rank."
    if counts.get("truncated"):
        line += " Truncated outputs were cut at --max-new-tokens: a larger limit may let the judge finish."
    if counts.get("unparsed"):
        line += " Unparsed outputs have no verdict in the prompt's format (see raw_output in the results)."
    return line


def _consistency_lines(result: EvaluationResult) -> list[str]:
    """Swap consistency and first-position preference of a ``--both-orders`` run (as in ``metrics``)."""
    swap = result.consistency
    if swap is None:
        return []
    if not swap.measured:
        return [f"Swap consistency: not measured ({swap.not_measured})"]
    consistency = "n/a" if swap.consistency is None else f"{swap.consistency:.2f}"
    line = f"Swap consistency: {consistency} over {counted(swap.n_pairs, 'pair')} with a verdict in both orders"
    if swap.first_position_rate is not None:
        first = round(swap.first_position_rate * swap.n_decisive)
        p_value = "" if swap.first_position_p_value is None else f", p = {swap.first_position_p_value:.2g}"
        line += f"; the response shown first won {first} of {swap.n_decisive} decisive verdicts{p_value}"
        line += f" ({swap.test})" if swap.test and p_value else ""
    return [
        line,
        "  (orders that disagree count as a tie in the win table: PandaLM's rule for combining the two orders)",
    ]


def _order_line(result: EvaluationResult) -> str:
    order = result.partial_order
    if order.cycles:
        return "Partial order: none (the significant wins form a cycle: " + " > ".join(order.cycles[0]) + ")"
    edges = ", ".join(f"{a} > {b}" for a, b in order.hasse) or "no significant differences"
    rule = result.settings.get("rule", "sign-test")
    alpha = result.settings.get("alpha")
    scope = order_scope(order)
    level = "" if rule != "sign-test" or alpha is None else f", p < {alpha:g}{f', {scope}' if scope else ''}"
    return f"Partial order ({rule}{level}): {edges}"


def summary_text(result: EvaluationResult) -> str:
    """The titled summary: statuses, uncertain verdicts, the win table, Bradley-Terry strengths, the partial
    order and (both orders) swap consistency; a result with no verdict that counts says so in words."""
    lines = [status_line(result), *_uncertain_line(result), *_consistency_lines(result)]
    if not result.status_counts.get("ok") or result.ranking.empty:
        return "\n".join([*lines, _empty_reason(result)])
    n_bootstrap = result.settings.get("n_bootstrap")
    resamples = f", {n_bootstrap} resamples" if n_bootstrap else ""
    lines += [
        "",
        "Win / lose / tie per pair of candidates (verdicts that count):",
        _table(result.win_table),
        "",
        *(
            [f"Bradley-Terry strengths {result.ranking_note}."]
            if result.ranking_note
            else [f"Bradley-Terry strength, 95% percentile-bootstrap interval{resamples}:", _table(result.ranking)]
        ),
        "",
        _order_line(result),
    ]
    return "\n".join(lines)


def _table(frame: Any) -> str:
    return str(frame.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="n/a"))
