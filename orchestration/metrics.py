"""The full metrics report of one dataset (``judge-studio metrics [--json]``, REST ``/metrics``).

Why this module is small: every figure comes from ``analysis.build_report`` (the one report builder,
also behind the dashboard and the pipeline's summary); this module only reads the dataset's rows from
the store (``read_report_inputs``, shared with the dashboard) and says which judge runs to report on
and whether the dataset's "models" are models at all.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis import ALPHA, N_BOOTSTRAP, JudgeRun, ReportInputs, ReportOptions, build_report, report_dict
from analysis.defaults import AGGREGATION, AGGREGATIONS, ALT_TEST_EPSILON, SEED
from analysis.guideline_versions import GuidelineInputs
from analysis.label_scope import ALL, IMPORTED, SESSION, LabelScope
from analysis.report_table import COLUMN_NAMES, judge_rows
from annotation_store.base import StoreNotFound
from annotation_store.store import JudgeRunView, Store, StoreError
from interchange.exporters import neutralize
from interchange.importers import POSITION_MODELS
from orchestration.catalog import no_comparisons, require_dataset
from orchestration.checkup_suites import stored_checkups
from settings.table import BY_NAME


def margin_setting(given: float | None = None) -> float:
    """The margin below which a verdict with probabilities is uncertain (``analysis.verdicts``): ``given``
    (a command line's or a request's), else ``JUDGE_STUDIO_UNCERTAIN_MARGIN``, else the settings table's
    default. Read at report time, so a new margin changes every figure without re-judging.
    Raises StoreError outside [0, 1)."""
    margin = float(BY_NAME["uncertain_margin"].from_env(os.environ)) if given is None else float(given)
    if not 0 <= margin < 1:
        raise StoreError(f"The uncertain margin must lie in [0, 1), not {margin}.")
    return margin


def judge_run(view: JudgeRunView) -> JudgeRun:
    """The store's run view as the analysis needs it."""
    return JudgeRun(view.run_id, view.model, view.profile, view.fingerprint_key, dict(view.fingerprint))


def label_scope_of(store: Store, dataset: str | None, labels_from: str | None) -> tuple[str, str | None]:
    """(kind, session) of ``labels_from``: None or "all" (every label), "imported" (labels given in no
    session), a session's name on ``dataset`` (None: on any dataset, as the Review queue of every dataset
    takes it) or "session:NAME" (a session named "all" or "imported").
    Raises StoreNotFound for a session that is not on the dataset, naming the ones that are."""
    given = (labels_from or ALL).strip()
    if given in (ALL, IMPORTED):
        return given, None
    name = given.removeprefix("session:").strip()
    on_dataset = [s.name for s in store.sessions() if dataset is None or s.dataset == dataset]
    if name not in on_dataset:
        known = ", ".join(repr(n) for n in on_dataset) or "none"
        held = f"Dataset {dataset!r} has" if dataset is not None else "There is"
        raise StoreNotFound(
            f"{held} no session {name!r} to take labels from ({'its ' if dataset is not None else ''}sessions: "
            f"{known}); use 'all' for every label or 'imported' for the labels given in no session."
        )
    return SESSION, name


def _scoped(frame: pd.DataFrame, sources: pd.DataFrame, kind: str, session: str | None) -> pd.DataFrame:
    """The rows of ``frame`` (comparison_id, annotator, ...) whose label lies in the scope."""
    if kind == ALL or frame.empty:
        return frame
    keys = ["comparison_id", "annotator"]
    where = frame[keys].astype({"annotator": str}).merge(sources[[*keys, "session"]], on=keys, how="left")["session"]
    keep = where.isna() if kind == IMPORTED else where.eq(str(session))
    return frame[keep.to_numpy(dtype=bool)].reset_index(drop=True)


def _scope_labels(
    store: Store, dataset: str, labels_from: str | None, frames: dict[str, Any]
) -> tuple[dict[str, Any], LabelScope]:
    """``frames`` (labels, and details and guidelines where read) kept to ``labels_from``'s labels,
    details carrying each label's session and gold mark time (``analysis.inter_annotator``'s gold checks),
    and the scope with what it holds. The analysis then runs on the kept rows as on any others."""
    kind, session = label_scope_of(store, dataset, labels_from)
    sources = store.label_sources(dataset).astype({"annotator": str})
    if "details" in frames:
        info = frames["details"].astype({"annotator": str})
        info = info.merge(sources, on=["comparison_id", "annotator"], how="left")
        frames["details"] = _scoped(info, sources, kind, session)
    frames["labels"], scope = _scope_held(frames["labels"], sources, kind, session)
    guidelines: GuidelineInputs = frames["guidelines"]
    if kind != ALL:
        given = guidelines.labels
        kept = given[given["session"] == session] if kind == SESSION else given.iloc[0:0]
        frames["guidelines"] = GuidelineInputs(guidelines.versions, kept.reset_index(drop=True))
    return frames, scope


