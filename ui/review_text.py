"""What the Review (and Case study) pages write: the queue and label tables (plain-text cells) and the
Markdown of judge opinions and final labels. Untrusted text goes through ``ui.render``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from annotation_store import AdjudicationView, VerdictView
from orchestration import JudgeOpinion
from orchestration.metrics import margin_setting
from ui.formatting import VERDICT_NAMES, probabilities_line, verdict_words
from ui.render import code, inline_text, plain_text, quote_block

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
        rows.append(
            [
                int(row["comparison_id"]),
                plain_text(row["dataset"]),
                plain_text(row["category"] or ""),
                plain_text(row["model1"]),
                plain_text(row["model2"]),
                plain_text(" · ".join(f"{name}: {verdict_word(v)}" for name, v in labels.items())),
                verdict_word(row["judge_verdict"]),
                ", ".join(row["reasons"]),  # ``orchestration.review.queue_reasons``: the REST reasons too
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
                plain_text(row["annotator"]),
                plain_text(row["kind"]),
                verdict,
                confidence,
                "yes" if bool(row["flagged"]) else "",
                plain_text(row["comment"] or ""),
                int(row["version"]),
                updated,
            ]
        )
    return pd.DataFrame(rows, columns=LABEL_HEADERS)


def probabilities_text(probabilities: dict[str, float] | None) -> str:
    return probabilities_line(probabilities) if probabilities else ""


def opinion_probabilities(o: JudgeOpinion, latest: VerdictView | None) -> dict[str, float] | None:
    """The run's own probabilities in this order (each stored verdict row carries its own); the latest
    verdict's only where its row has none."""
    if o.probabilities is None and latest is not None and latest.run_id == o.run_id and not o.swapped:
        return latest.probabilities
    return o.probabilities


def _run_markdown(mine: list[JudgeOpinion], latest: VerdictView | None, margin: float) -> str:
    head = mine[0]
    lines = [f"#### Judge {code(head.judge)} · profile {code(head.profile)} · run {head.run_id}"]
    for o in mine:
        order = "swapped order (response 2 shown first)" if o.swapped else "original order"
        p = opinion_probabilities(o, latest)
        probs = f" · {probabilities_text(p)}" if p else ""
        lines.append(f"- **{order}**: {verdict_words(o.verdict, o.status, p, margin)}{probs}")
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
    runs, margin = dict.fromkeys(o.run_id for o in opinions), margin_setting()
    return "\n\n".join(_run_markdown([o for o in opinions if o.run_id == run], latest, margin) for run in runs)


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
