"""What the Review (and Case study) pages write: the queue and label tables (plain-text cells) and the
Markdown of judge opinions and final labels. Untrusted text goes through ``ui.render``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from annotation_store import AdjudicationView, VerdictView
from orchestration import JudgeOpinion
from ui.formatting import VERDICT_NAMES
from ui.render import code, inline_text, quote_block

QUEUE_HEADERS = ["#", "dataset", "category", "model 1", "model 2", "labels", "judge", "why", "final"]
LABEL_HEADERS = ["annotator", "kind", "verdict", "confidence", "flagged", "comment", "version", "updated"]


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, (str, dict, list)) and bool(pd.isna(value)))


def verdict_word(verdict: Any) -> str:
    if _missing(verdict):
        return "–"
    return {"1": "1", "2": "2", "tie": "tie"}.get(str(verdict), str(verdict))


def queue_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The review queue as the page shows it (all cells plain text)."""
    rows = []
    for row in frame.to_dict("records"):
        labels: dict[str, Any] = row["labels"] if isinstance(row["labels"], dict) else {}
        reasons = (("people disagree", row["annotators_disagree"]), ("judge disagrees", row["judge_disagrees"]))
        rows.append(
            [
                int(row["comparison_id"]),
                str(row["dataset"]),
                str(row["category"] or ""),
                str(row["model1"]),
                str(row["model2"]),
                " · ".join(f"{name}: {verdict_word(v)}" for name, v in labels.items()),
                verdict_word(row["judge_verdict"]),
                ", ".join(w for w, on in reasons if bool(on)),
                verdict_word(row["adjudication"]),
            ]
        )
    return pd.DataFrame(rows, columns=QUEUE_HEADERS)


def labels_frame(labels: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for row in labels.to_dict("records"):
        verdict = "skipped" if bool(row["skipped"]) else verdict_word(row["verdict"])
        confidence = "" if _missing(row["confidence"]) else str(int(row["confidence"]))
        updated = "" if _missing(row["updated_at"]) else str(row["updated_at"])[:19]
        rows.append(
            [
                str(row["annotator"]),
                str(row["kind"]),
                verdict,
                confidence,
                "yes" if bool(row["flagged"]) else "",
                str(row["comment"] or ""),
                int(row["version"]),
                updated,
            ]
        )
    return pd.DataFrame(rows, columns=LABEL_HEADERS)


def probabilities_text(verdict: VerdictView | None) -> str:
    if verdict is None or not verdict.probabilities:
        return ""
    p = verdict.probabilities
    return f"p(1) {p.get('1', 0.0):.2f} · p(2) {p.get('2', 0.0):.2f} · p(tie) {p.get('tie', 0.0):.2f}"


def _run_markdown(mine: list[JudgeOpinion], latest: VerdictView | None) -> str:
    head = mine[0]
    lines = [f"#### Judge {code(head.judge)} · profile {code(head.profile)} · run {head.run_id}"]
    for o in mine:
        order = "swapped order (response 2 shown first)" if o.swapped else "original order"
        if o.status == "ok":
            shown = VERDICT_NAMES.get(str(o.verdict), inline_text(o.verdict))
        else:
            shown = f"⚠ {inline_text(o.status)} (no verdict)"
        probs = ""
        if latest is not None and latest.run_id == o.run_id and not o.swapped and latest.probabilities:
            probs = f" · {probabilities_text(latest)}"
        lines.append(f"- **{order}**: {shown}{probs}")
        if o.reason.strip():
            lines.append(f"\n{quote_block(o.reason)}\n")
    verdicts = {o.verdict for o in mine if o.status == "ok"}
    if len(mine) > 1 and len(verdicts) > 1:
        lines.append("\n_The two orders disagree (position bias)._")
    elif len(mine) > 1 and len(verdicts) == 1:
        lines.append("\n_Both orders agree._")
    return "\n".join(lines)


def opinions_markdown(opinions: tuple[JudgeOpinion, ...], latest: VerdictView | None) -> str:
    """Every judge run's verdict in the original and the swapped order, with its reason."""
    if not opinions:
        return "_No judge verdict stored for this comparison._"
    runs = dict.fromkeys(o.run_id for o in opinions)
    return "\n\n".join(_run_markdown([o for o in opinions if o.run_id == run], latest) for run in runs)


def adjudication_markdown(adjudication: AdjudicationView | None) -> str:
    if adjudication is None:
        return "_Not adjudicated yet._"
    when = adjudication.updated_at.strftime("%Y-%m-%d %H:%M")
    return (
        f"**Final label: {VERDICT_NAMES.get(adjudication.verdict, inline_text(adjudication.verdict))}** · by "
        f"{code(adjudication.reviewer)} · {when} UTC\n\n{quote_block(adjudication.rationale)}"
    )


def gold_note(gold: tuple[str, str] | None) -> str:
    if gold is None:
        return ""
    return f"\n\n**Gold item**: answer {VERDICT_NAMES.get(gold[0], inline_text(gold[0]))}"


def saved_note(saved: AdjudicationView) -> str:
    return (
        f"Saved the final label **{VERDICT_NAMES[saved.verdict]}** on #{saved.comparison_id} "
        f"(by {code(saved.reviewer)})."
    )
