"""Judge versions: the report's judge runs grouped by profile, prompt-template hash and judge model, with
agreement with people per version, so that a changed prompt (a user's new version, or an upstream template
that moved) shows up as a version of its own instead of silently mixing into one figure.

A version is (profile, ``prompt_template_hash``, judge model) read from each run's fingerprint: the hash
of the prompts the profile renders for fixed probe cases, so for built-in profiles it is a hash of their template
text too, and for a custom prompt (profile ``custom:NAME@HASH12``) it changes with every saved edit; the model
as the fingerprint names it (a local model's name, or a server's ``served name @ endpoint``), so a local demo
run and a run of the same profile on a server, or PandaLM-7B and the demo model under ``pandalm``, are two
versions, never one pooled figure. The fingerprint's quantization (``nf4``, ``int8``, ``none``, a server's
``server``), decoding (greedy, beam search, sampling, the new-token limit, repetition penalty) and verdict mode
(generated or constrained) split versions too (session 12: a comparison judged by an NF4 and a bf16 run of one
model counted twice in one version); a version whose prompt and model another version shares is named with its
setup ("..., nf4, greedy"), and ``setup`` names it in every version. Runs of one version may still differ in
device, seed or library versions; the version's figures pool their verdicts: the confusion matrices (human label x
judge verdict) of its runs are summed, and accuracy and Cohen's kappa are read from the sum (so a version with one
run has exactly that run's figures; a comparison judged by two of its runs counts twice, once per run, as
``runs`` lists).
A run without a recorded template hash (imported judgments) is a version of its own: nothing says it shares a
prompt with another. Each version is compared with the previous version of the same family (the same custom
prompt name, or the same built-in profile) judged by the same model with the same setup, in order of first run,
so a prompt's drift reads as a change in accuracy; a run without a recorded template is compared with none.

Why by hand: pooling is a sum of 3x3 tables and kappa from a table is two lines (observed vs chance
agreement); scikit-learn's ``cohen_kappa_score`` needs the raw label pairs, which the report has already
reduced to these tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from analysis.aggregation import settle
from analysis.agreement import Agreement, human_judge_agreement, unparsed_as_wrong
from analysis.defaults import UNCERTAIN_MARGIN
from analysis.verdicts import LABELS, majority_labels, verdict_that_counts

if TYPE_CHECKING:
    from analysis.report import JudgeRun, Report


class RunFigures(Protocol):
    """What a version needs of each run: the report's ``JudgeSection`` has it, and so does ``RunAgreement``."""

    @property
    def run(self) -> JudgeRun: ...

    @property
    def against_majority(self) -> Agreement: ...

    @property
    def per_vote(self) -> Agreement: ...

    @property
    def unparsed_as_wrong(self) -> Agreement: ...


@dataclass(frozen=True)
class RunAgreement:
    """One run's agreement with people and nothing else: what the dashboard's versions table needs of every run
    without building the whole report for each (``run_agreements``). ``unparsed_as_wrong``: the headline accuracy
    (an output without a decisive verdict counts as wrong, ``analysis.verdicts.no_verdict_as_wrong``)."""

    run: JudgeRun
    against_majority: Agreement
    per_vote: Agreement
    unparsed_as_wrong: Agreement


def run_agreements(
    runs: Sequence[JudgeRun],
    verdicts: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    margin: float = UNCERTAIN_MARGIN,
    adjudications: pd.DataFrame | None = None,
) -> list[RunAgreement]:
    """Each run's verdicts that count against the majority label (a reviewer's adjudication in its place,
    ``analysis.aggregation.settle``) and per vote, as the report computes them."""
    majority, _ = settle(majority_labels(labels), adjudications)
    figures = []
    for run in runs:
        counted = verdict_that_counts(verdicts[verdicts["run_id"] == run.run_id], margin=margin)
        figures.append(
            RunAgreement(
                run,
                human_judge_agreement(majority, counted),
                human_judge_agreement(labels, counted),
                unparsed_as_wrong(majority, counted),
            )
        )
    return figures


