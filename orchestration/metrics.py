"""The full metrics report of one dataset as a JSON-serialisable dict (``judge-studio metrics --json``).

Why one dict: the command line, tests and notebooks all read the same figures, and ``--json`` must
contain every figure so that published numbers can be checked by a machine. Every statistic comes
from ``analysis.py`` (scikit-learn, SciPy, statsmodels, krippendorff, networkx underneath); this
module only selects rows (which labels, which judge run, which presentation order) and reshapes
the results into plain dicts, lists, numbers and None (NaN becomes None).

What is in it: label distribution (majority of annotators), inter-annotator agreement (pairwise
Cohen's kappa, Fleiss' kappa, Krippendorff's alpha), and per judge run: agreement with the
majority label and per vote (accuracy with a bootstrap interval, Cohen's kappa, macro precision /
recall / F1 as PandaLM reports them, confusion matrix, per-label report, MT-Bench agreement with
and without ties), swap consistency and the combined-order verdict where both orders exist,
length bias, and per-vote agreement over time (cumulative, as labels came in, with Wilson
intervals); win / lose / tie tables, partial order, Bradley-Terry strengths (and win rates against a
baseline) from people and from each judge; per annotator: label count, agreement with the majority
of the other annotators and with each judge; and breakdowns per category and per model pair.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from analysis.statistics import (
    LABELS,
    Agreement,
    agreement_over_time,
    annotator_agreement,
    bootstrap_ci,
    bradley_terry,
    classification_report,
    combine_orders,
    fleiss_kappa,
    human_judge_agreement,
    krippendorff_alpha,
    length_bias,
    majority_labels,
    model_levels,
    mtbench_agreement,
    pairwise_cohen_kappa,
    partial_order,
    swap_consistency,
    win_rate,
    win_table,
)
from annotation_store.store import JudgeRunView, Store, StoreError


def metrics_report(
    store: Store,
    dataset: str,
    *,
    alpha: float = 0.05,
    n_bootstrap: int = 200,
    baseline: str | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Every figure for ``dataset``; see the module docstring. Raises StoreError for an unknown dataset.

    ``alpha``: significance level of the partial order (two-sided sign test). ``n_bootstrap``:
    resamples for Bradley-Terry intervals (accuracy intervals use 1000). ``baseline``: model for
    AlpacaEval-style win rates; by default the model that takes part in every comparison, if any.
    """
    table = store.comparison_texts(dataset)
    if table.empty:
        known = ", ".join(store.dataset_names()) or "none"
        raise StoreError(f"Dataset {dataset!r} has no comparisons (datasets: {known}).")
    labels = store.labels(dataset)
    majority = majority_labels(labels)
    verdicts = store.judge_verdicts(dataset)
    runs = store.judge_runs_on(dataset)
    lengths = pd.DataFrame(
        {
            "comparison_id": table["id"],
            "len1": table["response1"].str.len(),
            "len2": table["response2"].str.len(),
        }
    )
    baseline = baseline or _common_model(table)
    options = _Options(alpha, n_bootstrap, baseline, seed)
    report: dict[str, Any] = {
        "dataset": dataset,
        "settings": {
            "alpha": alpha,
            "bootstrap": n_bootstrap,
            "baseline": baseline,
            "seed": seed,
            "length_unit": "characters",
            "majority_rule": "most frequent label; equal top counts give tie",
            "over_time": f"cumulative per-vote accuracy at up to {OVER_TIME_POINTS} points in label time order, "
            "Wilson 95% interval",
        },
        "counts": {
            "prompts": int(table["prompt"].nunique()),
            "comparisons": len(table),
            "models": sorted(set(table["model1"]) | set(table["model2"])),
            "categories": int(table["category"].nunique()),
            "labels": len(labels),
            "labelled_comparisons": len(majority),
            "annotators": int(labels["annotator"].nunique()),
            "judge_runs": len(runs),
        },
        "label_distribution": _distribution(majority["verdict"]),
        "annotators": _annotators(labels, verdicts, runs),
        "inter_annotator": _inter_annotator(labels),
        "people": {
            "length_bias": _asdict(length_bias(majority.merge(lengths, on="comparison_id"))),
            **_rankings(majority, options),
        },
        "judges": [
            _judge(run, verdicts[verdicts["run_id"] == run.run_id], labels, majority, lengths, options) for run in runs
        ],
        "categories": _categories(table, labels, majority, verdicts, runs),
        "model_pairs": _model_pairs(table, labels, majority, verdicts, runs),
    }
    return _plain(report)