def _scope_held(
    labels: pd.DataFrame, sources: pd.DataFrame, kind: str, session: str | None
) -> tuple[pd.DataFrame, LabelScope]:
    """``labels`` kept to the scope, and the scope with what it holds (and the imported labels among all)."""
    scoped = _scoped(labels, sources, kind, session)
    imported = _scoped(labels, sources, IMPORTED, None)
    held = (len(scoped), int(scoped["annotator"].nunique()), len(imported), int(imported["annotator"].nunique()))
    keys = frozenset(zip(imported["comparison_id"].astype(int), imported["annotator"].astype(str), strict=True))
    return scoped, LabelScope(kind, session, *held, dataset_labels=len(labels), imported_keys=keys)


def scoped_labels(store: Store, dataset: str | None, labels_from: str | None) -> tuple[pd.DataFrame, LabelScope]:
    """The current pairwise labels (``Store.labels``) of ``dataset`` (None: of every dataset) kept to
    ``labels_from``'s scope (``label_scope_of``), and the scope with what it holds, counted as the reports
    count it: the Review queue's scope. Raises StoreNotFound for a session that is not on the dataset."""
    kind, session = label_scope_of(store, dataset, labels_from)
    labels = store.labels(dataset)
    names = [dataset] if dataset else sorted({str(name) for name in labels["dataset"]})
    found = [store.label_sources(name) for name in names]
    sources = pd.concat(found, ignore_index=True) if found else store.label_sources(dataset or "")
    return _scope_held(labels, sources.astype({"annotator": str}), kind, session)


def scope_rows(
    store: Store, dataset: str, labels_from: str | None, rows: pd.DataFrame, *, with_set_aside: bool = False
) -> tuple[pd.DataFrame, LabelScope]:
    """``rows`` (labels of ``dataset``: comparison_id, annotator and any other columns, e.g. one comparison's
    ``Store.label_details``) kept to ``labels_from``'s scope, and the scope with what the given rows hold
    (``dataset_labels``: every row given): the Review item's scope. ``with_set_aside``: ``rows`` may hold the
    labels of accounts whose answers are set aside (the Dashboard's set-aside caption), whose sessions
    ``Store.label_sources`` leaves out. Raises StoreNotFound as ``label_scope_of``."""
    kind, session = label_scope_of(store, dataset, labels_from)
    sources = store.label_sessions(dataset) if with_set_aside else store.label_sources(dataset)
    return _scope_held(rows.reset_index(drop=True), sources.astype({"annotator": str}), kind, session)


def read_report_inputs(
    store: Store,
    dataset: str,
    *,
    run_ids: list[int] | None = None,
    details: bool = False,
    labels_from: str | None = None,
) -> ReportInputs:
    """The rows ``build_report`` needs for ``dataset``: comparisons, labels, verdicts and runs (every
    run, or ``run_ids``), and with ``details`` the label details, gold answers, ratings and gold
    responses the dashboard also shows; the stored judge checkups of the dataset's judges
    (``checkup_suites``) and its sessions' guideline versions with the labels given under each; and its
    reviewers' adjudications (each one the people's label of its comparison, ``analysis.aggregation.settle``).
    ``labels_from`` keeps people's labels to one scope (``label_scope_of``: all, one session's, the imported
    ones) before anything is computed; adjudications and ratings are kept whatever the scope.
    Raises StoreNotFound for an unknown dataset (``catalog.require_dataset``) and StoreError for one
    with neither comparisons nor responses. A grading-only dataset (responses, no comparisons) is read
    with empty pairwise rows: its report is the ratings section (``analysis.report_json.NO_COMPARISONS``)."""
    require_dataset(store, dataset)
    texts = store.comparison_texts(dataset)
    if texts.empty and not store.responses(dataset):  # a grading-only dataset has its ratings to report
        raise no_comparisons(store, dataset, "report on")
    # items drawn for people with unequal probabilities (judge-uncertain-first sessions) are weighted by
    # 1/pi in the corrected estimates; NaN everywhere when no such design applies (plain estimates)
    draws = store.draw_probabilities(dataset).rename(columns={"comparison_id": "id"})
    texts = texts.merge(draws.astype({"id": texts["id"].dtype}), on="id", how="left")
    views = store.judge_runs_on(dataset)
    runs = [judge_run(view) for view in views]
    if run_ids is not None:
        runs = [run for run in runs if run.run_id in run_ids]
    verdicts = store.judge_verdicts(dataset)
    verdicts = verdicts[verdicts["run_id"].isin([run.run_id for run in runs])].reset_index(drop=True)
    extra: dict[str, Any] = {}
    if details:
        extra = {
            "details": store.label_details(dataset).astype({"annotator": str}),
            "gold": store.gold_labels(dataset),
            "ratings": store.ratings(dataset),
            "judge_ratings": store.judge_ratings(dataset),
            "rating_draws": store.rating_draw_probabilities(dataset),  # weights of the corrected mean ratings
            "gold_ratings": store.gold_ratings(dataset),  # graders' attention checks (per-grader table)
        }
    accounts = store.accounts()
    kinds = {str(name): str(kind) for name, kind in zip(accounts["name"], accounts["kind"], strict=True)}
    checkups = stored_checkups(store, dataset, views)  # of every run on it, as the dashboard shows them
    guidelines = GuidelineInputs(store.guideline_versions_frame(dataset), store.guideline_labels(dataset))
    frames: dict[str, Any] = {"labels": store.labels(dataset), "guidelines": guidelines}
    frames.update({name: extra.pop(name) for name in ("details",) if name in extra})
    frames, scope = _scope_labels(store, dataset, labels_from, frames)
    return ReportInputs(
        dataset,
        texts,
        frames["labels"],
        verdicts,
        runs,
        **extra,
        details=frames.get("details"),
        annotator_kinds=kinds,
        checkups=checkups,
        guidelines=frames["guidelines"],
        adjudications=store.adjudications(dataset),
        label_scope=scope,
    )