CUSTOM_PREFIX = "custom:"
POOLING_RULE = (
    "runs grouped by profile, prompt-template hash, judge model (from each run's fingerprint: a local model's "
    "name, or a server's 'served name @ endpoint'), quantization, decoding and verdict mode (setup: named in "
    "the version when another version shares its prompt and model); a version's figures pool its runs' verdicts "
    "(summed confusion matrices); accuracy is the headline one (an output without a decisive verdict counts as "
    "wrong, n: every judged comparison), kappa is over decisive verdicts; change = headline accuracy minus the "
    "previous version of the same custom prompt name or "
    "built-in profile judged by the same model with the same setup (none for runs without a recorded template)"
)
#: A version's header wherever versions are listed (the text summary, the Dashboard).
GROUPED_BY = "profile + prompt-template hash + judge model + quantization and decoding"


def _family(profile: str) -> str:
    """What versions of the same thing share: a custom prompt's name, or the built-in profile's name."""
    if profile.startswith(CUSTOM_PREFIX):
        return profile.removeprefix(CUSTOM_PREFIX).partition("@")[0]
    return profile


def _pooled(tables: Sequence[Any]) -> dict[str, Any]:
    """n, correct, accuracy and Cohen's kappa of the summed confusion matrices (rows human, columns judge)."""
    total = np.zeros((len(LABELS), len(LABELS)))
    for table in tables:
        total += table.loc[list(LABELS), list(LABELS)].to_numpy(dtype=float)
    n = float(total.sum())
    if n == 0:
        return {"n": 0, "correct": 0, "accuracy": None, "cohen_kappa": None}
    observed = float(np.trace(total)) / n
    chance = float((total.sum(axis=1) * total.sum(axis=0)).sum()) / (n * n)
    kappa = None if chance >= 1.0 else (observed - chance) / (1.0 - chance)
    return {"n": int(n), "correct": int(np.trace(total)), "accuracy": observed, "cohen_kappa": kappa}


def _headline(judges: Sequence[RunFigures]) -> dict[str, Any]:
    """n, correct and accuracy of the runs' headline figures pooled (``unparsed_as_wrong``: an output without a
    decisive verdict counts as wrong, the rule of every headline accuracy; s16 judgeshopper, finding 3)."""
    n = correct = 0
    for judge in judges:
        strict = getattr(judge, "unparsed_as_wrong", None) or judge.against_majority
        if strict.n and strict.accuracy is not None:
            n += int(strict.n)
            correct += round(float(strict.accuracy) * int(strict.n))
    return {"n": n, "correct": correct, "accuracy": correct / n if n else None}


def headline_of(version: Mapping[str, Any]) -> Mapping[str, Any]:
    """A version's headline figures (``headline``); a version saved before session 16 had only the decisive ones."""
    return version.get("headline") or version["against_majority"]


def versions_shown(versions: Sequence[Mapping[str, Any]]) -> bool:
    """The one rule of the CLI text and the Dashboard: the versions table is shown with two versions or more (one
    version is the judge run itself), imported runs without a recorded template included (s16 judgeshopper, 3)."""
    return len(versions) >= 2


def _prompt_label(profile: str, template_hash: str | None, run: str) -> str:
    """The prompt half of a version's name: a custom prompt as the guide, the dashboard and ``--judge-profile``
    write it (``custom:NAME@HASH12``), a built-in profile with its template hash."""
    if profile.startswith(CUSTOM_PREFIX):
        return profile
    if template_hash:
        return f"{profile} (template {template_hash[:8]})"
    return f"{profile} (template not recorded, {run})"


def model_identity(run: JudgeRun) -> str:
    """The judge model as the run's fingerprint names it (the store's run name is the same text)."""
    fingerprint: Mapping[str, Any] = run.fingerprint or {}
    return str(fingerprint.get("model") or run.model or "")