@dataclasses.dataclass(frozen=True)
class _Options:
    alpha: float
    n_bootstrap: int
    baseline: str | None
    seed: int


def _common_model(table: pd.DataFrame) -> str | None:
    """The model in every comparison (AlpacaEval's reference model), else None.

    With a single model pair both models are in every comparison; then the one always shown first
    is taken, as AlpacaEval shows its reference output first.
    """
    common = set(table["model1"]) | set(table["model2"])
    for row in table[["model1", "model2"]].drop_duplicates().itertuples(index=False):
        common &= {row.model1, row.model2}
    if len(common) > 1:
        common &= set(table["model1"]) - set(table["model2"])
    return next(iter(common)) if len(common) == 1 else None


def _distribution(verdicts: pd.Series) -> dict[str, int]:
    counts = verdicts.value_counts()
    return {label: int(counts.get(label, 0)) for label in LABELS}


def _counts(values: pd.Series) -> dict[str, int]:
    counts = values.value_counts().sort_index()
    return {str(k): int(n) for k, n in zip(counts.index, counts.to_numpy(), strict=True)}


OVER_TIME_POINTS = 20


def _annotators(labels: pd.DataFrame, verdicts: pd.DataFrame, runs: list[JudgeRunView]) -> list[dict[str, Any]]:
    """Per annotator: label count and distribution, agreement with the others' majority and with each judge."""
    if labels.empty:
        return []
    original = verdicts[~verdicts["swapped"]]
    others = annotator_agreement(labels).set_index("annotator")
    per_run = {
        run.run_id: annotator_agreement(labels, original[original["run_id"] == run.run_id]).set_index("annotator")
        for run in runs
    }
    sections = []
    for name, rows in labels.groupby("annotator", sort=True):
        key = str(name)
        sections.append(
            {
                "name": key,
                "labels": len(rows),
                "distribution": _distribution(rows["verdict"]),
                "with_others": {
                    "rule": "majority of the other annotators' labels on the same comparison",
                    "n": others.at[key, "n_with_others"],
                    "accuracy": others.at[key, "with_others"],
                    "cohen_kappa": others.at[key, "kappa_with_others"],
                },
                "judges": [
                    {
                        "run_id": run.run_id,
                        "model": run.model,
                        "n": per_run[run.run_id].at[key, "n_with_judge"],
                        "accuracy": per_run[run.run_id].at[key, "with_judge"],
                        "cohen_kappa": per_run[run.run_id].at[key, "kappa_with_judge"],
                    }
                    for run in runs
                ],
            }
        )
    return sections


def _inter_annotator(labels: pd.DataFrame) -> dict[str, Any]:
    """Pairwise Cohen's kappa (with the number of comparisons both people labelled), Fleiss, Krippendorff."""
    matrix = pairwise_cohen_kappa(labels)
    labelled = {name: set(rows["comparison_id"]) for name, rows in labels.groupby("annotator")}
    names = [str(n) for n in matrix.index]
    pairs = [
        {
            "annotator_a": a,
            "annotator_b": b,
            "n": len(labelled[a] & labelled[b]),
            "cohen_kappa": matrix.loc[a, b],
        }
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    ]
    per_comparison = labels.groupby("comparison_id").size()
    return {
        "comparisons_labelled_twice_or_more": int((per_comparison >= 2).sum()),
        "pairwise_cohen_kappa": pairs,
        "cohen_kappa_matrix": {a: {b: matrix.loc[a, b] for b in names} for a in names},
        "fleiss_kappa": fleiss_kappa(labels),
        "krippendorff_alpha": krippendorff_alpha(labels),
    }


