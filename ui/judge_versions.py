"""The dashboard's "judge versions" table: agreement with people per (profile, prompt-template hash, model,
quantization and decoding) (``analysis.judge_versions``), so a new prompt version's effect shows next to the others.

Profile, prompt and model names come from settings and files: shown through ``ui.render`` only.
"""

from __future__ import annotations

from typing import Any

from analysis.judge_versions import GROUPED_BY, headline_of, versions_shown
from ui.render import inline_text


def _num(value: Any, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


#: What the table lists, said in its header: the pairwise judge runs with verdicts on the dataset (a ``rate``
#: run grades single answers with ratings, which the Grading sections show). The runs column holds the runs'
#: ids, as ``metrics`` writes them ("run 2"): a bare "2" under "runs" read as a count of two runs (s13 pgteam,
#: finding 6).
SCOPE = "pairwise verdict runs only: `rate` runs' ratings are not in it"


def runs_cell(runs: list[dict[str, Any]]) -> str:
    """``run 2`` or ``runs 2, 5``: the version's runs by id, never a bare number that reads as a count."""
    ids = ", ".join(str(r["run_id"]) for r in runs)
    return f"run{'s' if len(runs) > 1 else ''} {ids}"


def versions_markdown(versions: list[dict[str, Any]]) -> str:
    """A Markdown table, one row per judge version (``orchestration.dashboard.RunRows.judge_versions``); empty with
    fewer than two versions (one version's figures are the summary's own: ``versions_shown``, the CLI's rule too).
    Accuracy is the headline one with its n (an output without a decisive verdict counts as wrong), kappa the
    decisive verdicts' (s16 judgeshopper, finding 3: the table showed gpt-3.5's decisive-only 0.716, n=974)."""
    if not versions_shown(versions):
        return ""
    rows = [
        f"**Judge versions** ({SCOPE}; {GROUPED_BY}; agreement with the majority label, runs pooled; "
        "n: comparisons judged; accuracy: no verdict counts as wrong)",
        "",
        "| version | judge runs (ids) | n | accuracy | Cohen's κ (decisive verdicts) | change from previous |",
        "|---|---|---|---|---|---|",
    ]
    for v in versions:
        versus, headline = v["against_majority"], headline_of(v)
        rows.append(  # the model is in the version's name
            f"| {inline_text(v['version'])} | {runs_cell(v['runs'])} | {headline['n']} | "
            f"{_num(headline['accuracy'])} | {_num(versus['cohen_kappa'])} | "
            f"{_num(v['accuracy_change_from_previous'], signed=True)} |"
        )
    return "\n".join(rows)