Setup = tuple[tuple[str, str], ...]  # (part, label) in naming order: what the fingerprint says beyond prompt and model
GroupKey = tuple[str, str | None, str, Setup, int | None]


def _quantization(value: Any) -> str:
    return {"none": "not quantized", "server": "server's weights"}.get(str(value), str(value))


def _strategy(decoding: Mapping[str, Any]) -> str:
    if decoding.get("do_sample"):
        return "sampling"
    beams = int(decoding.get("num_beams") or 1)
    return f"beam search ({beams} beams)" if beams > 1 else "greedy"


def setup_of(fingerprint: Mapping[str, Any]) -> Setup:
    """What a run's fingerprint says about quantization, decoding and verdict mode, as (part, label) pairs
    ("quantization": "nf4", "strategy": "greedy", ...); parts the fingerprint does not record are left out."""
    parts: list[tuple[str, str]] = []
    if fingerprint.get("quantization") is not None:
        parts.append(("quantization", _quantization(fingerprint["quantization"])))
    decoding = fingerprint.get("decoding")
    if isinstance(decoding, Mapping):
        parts.append(("strategy", _strategy(decoding)))
        if decoding.get("max_new_tokens") is not None:
            parts.append(("max_new_tokens", f"up to {decoding['max_new_tokens']} new tokens"))
        if decoding.get("repetition_penalty") is not None:
            parts.append(("repetition_penalty", f"repetition penalty {float(decoding['repetition_penalty']):g}"))
    if fingerprint.get("verdict_mode"):
        parts.append(("verdict_mode", f"{fingerprint['verdict_mode']} verdicts"))
    return tuple(parts)


#: The setup parts a version always names when it needs its setup (the others only where versions differ in them).
ALWAYS_NAMED = ("quantization", "strategy")


def _setup_label(setup: Setup, siblings: Sequence[Setup]) -> str:
    """The setup as a reader tells versions of one prompt and model apart: quantization and decoding strategy
    ("nf4, greedy"), and any other part (token limit, repetition penalty, verdict mode) where they differ."""
    mine, differ = dict(setup), set()
    for other in map(dict, siblings):
        differ |= {part for part in mine.keys() | other.keys() if mine.get(part) != other.get(part)}
    return ", ".join(label for part, label in setup if part in ALWAYS_NAMED or part in differ)


def _recorded_setup(fingerprint: Mapping[str, Any]) -> dict[str, Any]:
    """The fingerprint's own values behind a version's setup (the same for every run of the version)."""
    return {key: fingerprint.get(key) for key in ("quantization", "decoding", "verdict_mode")}


def _group_key(judge: RunFigures) -> GroupKey:
    """(profile, template hash, model, setup, run id when the run stands alone): a run without a recorded
    template (imported judgments) stands alone, as nothing says two such runs share a prompt."""
    fingerprint: Mapping[str, Any] = judge.run.fingerprint or {}
    profile = str(fingerprint.get("profile") or judge.run.profile or "")
    template_hash = fingerprint.get("prompt_template_hash")
    model = model_identity(judge.run)
    setup = setup_of(fingerprint)
    if template_hash:
        return (profile, str(template_hash), model, setup, None)
    return (profile, None, model, setup, judge.run.run_id)