def _agreement(agreement: Agreement) -> dict[str, Any]:
    matrix = agreement.confusion.loc[LABELS, LABELS].to_numpy(dtype=np.int64)
    return {
        "n": agreement.n,
        "judge_unparsed": agreement.judge_unparsed,
        "accuracy": agreement.accuracy,
        "cohen_kappa": agreement.cohen_kappa,
        "macro_precision": agreement.macro_precision,
        "macro_recall": agreement.macro_recall,
        "macro_f1": agreement.macro_f1,
        "confusion": {
            "rows": "human label",
            "columns": "judge verdict",
            "matrix": {h: dict(zip(LABELS, map(int, row), strict=True)) for h, row in zip(LABELS, matrix, strict=True)},
        },
    }


def _accuracy_interval(reference: pd.DataFrame, verdicts: pd.DataFrame, seed: int) -> dict[str, Any] | None:
    """95% percentile-bootstrap interval of accuracy over the judged comparisons (analysis.bootstrap_ci)."""
    latest = verdicts.drop_duplicates("comparison_id", keep="last")
    latest = latest[latest["status"] == "ok"]
    pairs = reference[["comparison_id", "verdict"]].merge(
        latest[["comparison_id", "verdict"]], on="comparison_id", suffixes=("_human", "_judge")
    )
    if len(pairs) < 2:  # SciPy's bootstrap (inside bootstrap_ci) raises on a single value
        return None
    interval = bootstrap_ci(
        (pairs["verdict_human"] == pairs["verdict_judge"]).to_numpy(dtype=float), np.mean, n=1000, seed=seed
    )
    return None if interval is None else {"low": interval.ci_low, "high": interval.ci_high, "n": interval.n}


def _unparsed_as_wrong(reference: pd.DataFrame, verdicts: pd.DataFrame) -> dict[str, Any]:
    """Accuracy and macro P/R/F1 when an output without a verdict counts as a wrong answer.

    The sentinel verdict "unparsed" matches no human label, so scikit-learn (inside
    human_judge_agreement) scores it as a miss; kappa and the confusion matrix (restricted to the
    three labels) would silently drop those rows, so they are not reported here.
    """
    strict = verdicts.assign(
        verdict=verdicts["verdict"].where(verdicts["status"] == "ok", "unparsed"),
        status="ok",
    )
    agreement = human_judge_agreement(reference, strict)
    return {
        "n": agreement.n,
        "accuracy": agreement.accuracy,
        "macro_precision": agreement.macro_precision,
        "macro_recall": agreement.macro_recall,
        "macro_f1": agreement.macro_f1,
    }


def _judge(
    run: JudgeRunView,
    verdicts: pd.DataFrame,
    labels: pd.DataFrame,
    majority: pd.DataFrame,
    lengths: pd.DataFrame,
    options: _Options,
) -> dict[str, Any]:
    original = verdicts[~verdicts["swapped"]]
    swapped = verdicts[verdicts["swapped"]]
    parsed = original[original["status"] == "ok"]
    section: dict[str, Any] = {
        "run_id": run.run_id,
        "model": run.model,
        "profile": run.profile,
        "fingerprint_key": run.fingerprint_key,
        "fingerprint": run.fingerprint,
        "verdicts": {
            "n": len(original),
            "n_swapped_order": len(swapped),
            "status": _counts(original["status"]),
            "distribution": _distribution(parsed["verdict"]),
        },
        "against_majority": {
            **_agreement(human_judge_agreement(majority, original)),
            "accuracy_ci95": _accuracy_interval(majority, original, options.seed),
            "classification_report": _report_table(classification_report(majority, original)),
        },
        "against_majority_unparsed_as_wrong": _unparsed_as_wrong(majority, original),
        "per_vote": {
            **_agreement(human_judge_agreement(labels, original)),
            "mtbench_agreement": _asdict(mtbench_agreement(labels, original)),
        },
        "over_time": agreement_over_time(labels, original, points=OVER_TIME_POINTS).to_dict("records"),
        "both_orders": None,
        "length_bias": _asdict(length_bias(parsed.merge(lengths, on="comparison_id"))),
        **_rankings(parsed, options),
    }
    if not swapped.empty:
        combined = combine_orders(verdicts)
        section["both_orders"] = {
            "swap_consistency": _asdict(swap_consistency(verdicts)),
            "swapped_order_against_majority": _agreement(human_judge_agreement(majority, swapped)),
            "combined_against_majority": _agreement(human_judge_agreement(majority, combined)),
            "combined_per_vote": _agreement(human_judge_agreement(labels, combined)),
        }
    return section


