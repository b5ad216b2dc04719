"""Agreement per session guideline version: did editing the guidelines change how people label?

Each label records the guideline version in force when it was submitted (the store's
``guideline_versions``). Per (session, version) this module gives the labels given under it, the
agreement between people on the same comparison (observed pairwise agreement and Krippendorff's
alpha, both over labels of that version only) and each judge run's agreement with those labels (per
vote: every label against the run's verdict that counts, accuracy and Cohen's kappa, by
``analysis.agreement``). Versions without labels are listed too (n = 0), so a new version shows
before anyone has labelled under it. Labels whose version is unknown form a row with version None.

Why per vote and not against a majority: a version's labels are often too few to have a majority on
the same comparison, and per-vote agreement is defined from the first label. Inputs are plain
frames; imports nothing of ours but ``analysis``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis.agreement import human_judge_agreement
from analysis.inter_annotator import krippendorff_alpha

VERSION_COLUMNS = ["session", "version", "created_at", "created_by", "chars"]
LABEL_COLUMNS = ["comparison_id", "annotator", "verdict", "session", "guideline_version"]


@dataclass(frozen=True)
class GuidelineInputs:
    """The store's guideline versions of a dataset's sessions (VERSION_COLUMNS) and the labels given in
    those sessions with their version (LABEL_COLUMNS; guideline_version NaN: unknown)."""

    versions: pd.DataFrame
    labels: pd.DataFrame


@dataclass(frozen=True)
class VersionAgreement:
    """One guideline version of one session: its labels, agreement between people, and per judge run."""

    session: str
    version: int | None  # None: labels whose version is unknown
    created_at: Any
    created_by: str | None
    chars: int | None
    labels: int
    annotators: int
    comparisons: int
    multi_labelled: int  # comparisons with two or more labels of this version
    people_agreement: float | None  # share of agreeing label pairs on the same comparison
    people_pairs: int
    krippendorff_alpha: float | None
    judges: list[dict[str, Any]] = field(default_factory=list)  # run_id, model, n, accuracy, cohen_kappa, ...


def pairwise_agreement(labels: pd.DataFrame) -> tuple[float | None, int]:
    """(share of agreeing pairs, number of pairs) over every pair of labels on the same comparison.
    Written here because it is two lines of counting: per comparison, sum over verdicts of C(n_v, 2)
    agreeing pairs out of C(n, 2)."""
    if labels.empty:
        return None, 0
    counts = labels.groupby(["comparison_id", "verdict"]).size()
    per_item = counts.groupby(level=0).sum()
    pairs = int((per_item * (per_item - 1) // 2).sum())
    agreeing = int((counts * (counts - 1) // 2).sum())
    return (agreeing / pairs if pairs else None), pairs


def _one(
    key: tuple[str, int | None],
    about: Mapping[str, Any],
    labels: pd.DataFrame,
    runs: Sequence[tuple[int, str, pd.DataFrame]],
) -> VersionAgreement:
    per_item = labels.groupby("comparison_id").size() if not labels.empty else pd.Series(dtype=int)
    share, pairs = pairwise_agreement(labels)
    judges = []
    for run_id, model, counted in runs:
        agreement = human_judge_agreement(labels[["comparison_id", "annotator", "verdict"]], counted)
        judges.append(
            {
                "run_id": run_id,
                "model": model,
                "n": agreement.n,
                "accuracy": agreement.accuracy,
                "cohen_kappa": agreement.cohen_kappa,
                "judge_unparsed": agreement.judge_unparsed,
                "judge_uncertain": agreement.judge_uncertain,
            }
        )
    chars = about.get("chars")
    return VersionAgreement(
        session=key[0],
        version=key[1],
        created_at=about.get("created_at"),
        created_by=about.get("created_by"),
        chars=None if chars is None or pd.isna(chars) else int(chars),
        labels=len(labels),
        annotators=int(labels["annotator"].nunique()) if not labels.empty else 0,
        comparisons=int(labels["comparison_id"].nunique()) if not labels.empty else 0,
        multi_labelled=int((per_item >= 2).sum()),
        people_agreement=share,
        people_pairs=pairs,
        krippendorff_alpha=krippendorff_alpha(labels[["comparison_id", "annotator", "verdict"]])
        if not labels.empty
        else None,
        judges=judges,
    )


def agreement_by_guideline_version(
    given: GuidelineInputs, runs: Sequence[tuple[int, str, pd.DataFrame]]
) -> list[VersionAgreement]:
    """Per session and guideline version (oldest first, then unknown versions): see the module docstring.
    ``runs``: (run id, model, that run's verdicts that count: comparison_id, verdict, status)."""
    labels = given.labels
    version = pd.to_numeric(labels["guideline_version"], errors="coerce") if not labels.empty else pd.Series()
    labels = labels.assign(guideline_version=version)
    keys: dict[tuple[str, int | None], Mapping[str, Any]] = {
        (str(row["session"]), int(row["version"])): {str(k): v for k, v in row.items()}
        for row in given.versions.to_dict("records")
    }
    for session, number in labels[["session", "guideline_version"]].drop_duplicates().itertuples(index=False):
        key = (str(session), None if pd.isna(number) else int(number))
        keys.setdefault(key, {})
    first_seen = {name: i for i, name in enumerate(dict.fromkeys(k[0] for k in keys))}  # sessions as stored
    order = sorted(keys, key=lambda k: (first_seen[k[0]], k[1] is None, k[1] or 0))
    sections = []
    for session, number in order:
        mine = labels[labels["session"].astype(str) == session]
        mine = mine[mine["guideline_version"].isna()] if number is None else mine[mine["guideline_version"] == number]
        sections.append(_one((session, number), keys[(session, number)], mine.reset_index(drop=True), runs))
    return sections


GUIDELINE_RULE = (
    "per annotation session and guideline version: the labels submitted under that version (a label "
    "records the version in force at its latest submit), agreement between people on the same comparison "
    "within the version (share of agreeing label pairs, Krippendorff's alpha) and each judge run per label "
    "(every label of the version against the run's verdict that counts)"
)


def guideline_json(sections: Sequence[VersionAgreement]) -> dict[str, Any]:
    """The report's "guideline_versions" section: the rule in words and one entry per version."""
    return {"rule": GUIDELINE_RULE, "versions": [dict(vars(section)) for section in sections]}


def _num(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def guideline_text_lines(section: Mapping[str, Any] | None) -> list[str]:
    """The text summary's lines for the "guideline_versions" section (read from its JSON); only when
    some session has more than one version or labels of an unknown version (else nothing drifted)."""
    versions = (section or {}).get("versions") or []
    per_session: dict[str, int] = {}
    for item in versions:
        per_session[item["session"]] = per_session.get(item["session"], 0) + 1
    if not any(count > 1 for count in per_session.values()):
        return []
    lines = ["Agreement per guideline version (people: agreeing label pairs; judge runs: per label):"]
    for item in versions:
        if per_session[item["session"]] < 2:
            continue
        name = "unknown version" if item["version"] is None else f"v{item['version']}"
        judges = "; ".join(f"run {j['run_id']} {_num(j['accuracy'])} (n={j['n']})" for j in item["judges"])
        lines.append(
            f"  {item['session']} {name}: {item['labels']} labels from {item['annotators']} annotators, people "
            f"{_num(item['people_agreement'])} ({item['people_pairs']} pairs)" + (f"; {judges}" if judges else "")
        )
    return lines