def judge_versions(judges: Sequence[RunFigures]) -> list[dict[str, Any]]:
    """One entry per (profile, prompt-template hash, judge model, setup), in order of its first run; see the
    module docstring. ``version`` names the prompt and the model ("pandalm (template dd1675b8) on SmolLM2-135M"),
    and the setup when another version shares both ("... on SmolLM2-135M (nf4, greedy)")."""
    groups: dict[GroupKey, list[RunFigures]] = {}
    for judge in sorted(judges, key=lambda j: j.run.run_id):
        groups.setdefault(_group_key(judge), []).append(judge)
    setups: dict[tuple[str, str | None, str, int | None], list[Setup]] = {}
    for profile, template_hash, model, setup, alone in groups:
        setups.setdefault((profile, template_hash, model, alone), []).append(setup)
    versions: list[dict[str, Any]] = []
    last_accuracy: dict[tuple[str, str, Setup], float | None] = {}
    for (profile, template_hash, model, setup, alone), runs in groups.items():
        family = _family(profile)
        # a change is read against the same family judged by the same model with the same setup: another model
        # sharing a profile is another judge, another quantization or decoding another setup, not a new prompt
        # version; a run with no recorded template compares with none
        lineage = (family, model, setup)
        against = _pooled([j.against_majority.confusion for j in runs])
        headline = _headline(runs)
        previous = None if alone is not None else last_accuracy.get(lineage)
        change = None if previous is None or headline["accuracy"] is None else headline["accuracy"] - previous
        prompt = _prompt_label(profile, template_hash, f"run {runs[0].run.run_id}")
        siblings = setups[(profile, template_hash, model, alone)]
        label = _setup_label(setup, siblings)
        name = f"{prompt} on {model}" if model else prompt
        versions.append(
            {
                "version": f"{name} ({label})" if len(siblings) > 1 and label else name,
                "prompt": prompt,
                "model": model,
                "setup": _setup_label(setup, []),  # quantization and decoding strategy ("nf4, greedy")
                **_recorded_setup(runs[0].run.fingerprint or {}),
                "family": family,
                "profile": profile,
                "custom": profile.startswith(CUSTOM_PREFIX),
                "prompt_template_hash": template_hash,
                "runs": [
                    {
                        "run_id": j.run.run_id,
                        "model": j.run.model,
                        "n": j.against_majority.n,
                        "accuracy": j.against_majority.accuracy,
                        "cohen_kappa": j.against_majority.cohen_kappa,
                        "headline": _headline([j]),
                    }
                    for j in runs
                ],
                "headline": headline,  # the accuracy every table shows (no verdict counts as wrong)
                "against_majority": against,  # decisive verdicts only: its kappa is the table's
                "per_vote": _pooled([j.per_vote.confusion for j in runs]),
                "accuracy_change_from_previous": change,
            }
        )
        if headline["accuracy"] is not None and alone is None:
            last_accuracy[lineage] = headline["accuracy"]
    return versions


def judge_versions_dict(report: Report) -> dict[str, Any]:
    """The ``judge_versions`` section of ``metrics --json``: the rule and the versions."""
    return {"rule": POOLING_RULE, "versions": judge_versions(report.judges)}


def _num(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def judge_version_lines(section: Mapping[str, Any] | None) -> list[str]:
    """The text summary's lines: one per version, with its runs and the change from the previous version
    (``versions_shown``: two versions or more, as on the Dashboard). Accuracy is the headline one with its n (no
    verdict counts as wrong), kappa the decisive verdicts' (with their n when it differs)."""
    versions = (section or {}).get("versions") or []
    if not versions_shown(versions):
        return []  # one version is the judge run above
    lines = [
        f"Judge versions ({GROUPED_BY}; agreement with the majority label, runs pooled; accuracy: no verdict counts "
        "as wrong; kappa: decisive verdicts):"
    ]
    for v in versions:
        versus, headline = v["against_majority"], headline_of(v)
        change = v["accuracy_change_from_previous"]
        delta = "" if change is None else f", {change:+.3f} from the previous version"
        runs = ", ".join(str(r["run_id"]) for r in v["runs"])
        decisive = f" over {versus['n']} decisive" if versus["n"] != headline["n"] else ""
        lines.append(
            f"  {v['version']}: accuracy {_num(headline['accuracy'])} (n={headline['n']}), kappa "
            f"{_num(versus['cohen_kappa'])}{decisive}{delta}; run{'s' if len(v['runs']) > 1 else ''} {runs}"
        )
    return lines