def _report_table(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {str(index): {str(column): frame.at[index, column] for column in frame.columns} for index in frame.index}


def _rankings(outcomes: pd.DataFrame, options: _Options) -> dict[str, Any]:
    """Win/lose/tie per model pair, partial order, Bradley-Terry (and win rates against the baseline)."""
    order = partial_order(outcomes, alpha=options.alpha) if not outcomes.empty else None
    return {
        "win_table": win_table(outcomes).to_dict("records") if not outcomes.empty else [],
        "partial_order": None
        if order is None
        else {
            "models": order.models,
            "edges": [dataclasses.asdict(edge) for edge in order.edges],
            "hasse": [list(edge) for edge in order.hasse],
            "cycles": order.cycles,
            "levels": model_levels(order),
        },
        "bradley_terry": bradley_terry(outcomes, n_bootstrap=options.n_bootstrap, seed=options.seed).to_dict("records"),
        "win_rate": win_rate(outcomes, options.baseline).to_dict("records") if options.baseline else None,
    }


def _judges_on(
    ids: set[Any], majority: pd.DataFrame, original: pd.DataFrame, runs: list[JudgeRunView]
) -> list[dict[str, Any]]:
    """Each judge run's agreement with the majority label on the comparisons ``ids``."""
    in_majority = majority[majority["comparison_id"].isin(ids)]
    judges = []
    for run in runs:
        agreement = human_judge_agreement(
            in_majority, original[(original["run_id"] == run.run_id) & original["comparison_id"].isin(ids)]
        )
        judges.append(
            {
                "run_id": run.run_id,
                "model": run.model,
                "n": agreement.n,
                "judge_unparsed": agreement.judge_unparsed,
                "accuracy": agreement.accuracy,
                "cohen_kappa": agreement.cohen_kappa,
                "macro_f1": agreement.macro_f1,
            }
        )
    return judges


def _categories(
    table: pd.DataFrame,
    labels: pd.DataFrame,
    majority: pd.DataFrame,
    verdicts: pd.DataFrame,
    runs: list[JudgeRunView],
) -> list[dict[str, Any]]:
    """Per category: size, majority labels, inter-annotator alpha, and each judge's agreement."""
    original = verdicts[~verdicts["swapped"]]
    sections = []
    for category, items in table.groupby("category", sort=True):
        section, in_majority = _group(items, labels, majority, original, runs)
        sections.append(
            {"category": str(category), **section, "label_distribution": _distribution(in_majority["verdict"])}
        )
    return sections


def _group(
    items: pd.DataFrame,
    labels: pd.DataFrame,
    majority: pd.DataFrame,
    original: pd.DataFrame,
    runs: list[JudgeRunView],
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The figures every breakdown has for its comparisons ``items``, and their majority labels."""
    ids = set(items["id"])
    in_majority = majority[majority["comparison_id"].isin(ids)]
    section = {
        "comparisons": len(items),
        "labelled_comparisons": len(in_majority),
        "krippendorff_alpha": krippendorff_alpha(labels[labels["comparison_id"].isin(ids)]),
        "judges": _judges_on(ids, majority, original, runs),
    }
    return section, in_majority


def _pair_wins(outcomes: pd.DataFrame, model_a: str, model_b: str) -> dict[str, int]:
    """Wins of model_a, of model_b and ties in ``outcomes`` (rows model1, model2, verdict)."""
    table = win_table(outcomes) if not outcomes.empty else pd.DataFrame()
    found = table[(table["model_a"] == model_a) & (table["model_b"] == model_b)] if not table.empty else table
    if found.empty:
        return {"wins_a": 0, "wins_b": 0, "ties": 0}
    row = found.iloc[0]
    return {"wins_a": int(row["wins_a"]), "wins_b": int(row["wins_b"]), "ties": int(row["ties"])}


def _model_pairs(
    table: pd.DataFrame,
    labels: pd.DataFrame,
    majority: pd.DataFrame,
    verdicts: pd.DataFrame,
    runs: list[JudgeRunView],
) -> list[dict[str, Any]]:
    """Per unordered model pair (model_a < model_b by name, whichever was shown first): size, people's
    wins / ties (majority label), inter-annotator alpha, and each judge's agreement and wins / ties."""
    original = verdicts[~verdicts["swapped"]]
    parsed = original[original["status"] == "ok"]
    first = table["model1"].astype(str)
    second = table["model2"].astype(str)
    pairs = table.assign(model_a=first.where(first <= second, second), model_b=second.where(first <= second, first))
    sections = []
    for (model_a, model_b), items in pairs.groupby(["model_a", "model_b"], sort=True):
        section, in_majority = _group(items, labels, majority, original, runs)
        for judge in section["judges"]:
            run_rows = parsed[(parsed["run_id"] == judge["run_id"]) & parsed["comparison_id"].isin(set(items["id"]))]
            judge.update(_pair_wins(run_rows, str(model_a), str(model_b)))
        people = _pair_wins(in_majority, str(model_a), str(model_b))
        sections.append({"model_a": str(model_a), "model_b": str(model_b), **section, "people": people})
    return sections


def _asdict(value: Any) -> dict[str, Any]:
    return dataclasses.asdict(value)


def _plain(value: Any) -> Any:
    """Only dicts, lists, str, int, float (finite), bool and None: ``json.dumps`` takes it as it is."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if value is pd.NaT:
        return None
    if isinstance(value, (datetime, date)):  # pandas' Timestamp included
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


# ---------------------------------------------------------------------- text summary


def _num(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_report(report: Mapping[str, Any]) -> str:
    """A short human-readable summary of ``metrics_report`` (``--json`` has every figure)."""
    counts = report["counts"]
    lines = [
        f"Dataset {report['dataset']}: {counts['comparisons']} comparisons, {counts['labels']} labels from "
        f"{counts['annotators']} annotators, {counts['judge_runs']} judge runs, {counts['categories']} categories",
        "Majority label: " + ", ".join(f"{k}: {v}" for k, v in report["label_distribution"].items()),
    ]
    inter = report["inter_annotator"]
    if inter["pairwise_cohen_kappa"]:
        kappas = "; ".join(
            f"{p['annotator_a']} / {p['annotator_b']} {_num(p['cohen_kappa'])}" for p in inter["pairwise_cohen_kappa"]
        )
        lines.append(f"Cohen's kappa between annotators: {kappas}")
        lines.append(
            f"Fleiss' kappa {_num(inter['fleiss_kappa'])}, Krippendorff's alpha {_num(inter['krippendorff_alpha'])}"
        )
    for judge in report["judges"]:
        versus, vote = judge["against_majority"], judge["per_vote"]
        interval = versus["accuracy_ci95"]
        ci = f" [{_num(interval['low'])}, {_num(interval['high'])}]" if interval else ""
        unparsed = judge["verdicts"]["status"].get("unparsed", 0)
        lines.append(
            f"Judge run {judge['run_id']}: {judge['model']} (profile {judge['profile']}), "
            f"{judge['verdicts']['n']} verdicts, {unparsed} unparsed"
        )
        if versus["n"]:
            lines += [
                f"  vs majority (n={versus['n']}): accuracy {_num(versus['accuracy'])}{ci}, kappa "
                f"{_num(versus['cohen_kappa'])}, macro P/R/F1 {_num(versus['macro_precision'])} / "
                f"{_num(versus['macro_recall'])} / {_num(versus['macro_f1'])}",
                f"  per vote (n={vote['n']}): accuracy {_num(vote['accuracy'])}, MT-Bench agreement with ties "
                f"{_num(vote['mtbench_agreement']['with_ties'])}, without ties "
                f"{_num(vote['mtbench_agreement']['without_ties'])}",
            ]
        if judge["both_orders"]:
            swap = judge["both_orders"]["swap_consistency"]
            combined = judge["both_orders"]["combined_against_majority"]
            lines.append(
                f"  both orders: consistency {_num(swap['consistency'])} over {swap['n_pairs']} pairs, first-position "
                f"rate {_num(swap['first_position_rate'])}; combined accuracy {_num(combined['accuracy'])}"
            )
        if judge["over_time"]:
            lines.append("  per vote over time (labels: accuracy): " + _over_time_text(judge["over_time"]))
        bias = judge["length_bias"]
        lines.append(f"  prefers the longer response in {_num(bias['longer_rate'])} of {bias['n']} decisive verdicts")
        for rate in judge["win_rate"] or []:
            lines.append(
                f"  win rate of {rate['model']} against {report['settings']['baseline']}: "
                f"{_num(rate['win_rate'])} (n={rate['n']}, draws count half)"
            )
    lines += _annotator_lines(report["annotators"])
    lines += _model_pair_lines(report["model_pairs"])
    order = report["people"]["partial_order"]
    if order is not None and report["counts"]["labels"]:
        edges = ", ".join(f"{a} > {b}" for a, b in order["hasse"]) or "no significant differences"
        lines.append(f"People's partial order (p < {report['settings']['alpha']}): {edges}")
    return "\n".join(lines)


SUMMARY_ROWS = 10  # the text summary lists at most this many annotators / model pairs (--json has all)


def _over_time_text(points: list[dict[str, Any]], shown: int = 5) -> str:
    """A few evenly spaced points of the over-time series, the last one always included."""
    step = max(1, math.ceil(len(points) / shown))
    chosen = points[::-1][::step][::-1]
    return ", ".join(f"{p['n']}: {_num(p['accuracy'])} [{_num(p['low'])}, {_num(p['high'])}]" for p in chosen)


def _listed(title: str, rows: list[dict[str, Any]], describe: Callable[[dict[str, Any]], str]) -> list[str]:
    """A titled list of at most SUMMARY_ROWS rows, each ending with its judges' accuracy."""
    lines = [title]
    for row in rows[:SUMMARY_ROWS]:
        judges = "; ".join(f"run {j['run_id']} {_num(j['accuracy'])} (n={j['n']})" for j in row["judges"])
        lines.append(f"  {describe(row)}" + (f"; {judges}" if judges else ""))
    if len(rows) > SUMMARY_ROWS:
        lines.append(f"  ... {len(rows) - SUMMARY_ROWS} more in --json")
    return lines


def _annotator_lines(annotators: list[dict[str, Any]]) -> list[str]:
    if not annotators:
        return []
    return _listed(
        "Annotators (labels; accuracy vs the others' majority; vs each judge run):",
        annotators,
        lambda person: (
            f"{person['name']}: {person['labels']} labels; others {_num(person['with_others']['accuracy'])} "
            f"(n={person['with_others']['n']}, kappa {_num(person['with_others']['cohen_kappa'])})"
        ),
    )


def _model_pair_lines(pairs: list[dict[str, Any]]) -> list[str]:
    if len(pairs) < 2:  # a single pair is the whole dataset, already summarised above
        return []
    return _listed(
        "Model pairs (people's majority: wins A / wins B / ties; judge accuracy vs majority):",
        pairs,
        lambda pair: (
            f"{pair['model_a']} vs {pair['model_b']}: {pair['comparisons']} comparisons, "
            f"{pair['people']['wins_a']} / {pair['people']['wins_b']} / {pair['people']['ties']}"
        ),
    )
