"""The judge checkup's figures as Markdown tables: the Admin page's result, the Dashboard's "Judge
checkup" section and (through ``checkups_markdown``) any page that shows the report's checkups.

One table per checkup: a row per category (bias type, HHH subset) and overall, then the always-first
baseline, with the columns of ``analysis.checkup.format_checkup`` (the terminal's table). Category
names and suite titles come from files, judge names from settings: all go through ``ui.render``.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.checkup import BASELINE, CheckupFigures, CheckupResult, StoredCheckup
from ui.render import code, inline_text

COLUMNS = ("pairs", "original", "swapped", "pair acc.", "agreement", "ties", "uncertain", "unparsed")
HOW_TO_READ = (
    "Each pair's better response is known and each pair was judged twice, the responses swapped the second "
    "time. **original / swapped**: accuracy in each order; **pair acc.**: right in both orders (a judge that "
    "only prefers a position cannot earn it); **agreement**: the same verdict after the swap, right or not. "
    "The _always first_ row is a judge that always picks the response shown first."
)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _row(name: str, f: CheckupFigures, counts: bool = True) -> str:
    cells = [name, str(f.pairs), _percent(f.accuracy_original), _percent(f.accuracy_swapped)]
    cells += [_percent(f.pair_accuracy), _percent(f.pair_agreement)]
    cells += [str(f.ties), str(f.uncertain), str(f.unparsed)] if counts else ["", "", ""]
    return "| " + " | ".join(cells) + " |"


def result_table(result: CheckupResult, category_name: str) -> list[str]:
    """The table's lines: header, a row per category and overall, the always-first baseline."""
    head = [inline_text(category_name), *COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += [_row(inline_text(f.category or "(none)"), f) for f in result.judge]
    lines.append(_row(f"_{inline_text(BASELINE)} (baseline)_", result.overall_baseline, counts=False))
    return lines


def stored_markdown(item: StoredCheckup) -> str:
    """One stored checkup (the report's): its title line and its table."""
    head = (
        f"**{inline_text(item.title)}** · judge {code(item.model)} (profile {code(item.profile)}) · "
        f"run {item.run_id} · {item.result.overall.pairs} pairs, both orders"
    )
    return "\n".join([head, "", *result_table(item.result, item.category_name)])


def checkups_markdown(checkups: Sequence[StoredCheckup], run_id: int | None) -> str:
    """The checkups of run ``run_id`` (those that describe it; every one when ``run_id`` is None), or
    a line saying how to run one."""
    chosen = [c for c in checkups if run_id is None or run_id == c.run_id or run_id in c.for_runs]
    if not chosen:
        return (
            "_No judge checkup of this judge yet: run `judge-studio checkup` or the Admin page's "
            "Judge checkup section (EvalBiasBench in both orders); its figures appear here._"
        )
    return "\n\n".join([*(stored_markdown(c) for c in chosen), f"_{HOW_TO_READ}_"])
