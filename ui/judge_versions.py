"""The dashboard's "judge versions" table: agreement with people per (profile, prompt-template hash, model,
quantization and decoding) (``analysis.judge_versions``), so a new prompt version's effect shows next to the others.

Profile, prompt and model names come from settings and files: shown through ``ui.render`` only.
"""

from __future__ import annotations

from typing import Any

from analysis.judge_versions import GROUPED_BY
from ui.render import inline_text


def _num(value: Any, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def versions_markdown(versions: list[dict[str, Any]]) -> str:
    """A Markdown table, one row per judge version (``orchestration.prompts.judge_versions_of``); empty with
    fewer than two versions (one version's figures are the summary's own)."""
    if len(versions) < 2:
        return ""
    rows = [
        f"**Judge versions** ({GROUPED_BY}; agreement with the majority label, runs pooled)",
        "",
        "| version | runs | n | accuracy | Cohen's κ | change from previous |",
        "|---|---|---|---|---|---|",
    ]
    for v in versions:
        versus = v["against_majority"]
        runs = ", ".join(str(r["run_id"]) for r in v["runs"])  # the model is in the version's name
        rows.append(
            f"| {inline_text(v['version'])} | {runs} | {versus['n']} | {_num(versus['accuracy'])} | "
            f"{_num(versus['cohen_kappa'])} | {_num(v['accuracy_change_from_previous'], signed=True)} |"
        )
    return "\n".join(rows)