def ranks_models(inputs: ReportInputs) -> bool:
    """False when the two sides of every comparison are response positions rather than models (LLMBar);
    True without comparisons (a grading-only dataset: nothing is ranked, and no positions are to blame)."""
    models = set(inputs.comparisons["model1"]) | set(inputs.comparisons["model2"])
    return not models or not models <= set(POSITION_MODELS)


@dataclass(frozen=True)
class PeopleOptions:
    """How people's labels are read for the "can the judge replace people?" figures (settings table:
    ``aggregation``, ``alt_test_epsilon_expert``, ``alt_test_epsilon_skilled``, ``alt_test_epsilon_crowd``)."""

    aggregation: str = AGGREGATION
    alt_test_epsilon: Mapping[str, float] = field(default_factory=lambda: dict(ALT_TEST_EPSILON))

    def __post_init__(self) -> None:
        if self.aggregation not in AGGREGATIONS:
            raise StoreError(f"Unknown aggregation {self.aggregation!r}; choose one of {', '.join(AGGREGATIONS)}.")
        for kind, epsilon in self.alt_test_epsilon.items():
            if not 0 <= epsilon < 1:
                raise StoreError(f"The alt-test margin for {kind} annotators must lie in [0, 1), not {epsilon}.")

    @classmethod
    def given(cls, aggregation: str | None = None, epsilons: Mapping[str, float | None] | None = None) -> PeopleOptions:
        """The defaults, with what a command line or a request gave (None: not given)."""
        margins = dict(ALT_TEST_EPSILON, **{k: v for k, v in (epsilons or {}).items() if v is not None})
        return cls(aggregation or AGGREGATION, margins)


def metrics_report(
    store: Store,
    dataset: str,
    *,
    alpha: float = ALPHA,
    n_bootstrap: int = N_BOOTSTRAP,
    baseline: str | None = None,
    seed: int = SEED,
    people: PeopleOptions | None = None,
    uncertain_margin: float | None = None,
    labels_from: str | None = None,
) -> dict[str, Any]:
    """Every figure for ``dataset`` as one JSON-serialisable dict (``analysis.report_dict``).

    ``alpha``: significance level of the partial order (two-sided sign test). ``n_bootstrap``:
    resamples for Bradley-Terry intervals. ``baseline``: model for AlpacaEval-style win rates; by
    default the model that takes part in every comparison, if any. ``people``: the aggregation of
    people's labels and the alternative-annotator test's margins. ``uncertain_margin``: see
    ``margin_setting()`` (None: the environment's or the default). ``labels_from``: whose labels the
    people figures read (``label_scope_of``; None: every label). Raises StoreNotFound for an unknown
    dataset or session, before anything is computed.
    """
    inputs = read_report_inputs(store, dataset, details=True, labels_from=labels_from)
    people = people or PeopleOptions()
    options = ReportOptions(
        alpha=alpha,
        n_bootstrap=n_bootstrap,
        baseline=baseline,
        seed=seed,
        rank_models=ranks_models(inputs),
        aggregation=people.aggregation,
        alt_test_epsilon=dict(people.alt_test_epsilon),
        uncertain_margin=margin_setting(uncertain_margin),
    )
    return report_dict(build_report(inputs, options))


def metrics_csv(report: Mapping[str, Any]) -> str:
    """``report`` (``metrics_report``'s dict) as CSV: a header of ``analysis.report_table.COLUMN_NAMES`` and one
    line per judge run, each cell the report's own value (``judge_rows``: copied, never recomputed). An empty cell
    is a figure not measured; a number is written in full (Python's shortest round-trip form, so pandas reads
    back the very float ``metrics --json`` holds); a name a spreadsheet would run as a formula ("=...", from an
    imported file) gets the exports' apostrophe (``interchange.exporters.neutralize``). Lines end in CRLF (RFC
    4180), as the exports' CSV: a bare CR in a name is then quoted."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMN_NAMES), lineterminator="\r\n")
    writer.writeheader()
    for row in judge_rows(report):
        writer.writerow({key: "" if value is None else neutralize(value) for key, value in row.items()})
    return out.getvalue()
